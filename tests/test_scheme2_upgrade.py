"""Migration m005: an archive written by the released code (hash scheme 1,
``tests/data/scheme1.db``, see the README there) upgraded in place to scheme 2, and
rows that become one version merged without losing a sighting."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from listing_archiver.archive.hashing import HASH_SCHEME
from listing_archiver.archive.schema import m005_hash_scheme_2, migrations, open_archive
from listing_archiver.archive.store import start_run
from listing_archiver.cli import cli

from .conftest import FIXTURES
from .data.make_scheme1_archive import with_absolute_links
from .server import TestServer

RELEASED = Path(__file__).parent / "data" / "scheme1.db"
KEPT = (  # what a version is and when it was seen: the upgrade must not touch any of it
    "rowid, url, title, date, author, excerpt, source, first_seen, last_seen, times_seen,"
    " first_run, last_run"
)
SEARCHES = ("HTTPS", "notes", "sqlite", "attention", "wording", "precision")


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    shutil.copyfile(RELEASED, path)
    return path


def rows(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def found(path: Path, term: str) -> set[str]:
    """URLs of the versions a full-text search for ``term`` finds."""
    return {
        str(url)
        for (url,) in rows(
            path,
            "select p.url from posts_fts f join posts p on p.rowid = f.rowid"
            " where posts_fts match ?",
            (term,),
        )
    }


def everything(path: Path) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: rows(path, f"select rowid, * from {table} order by rowid")
        for table in ("posts", "sightings", "pages", "runs", "posts_fts")
    }


def upgrade(path: Path) -> None:
    open_archive(str(path)).close()  # the writer's own open path runs the migration


def test_the_fixture_is_a_scheme_1_archive_from_the_released_code(legacy):
    assert rows(legacy, "select distinct hash_version from posts") == [(1,)]
    applied = [name for (name,) in rows(legacy, "select name from _sqlite_migrations")]
    assert applied[-1] == "m004_full_text_search"


def test_every_version_survives_with_its_seen_times_and_counts(legacy):
    before = rows(legacy, f"select {KEPT} from posts order by rowid")
    upgrade(legacy)
    assert rows(legacy, f"select {KEPT} from posts order by rowid") == before
    assert rows(legacy, "select distinct hash_version from posts") == [(HASH_SCHEME,)]


def test_fields_hash_is_the_scheme_1_hash_each_row_had(legacy):
    before = rows(legacy, "select rowid, content_hash from posts order by rowid")
    upgrade(legacy)
    assert rows(legacy, "select rowid, fields_hash from posts order by rowid") == before
    assert rows(legacy, "select count(*) from posts where content_hash = fields_hash") == [(0,)]


def test_sightings_and_page_lists_follow_their_rows(legacy):
    before = rows(
        legacy,
        "select s.id, s.run_id, s.page_url, s.position, p.rowid from sightings s"
        " join posts p using (content_hash) order by s.id",
    )
    assert len(before) == rows(legacy, "select count(*) from sightings")[0][0] == 68
    upgrade(legacy)
    after = rows(
        legacy,
        "select s.id, s.run_id, s.page_url, s.position, p.rowid from sightings s"
        " join posts p using (content_hash) order by s.id",
    )
    assert after == before  # same count, each pointing at the same (rehashed) row
    hashes = {h for (h,) in rows(legacy, "select content_hash from posts")}
    listed = [json.loads(text) for (text,) in rows(legacy, "select post_hashes from pages")]
    assert listed and all(set(page) <= hashes for page in listed)


def test_full_text_search_finds_the_same_posts_in_their_current_versions(legacy):
    before = {term: found(legacy, term) for term in SEARCHES}
    assert all(before.values())
    upgrade(legacy)
    current = {url for (url,) in rows(legacy, "select url from current_posts")}
    after = {term: found(legacy, term) for term in SEARCHES}
    assert after == {term: urls & current for term, urls in before.items()}  # m006
    assert all(after.values())
    conn = sqlite3.connect(legacy)
    conn.execute("insert into posts_fts (posts_fts) values ('integrity-check')")  # raises if not
    conn.close()


def test_posts_scheme_1_split_by_url_form_become_one(legacy):
    upgrade(legacy)
    keys = dict(
        rows(
            legacy,
            "select title, post_key from posts where source = 'links' and title not like 'Moving%'",
        )
    )
    assert keys["Weekly notes"] == "https://veritable.example/post/weekly-notes"  # was www.
    assert keys["Session links"] == "https://veritable.example/post/session-links"
    assert str(keys["A note without a link"]).startswith("content:")
    moved = rows(
        legacy,
        "select post_key, title, removed_at from posts where title like 'Moving to HTTPS%'"
        " order by first_seen",
    )
    # http (removed by the full walk that saw only https) and https: one post, two versions,
    # listed since its newer URL form still is.
    assert moved == [
        ("https://veritable.example/post/moving-to-https", "Moving to HTTPS", None),
        ("https://veritable.example/post/moving-to-https", "Moving to HTTPS, done", None),
    ]
    assert rows(legacy, "select removed_at is not null from posts where title = 'Old post'") == [
        (1,)
    ]


def test_running_the_migration_again_changes_nothing(legacy):
    upgrade(legacy)
    once = everything(legacy)
    db = open_archive(str(legacy))
    m005_hash_scheme_2(db)
    db.close()
    assert everything(legacy) == once


def test_a_scrape_after_the_upgrade_adds_no_new_version(legacy, tmp_path):
    before = rows(legacy, "select count(*) from posts")
    blog = with_absolute_links(FIXTURES / "papermod" / "revised", tmp_path / "revised")
    for source, root in (("veritable", blog), ("links", FIXTURES / "scheme1" / "after")):
        server = TestServer(root).start()
        try:
            args = ["scrape", str(legacy), server.url("/"), "--delay", "0", "--full"]
            result = CliRunner().invoke(cli, [*args, "--source", source])
        finally:
            server.stop()
        assert result.exit_code == 0, result.output
        assert " 0 new" in result.stdout and "changed" not in result.stdout, result.stdout
    assert rows(legacy, "select count(*) from posts") == before


# --- rows that become one version ----------------------------------------------------------


def scheme_1_row(digest: str, url: str, run: tuple[int, int], seen: tuple[str, str], times: int):
    return {
        "content_hash": digest,
        "hash_version": 1,
        "post_key": url,
        "url": url,
        "title": "Release notes",
        "date": "2024-05-01",
        "author": "Vera",
        "excerpt": "What changed.",
        "source": "s",
        "first_seen": seen[0],
        "last_seen": seen[1],
        "times_seen": times,
        "first_run": run[0],
        "last_run": run[1],
    }


@pytest.fixture
def stale(tmp_path: Path) -> sqlite3.Connection:
    """A scheme-1 archive whose two rows of one post (http and https) carry hashes the
    current normalisation no longer gives (as rows written before a normalisation fix
    do): scheme 2 makes them one version. http was seen in runs 1 and 2, https in 2, 3."""
    path = tmp_path / "stale.db"
    db = Database(str(path))
    migrations.apply(db, stop_before="m005_hash_scheme_2")
    for _ in range(3):
        start_run(db, source="s", url="u")
    db["posts"].insert_all(
        [
            scheme_1_row("old-http", "http://ex.example/notes/", (1, 2), ("T1", "T2"), 2),
            scheme_1_row("old-https", "https://ex.example/notes", (2, 3), ("T2", "T3"), 2),
        ]
    )
    db["sightings"].insert_all(
        {"run_id": run, "content_hash": digest, "page_url": "p", "position": position}
        for run, digest, position in [
            (1, "old-http", 1),
            (2, "old-http", 1),
            (2, "old-https", 2),
            (3, "old-https", 1),
        ]
    )
    db["pages"].insert({"url": "p", "post_hashes": json.dumps(["old-https", "old-http"])})
    db.close()
    upgrade(path)
    return sqlite3.connect(path)


def test_two_rows_that_become_one_version_are_merged_without_losing_a_sighting(stale):
    [row] = stale.execute(
        "select content_hash, url, first_seen, last_seen, times_seen, first_run, last_run"
        " from posts"
    ).fetchall()
    digest, url, *seen = row
    # The earliest row survives; runs 1, 2, 3 saw it (run 2 under both URLs, counted once).
    assert url == "http://ex.example/notes/"
    assert seen == ["T1", "T3", 3, 1, 3]
    assert stale.execute("select content_hash, run_id from sightings order by id").fetchall() == [
        (digest, 1),
        (digest, 2),
        (digest, 2),
        (digest, 3),
    ]
    assert stale.execute("select post_hashes from pages").fetchone() == (json.dumps([digest]),)
    search = "select count(*) from posts_fts where posts_fts match 'release'"
    assert stale.execute(search).fetchone() == (1,)

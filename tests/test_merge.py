"""``listing-archiver merge``: shards made by real scrapes of loopback sites, united into
one archive. Merging is idempotent and order-free (compared by a canonical dump that
ignores ids), provenance is combined, the current state and the full-text index are
rebuilt, shards are never written, and a failing shard leaves the target as before it."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from listing_archiver.archive.drift import COUNTED_FIELDS
from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.opening import known_migrations
from listing_archiver.archive.schema import migrations
from listing_archiver.cli import cli

from .archive_dump import dump
from .conftest import FIXTURES, ROOT
from .current_oracle import assert_current_is_what_the_old_view_computed
from .scrape_process import DEADLINE
from .server import TestServer
from .test_learned_archive import _serve as serve_learnable
from .untouched import state

SITE = FIXTURES / "papermod"


@dataclass(frozen=True)
class Shards:
    a: Path  # the blog as it was earlier, and the news site learned once
    b: Path  # the blog later (two new posts), then revised (edits, a removal); news drifted
    blog: TestServer
    news: TestServer


def scrape(db: Path, url: str, source: str) -> None:
    argv = ["scrape", str(db), url, "--delay", "0", "--source", source, "--full"]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output


def blog_at(shards: Shards, moment: str, db: Path) -> None:
    shards.blog.root = SITE / moment
    scrape(db, shards.blog.url("/"), "blog")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shards]:
    folder = tmp_path_factory.mktemp("shards")
    blog, news = TestServer(SITE / "earlier").start(), TestServer().start()
    shards = Shards(folder / "a.db", folder / "b.db", blog, news)
    try:
        blog_at(shards, "earlier", shards.a)
        serve_learnable(news)
        scrape(shards.a, news.url("/"), "news")
        blog_at(shards, "later", shards.b)
        blog_at(shards, "revised", shards.b)
        scrape(shards.b, news.url("/"), "news")
        serve_learnable(news, "moved")  # the layout changed: B learns the site again
        scrape(shards.b, news.url("/"), "news")
        yield shards
    finally:
        blog.stop()
        news.stop()


@pytest.fixture
def shards(built: Shards, tmp_path: Path) -> Shards:
    """Copies of the shards a test may change."""
    a, b = shutil.copy(built.a, tmp_path / "a.db"), shutil.copy(built.b, tmp_path / "b.db")
    return Shards(Path(a), Path(b), built.blog, built.news)


def merge(target: Path, *shards: Path) -> Result:
    result = CliRunner().invoke(cli, ["merge", str(target), *map(str, shards)])
    assert result.exit_code == 0, result.output
    return result


def query(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_merging_a_then_b_b_then_a_and_a_twice_give_the_same_archive(shards, tmp_path):
    merge(tmp_path / "ab.db", shards.a, shards.b)
    merge(tmp_path / "ba.db", shards.b)
    merge(tmp_path / "ba.db", shards.a)
    merge(tmp_path / "aab.db", shards.a, shards.a)
    merge(tmp_path / "aab.db", shards.b, shards.a, shards.b)
    expected = dump(tmp_path / "ab.db")
    assert dump(tmp_path / "ba.db") == expected
    assert dump(tmp_path / "aab.db") == expected
    ab = Database(tmp_path / "ab.db")
    assert ab.execute("select count(*) from runs").fetchone()[0] == 6  # 2 in A, 4 in B


def test_a_shard_merged_into_a_new_archive_is_the_same_archive(shards, tmp_path):
    merge(tmp_path / "copy.db", shards.a)
    assert dump(tmp_path / "copy.db") == dump(shards.a)
    merge(tmp_path / "copy.db", shards.a)  # again: nothing to add
    assert dump(tmp_path / "copy.db") == dump(shards.a)


def test_provenance_is_combined_across_shards(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a, shards.b)
    sql = "select content_hash, first_seen, last_seen, times_seen from posts"
    a = {row[0]: row[1:] for row in query(shards.a, sql)}
    b = {row[0]: row[1:] for row in query(shards.b, sql)}
    merged = {row[0]: row[1:] for row in query(target, sql)}
    assert merged.keys() == a.keys() | b.keys()
    both = a.keys() & b.keys()
    assert both and a.keys() - b.keys() == set() and b.keys() - a.keys()  # shared, B's own
    for digest in both:
        first, last, seen = merged[digest]
        assert first == min(a[digest][0], b[digest][0])
        assert last == max(a[digest][1], b[digest][1])
        assert seen == a[digest][2] + b[digest][2]  # the shards' runs are distinct
    runs = query(target, "select count(*), count(origin) from runs")
    assert runs == [(6, 6)]
    [(sightings,)] = query(target, "select count(*) from sightings")
    assert sightings == sum(
        query(s, "select count(*) from sightings")[0][0] for s in (shards.a, shards.b)
    )


def test_the_current_state_search_and_removals_are_rebuilt(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a, shards.b)
    with sqlite3.connect(target) as conn:
        assert assert_current_is_what_the_old_view_computed(conn) == 19 + 12
    current = "select post_key, title, removed_at is not null from current_posts"
    assert sorted(query(target, current)) == sorted(query(shards.b, current))  # B saw last
    [(removed,)] = query(target, "select count(*) from current_posts where removed_at is not null")
    assert removed == 1


def test_the_drift_counts_are_those_of_the_merged_posts(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a, shards.b)
    present = ", ".join(f"count(nullif({field}, ''))" for field in COUNTED_FIELDS)
    recounted = query(
        target, f"select source, count(*), {present} from posts group by source order by 1"
    )
    assert query(target, "select * from source_field_counts order by source") == recounted


def test_learned_profiles_keep_the_latest_active_and_their_runs(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a, shards.b)
    rows = query(
        target,
        "select l.status, r.source, (select status from learned_profiles where id = l.replaced_by)"
        " from learned_profiles l join runs r on r.id = l.run_id order by l.learned_at",
    )
    assert rows == [
        ("replaced", "news", "active"),  # A's, replaced by the latest
        ("replaced", "news", "active"),  # B's first
        ("active", "news", None),  # B's relearned one
    ]


def test_pages_keep_the_validators_of_their_latest_fetch(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a, shards.b)
    sql = "select url, etag, fetched from pages order by url"
    b_pages = query(shards.b, sql)
    assert b_pages and query(target, sql) == b_pages  # B walked the same pages later


def test_a_shard_run_again_after_a_merge_adds_only_its_new_runs(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a)
    blog_at(shards, "later", shards.a)
    merge(target, shards.a)
    assert dump(target) == _merged_once(tmp_path, shards.a)


def _merged_once(tmp_path: Path, *shards: Path) -> object:
    fresh = tmp_path / "fresh.db"
    merge(fresh, *shards)
    return dump(fresh)


def test_shards_are_only_read(shards, tmp_path):
    """Their bytes and times stay; a reader of a WAL database (``open_reader``, as
    export's) may leave an empty -wal beside it, as SQLite's read-only connections do."""
    before = [_bytes_and_time(shard) for shard in (shards.a, shards.b)]
    merge(tmp_path / "merged.db", shards.a, shards.b)
    assert [_bytes_and_time(shard) for shard in (shards.a, shards.b)] == before
    for shard in (shards.a, shards.b):
        wal = Path(f"{shard}-wal")
        assert not wal.exists() or wal.stat().st_size == 0


def _bytes_and_time(path: Path) -> tuple[str, int]:
    found = state(path)
    return found.digest, found.mtime_ns


def _refused(target: Path, *shards: Path) -> str:
    result = CliRunner().invoke(cli, ["merge", str(target), *map(str, shards)])
    assert result.exit_code == 2, result.output
    [line] = result.output.splitlines()
    return line


def test_a_foreign_file_is_refused_in_one_line_before_anything_is_written(shards, tmp_path):
    notes = tmp_path / "notes.db"
    notes.write_text("not an archive\n")
    target = tmp_path / "merged.db"
    assert _refused(target, shards.a, notes) == f"Error: {notes} is not a SQLite database"
    assert not target.exists() and not Path(f"{target}.lock").exists()


def test_a_target_that_is_not_an_archive_is_refused_and_left_alone(shards, tmp_path):
    notes = tmp_path / "notes.db"
    Database(notes)["notes"].insert({"text": "mine"})
    before = state(notes)
    line = _refused(notes, shards.a)
    assert "is a SQLite database but not a listing-archiver archive (tables: notes)" in line
    assert state(notes) == before


def test_a_shard_behind_the_code_is_refused_naming_upgrade_and_left_alone(shards, tmp_path):
    old = tmp_path / "old.db"
    migrations.apply(Database(old), stop_before=known_migrations()[-1])
    before = state(old)
    line = _refused(tmp_path / "merged.db", old)
    assert f"run `listing-archiver upgrade {old}`" in line
    assert state(old) == before


def test_a_shard_that_is_the_target_is_refused(shards):
    line = _refused(shards.a, shards.a)
    assert line == f"Error: {shards.a} is the target archive {shards.a}: nothing to merge"


def test_a_busy_target_exits_3(shards, tmp_path):
    target = tmp_path / "merged.db"
    with archive_lock(target):
        result = CliRunner().invoke(cli, ["merge", str(target), str(shards.a)])
    assert result.exit_code == 3
    assert "is busy" in result.output


def test_a_shard_that_fails_halfway_leaves_the_target_as_before_it(shards, tmp_path):
    target = tmp_path / "merged.db"
    merge(target, shards.a)
    with sqlite3.connect(target) as conn:  # the disk fills up at B's first sighting
        conn.execute(
            "create trigger full_disk before insert on sightings"
            " begin select raise(abort, 'database or disk is full'); end"
        )
    before = dump(target)
    result = CliRunner().invoke(cli, ["merge", str(target), str(shards.b)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: merging {shards.b} into {target} failed (database or disk is full):"
        f" {target} is as it was before {shards.b}"
    ]
    assert dump(target) == before


PAUSED_MERGE = """
import sys
from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.merge import merge_shard
from listing_archiver.archive.opening import open_writer

def pause():
    print("paused", flush=True)
    sys.stdin.read()  # until the test kills this process

target, shard = sys.argv[1:]
with archive_lock(target):
    db = open_writer(target)
    db.conn.create_function("pause", 0, pause)
    db.execute("create temp trigger pause after insert on main.sightings begin select pause(); end")
    merge_shard(db, shard)
"""


def test_a_merge_killed_inside_a_shard_leaves_the_target_as_before_it(shards, tmp_path):
    """A real process, paused by a connection-only trigger at the shard's first sighting
    (its runs and posts written by then, uncommitted), then SIGKILLed."""
    target = tmp_path / "merged.db"
    merge(target, shards.a)
    before = dump(target)
    with subprocess.Popen(
        [sys.executable, "-c", PAUSED_MERGE, str(target), str(shards.b)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stdout.readline() == "paused\n"
            assert query(target, "select count(*) from runs") == [(2,)]  # B's: uncommitted
        finally:
            child.kill()  # SIGKILL
            child.wait(timeout=DEADLINE)
    assert dump(target) == before
    merge(target, shards.b)  # the lock was released with the process: merge again
    assert dump(target) == _merged_once(tmp_path, shards.a, shards.b)

"""The stored current state (``posts.is_current``, m006) against the view it replaced,
over real scrapes of a loopback site: after a run, an edit, a removal, a return, a page
whose write fails halfway, a 304 run, and an old archive upgraded. Then the provenance
a user asks of the archive, and the query plans that keep both fast at scale."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.store import save_page, start_run
from listing_archiver.cli import cli
from listing_archiver.datasette_plugin import prepare_connection
from listing_archiver.scraper.records import Entry
from listing_archiver.serve import metadata_for

from .conftest import FIXTURES
from .current_oracle import OLD_VIEW, assert_current_is_what_the_old_view_computed
from .server import serve_listing

SITE = FIXTURES / "papermod"
SCHEME1 = Path(__file__).parent / "data" / "scheme1.db"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


def check(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return assert_current_is_what_the_old_view_computed(conn)
    finally:
        conn.close()


def scrape(url: str, db_path: Path, *args: str) -> str:
    argv = ["scrape", str(db_path), url, "--delay", "0", "--source", "blog", *args]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    return result.stdout


def at(site, moment: str, db_path: Path, *args: str) -> str:
    site.root = SITE / moment
    return scrape(site.url("/"), db_path, "--full", *args)


def test_after_a_run_an_edit_a_removal_and_a_return_current_is_what_the_view_computed(
    site, db_path
):
    at(site, "earlier", db_path)
    assert check(db_path) == 17
    at(site, "later", db_path)
    assert check(db_path) == 19
    assert "removed" in at(site, "revised", db_path)  # edits and a removal
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from posts where is_current = 0").fetchone()[0] > 0
    check(db_path)
    at(site, "later", db_path)  # the removed post returns, edited posts go back
    check(db_path)


def test_a_304_run_and_an_incremental_run_keep_current_as_the_view_computed(server, db_path):
    titles = [f"Post {i}" for i in range(25, 0, -1)]
    serve_listing(server, titles)
    scrape(server.url("/"), db_path)
    scrape(server.url("/"), db_path)  # page 1 answers 304
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select not_modified from runs where id = 2").fetchone()[0] == 1
    check(db_path)
    serve_listing(server, ["Post 26", *titles])
    scrape(server.url("/"), db_path)
    assert check(db_path) == 26


def test_a_page_whose_write_fails_halfway_leaves_current_as_the_view_computed(db_path):
    db = open_archive(str(db_path))
    run = start_run(db, source="s", url="https://s.example/")
    first = [Entry(f"Post {i}", f"https://s.example/{i}", "2024-01-01", "A", "x") for i in range(5)]
    save_page(db, run_id=run, source="s", entries=first, page_url="https://s.example/")
    db.execute(  # a failure after the page's posts and flags are written, before commit
        "create temp trigger fail before insert on pages when new.url = 'boom'"
        " begin select raise(abort, 'interrupted'); end"
    )
    edited = [Entry(e.title, e.url, e.date, e.author, "edited") for e in first]
    with pytest.raises(sqlite3.IntegrityError):
        save_page(db, run_id=run, source="s", entries=edited, page_url="boom")
    db.close()
    assert check(db_path) == 5
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from posts").fetchone()[0] == 5  # rolled back


def test_an_upgraded_scheme_1_archive_keeps_current_as_the_view_computed(tmp_path):
    copy = tmp_path / "scheme1.db"
    shutil.copyfile(SCHEME1, copy)
    open_archive(str(copy)).close()
    assert check(copy) > 0
    with sqlite3.connect(copy) as conn:
        sightings = conn.execute("select count(*) from sightings").fetchone()[0]
    assert sightings == 68  # what the released runs recorded is kept


# --- provenance on real scrapes ----------------------------------------------------------


def test_provenance_answers_first_seen_where_last_seen_times_seen_and_quiet_runs(site, db_path):
    at(site, "earlier", db_path)
    at(site, "earlier", db_path)  # nothing new
    at(site, "later", db_path)
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    runs = {r["id"]: r for r in conn.execute("select * from runs")}
    quiet = [
        r[0]
        for r in conn.execute(
            "select id from runs where new_posts = 0 and changed_posts = 0 order by id"
        )
    ]
    assert quiet == [2]
    post = conn.execute(
        "select content_hash, times_seen, last_seen, last_run from posts"
        " where title like '[Paper] Adafactor%'"
    ).fetchone()
    assert (post["times_seen"], post["last_run"]) == (3, 3)
    assert post["last_seen"] >= runs[3]["started"]
    where = conn.execute(
        "select run_id, page_number, position from sightings where content_hash = ?"
        " order by run_id, id",
        [post["content_hash"]],
    ).fetchall()
    assert [tuple(r) for r in where] == [(1, 2, 4), (3, 3, 1)]  # first seen; moved a page
    conn.close()
    result = CliRunner().invoke(cli, ["history", str(db_path), site.url("/post/adafactor/")])
    assert result.exit_code == 0, result.output
    assert "in 3 runs" in result.output and "found on page 2, position 4" in result.output


def stored_bytes_outside_runs(db_path: Path) -> int:
    """Bytes of row and index content (dbstat's payload) in every table but ``runs``."""
    with sqlite3.connect(db_path) as conn:
        return int(
            conn.execute(
                "select sum(payload) from dbstat where name not like 'runs%'"
                " and name not in ('sqlite_schema', '_sqlite_migrations')"
            ).fetchone()[0]
        )


@pytest.mark.parametrize("args", [(), ("--full",)], ids=["304", "200 unchanged"])
def test_an_unchanged_run_adds_its_runs_row_and_almost_nothing_else(server, db_path, args):
    serve_listing(server, [f"Post {i}" for i in range(25, 0, -1)])
    scrape(server.url("/"), db_path, *args)
    before = stored_bytes_outside_runs(db_path)
    scrape(server.url("/"), db_path, *args)
    scrape(server.url("/"), db_path, *args)
    assert stored_bytes_outside_runs(db_path) - before <= 100  # counters move in place
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from runs").fetchone()[0] == 3
        assert conn.execute("select max(times_seen) from posts").fetchone()[0] == 3


# The canned queries as they were before m006, computed from the old view: the oracle for
# the rewritten ones, which read indexes instead.
OLD_CANNED = {
    # per source the newest run that first saw a post, from posts alone (full scans)
    "new_in_latest_run": """
with first_runs as (select post_key, min(first_run) as run_id from posts group by post_key),
news as (
  select r.source, max(f.run_id) as run_id from first_runs f join runs r on r.id = f.run_id
  group by r.source
),
latest as (select source, max(id) as run_id from runs group by source)
select c.title, c.date, c.author, c.source, n.run_id as found_by_run, fr.started as run_started,
  case when n.run_id = l.run_id then 'latest run'
    else 'latest run ' || l.run_id || ' (' || lr.started || ') found nothing new' end as note,
  c.url, c.excerpt, c.first_seen, c.post_key
from old_current c join first_runs f on f.post_key = c.post_key
join news n on n.run_id = f.run_id join runs fr on fr.id = n.run_id
join latest l on l.source = fr.source join runs lr on lr.id = l.run_id
order by c.date desc, c.first_seen desc, c.post_key""",
    "edited_posts": """
select post_key, version, title, date, changes, first_seen, last_seen, content_hash from (
  select p.post_key, p.title, p.date, p.first_seen, p.last_seen, p.content_hash, e.last_edit,
    row_number() over w as version,
    case when row_number() over w > 1 then version_changes(
      lag(p.title) over w, lag(p.date) over w, lag(p.author) over w,
      lag(p.excerpt) over w, lag(p.url) over w, p.title, p.date, p.author, p.excerpt, p.url
    ) end as changes
  from posts p join (
    select post_key, max(first_seen) as last_edit from posts
    group by post_key having count(*) > 1
  ) e on e.post_key = p.post_key
  window w as (partition by p.post_key order by p.first_seen, p.rowid)
) order by last_edit desc, post_key, version""",
    "removed_posts": "select title, date, author, source, url, removed_at, last_seen, post_key"
    " from old_current where removed_at is not null and removed_at != ''"
    " order by removed_at desc, post_key",
    "posts_per_month": "select substr(date, 1, 7) as month, count(*) as posts from old_current"
    " group by month order by month desc",
}


def test_the_rewritten_canned_queries_answer_as_the_old_ones_did(site, db_path, tmp_path):
    at(site, "earlier", db_path)
    site.root = SITE / "later"
    scrape(site.url("/"), db_path, "--source", "other")  # another source: 2 new posts
    at(site, "revised", db_path)  # the first source again: edits and a removal
    queries = metadata_for(db_path)["databases"][db_path.stem]["queries"]
    conn = sqlite3.connect(db_path)
    prepare_connection(conn)  # the plugin's SQL functions, as Datasette's connections have
    conn.execute(f"create temp view old_current as {OLD_VIEW}")
    try:
        for name, old in OLD_CANNED.items():
            expected = conn.execute(old).fetchall()
            assert expected, name  # each answers something here
            assert conn.execute(queries[name]["sql"]).fetchall() == expected, name
    finally:
        conn.close()

"""What keeps the archive fast at a million posts and a year of hourly runs: every query
a run start, a page write, the canned queries and Datasette's pages of current_posts
make is answered from an index, never by a full scan of ``posts`` or ``runs``.

The statements are the real ones: each archive function runs on a real archive under
SQLite's trace callback, and every statement it made is explained."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlite_utils import Database

from listing_archiver.archive import drift, store, walk_state
from listing_archiver.archive.history import find_post_key, post_history
from listing_archiver.archive.schema import open_archive
from listing_archiver.datasette_plugin import prepare_connection
from listing_archiver.scraper.records import Entry
from listing_archiver.serve import metadata_for

FULL_SCAN = re.compile(r"^SCAN (\w+)$")  # "SCAN t USING [COVERING] INDEX i" reads an index
TABLES = {"posts", "runs", "sightings", "p", "v", "c", "r", "s"}  # names and aliases used


def full_scans(conn: sqlite3.Connection, sql: str) -> list[str]:
    plan = conn.execute(f"explain query plan {sql}").fetchall()
    return [row[3] for row in plan if (m := FULL_SCAN.match(row[3])) and m[1] in TABLES]


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """Two sources, two runs each, an edit and a removal: every table has rows."""
    database = open_archive(str(tmp_path / "archive.db"))
    for round_ in range(2):
        for source in ("a", "b"):
            run = store.start_run(database, source=source, url=f"https://{source}.example/")
            entries = [
                Entry(f"{source} {i}", f"https://{source}.example/{i}", f"2024-0{i}-01", "Ann",
                      f"words {i} {round_ if i == 1 else ''}")
                for i in range(1, 6)
            ]  # fmt: skip
            store.save_page(database, run_id=run, source=source, entries=entries[round_:])
            store.mark_removed(database, run_id=run, source=source)
            store.finish_run(database, run, status="ok")
    return database


def traced(db: Database, call: Callable[[], object]) -> list[str]:
    statements: list[str] = []
    db.conn.set_trace_callback(statements.append)
    try:
        call()
    finally:
        db.conn.set_trace_callback(None)
    return [s for s in statements if s.split()[0].lower() in {"select", "update", "delete"}]


def test_a_run_start_never_scans_runs_or_posts(db):
    calls = [
        lambda: store.mark_interrupted(db),
        lambda: store.interrupt_running(db, error="stopped"),
        lambda: store.incremental_allowed(db, "a"),
        lambda: store.incremental_allowed(db, "never seen"),
        lambda: walk_state.backfill_needed(db, "a"),
        lambda: walk_state.backfill_needed(db, "never seen"),
        lambda: walk_state.unwalked_page_after(db, "https://a/"),
        lambda: drift.baseline(db, "a"),
    ]
    for call in calls:
        statements = traced(db, call)
        assert statements
        for sql in statements:
            assert full_scans(db.conn, sql) == [], sql


def test_whether_a_source_is_backfilling_is_one_index_search_however_many_runs_stopped_early(
    db,
):
    """Not a walk back through every run that stopped at known posts since the last
    walk to the end: the partial index holds only the runs that say how far a walk got."""
    [sql, *_] = traced(db, lambda: walk_state.backfill_needed(db, "a"))
    plan = [row[3] for row in db.execute(f"explain query plan {sql}").fetchall()]
    assert plan == ["SEARCH runs USING INDEX runs_walk_extent (source=?)"]


def test_a_page_write_and_a_removal_never_scan_runs_or_posts(db):
    run = store.start_run(db, source="a", url="https://a.example/")
    entries = [Entry("new", "https://a.example/new", "2024-06-01", "Bo", "fresh")]
    statements = traced(
        db,
        lambda: (
            store.save_page(db, run_id=run, source="a", entries=entries, page_url="https://a/"),
            store.save_not_modified(db, run_id=run, page_url="https://a/"),
            store.mark_removed(db, run_id=run, source="a"),
        ),
    )
    assert len(statements) > 5
    for sql in statements:
        assert full_scans(db.conn, sql) == [], sql


def test_a_posts_history_is_found_by_its_key_without_a_scan(db):
    statements = traced(
        db, lambda: post_history(db, find_post_key(db, "https://a.example/1") or "")
    )
    for sql in statements:
        assert full_scans(db.conn, sql) == [], sql


def test_every_canned_query_reads_indexes(db, tmp_path):
    queries = metadata_for(tmp_path / "archive.db")["databases"]["archive"]["queries"]
    assert len(queries) >= 4
    prepare_connection(db.conn)  # the plugin's SQL functions, as Datasette's connections have
    for name, query in queries.items():
        assert db.execute(query["sql"]).fetchall() is not None
        assert full_scans(db.conn, query["sql"]) == [], name


DATASETTE_PAGE = [  # what Datasette 0.65 asks for the default page of current_posts
    "select * from current_posts order by date desc limit 101",
    "select count(*) from (select * from current_posts)",
    "select count(*) from (select * from current_posts where source = 'a')",
    "select * from current_posts where source = 'a' order by date desc limit 101",
    *(
        f"select {column} as value, count(*) as n from (select * from current_posts)"
        f" where {column} is not null group by {column} order by n desc, value limit 31"
        for column in ("source", "author", "year")
    ),
]


@pytest.mark.parametrize("sql", DATASETTE_PAGE)
def test_datasettes_page_of_current_posts_reads_partial_indexes(db, sql):
    assert full_scans(db.conn, sql) == []
    plan = " ".join(row[3] for row in db.conn.execute(f"explain query plan {sql}"))
    assert "posts_current_" in plan
    if "count(*)" in sql and "order by date" not in sql:  # counts and facets: index only
        assert "COVERING INDEX posts_current_" in plan


def test_a_removal_reads_the_sources_current_rows_from_their_index(db):
    run = store.start_run(db, source="a", url="https://a.example/")
    statements = traced(db, lambda: store.mark_removed(db, run_id=run, source="a"))
    chosen = [s for s in statements if "where p.source" in s]
    assert len(chosen) == 1
    plan = " ".join(row[3] for row in db.conn.execute(f"explain query plan {chosen[0]}"))
    assert "posts_current_source_date" in plan


def test_a_page_of_new_posts_asks_nothing_of_sightings_or_removals(db):
    run = store.start_run(db, source="c", url="https://c.example/")
    entries = [Entry(f"c {i}", f"https://c.example/{i}", "2024-06-01", "Bo", "x") for i in (1, 2)]
    statements = traced(
        db, lambda: store.save_page(db, run_id=run, source="c", entries=entries, page_url="u")
    )
    assert statements
    assert not [s for s in statements if "from sightings" in s or "removed_at = null" in s]
    # a page of posts seen before asks both: did they move, were they removed
    run = store.start_run(db, source="c", url="https://c.example/")
    statements = traced(
        db, lambda: store.save_page(db, run_id=run, source="c", entries=entries, page_url="v")
    )
    assert [s for s in statements if "from sightings" in s]
    assert [s for s in statements if "removed_at = null" in s]


def test_an_archive_keeps_no_index_of_every_version_by_source_and_date(db):
    indexes = {row[0] for row in db.execute("select name from sqlite_master where type = 'index'")}
    assert "idx_posts_source_date" not in indexes
    assert "posts_current_source_date" in indexes


def test_only_a_versions_identity_is_indexed_by_a_hash(db):
    """A hash puts each new post at a random leaf of an index keyed by it, rarely cached at
    a million posts: the content hash is a version's identity (unique, and how sightings
    name it), the fields hash only ``same_content`` reads, unindexed (m013)."""
    hashed = []
    for table in ("posts", "sightings"):
        for _, name, *_ in db.execute(f"pragma index_list({table})").fetchall():
            first = db.execute(f"pragma index_info({name})").fetchone()[2]
            if first in ("content_hash", "fields_hash"):
                hashed.append(name)
    assert sorted(hashed) == ["idx_sightings_content_hash_run_id", "sqlite_autoindex_posts_1"]
    plan = " ".join(row[3] for row in db.execute("explain query plan select * from same_content"))
    assert "SCAN p" in plan and "AUTOMATIC" in plan  # posts once, each row probing the groups


def test_new_in_the_latest_run_finds_each_sources_news_without_reading_its_other_runs(db, tmp_path):
    """A year of hourly runs that found nothing must not be read to find the run that did:
    the partial index holds only runs with news."""
    with db.conn:  # runs that found nothing, after each source's runs with news
        db.conn.executemany(
            "insert into runs (source, url, started, status) values (?, 'u', 'now', 'ok')",
            [(source,) for source in ("a", "b") for _ in range(50)],
        )
    sql = metadata_for(tmp_path / "archive.db")["databases"]["archive"]["queries"][
        "new_in_latest_run"
    ]["sql"]
    plan = [row[3] for row in db.conn.execute(f"explain query plan {sql}")]
    assert any("USING INDEX runs_news" in step for step in plan), plan
    prepare_connection(db.conn)
    notes = {row[6] for row in db.execute(sql)}
    assert all(note.endswith("found nothing new") for note in notes), notes

"""``listing-archiver runs DB``: how the recent runs of each source went, without SQL,
read-only and from the indexes on ``runs``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.archive import runs as run_log
from listing_archiver.archive import store
from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli

from .server import TestServer, serve_listing
from .test_query_plans import full_scans

# (source, status, error): oldest first, as the runs happened
HISTORY = [
    *[("alpha", "ok", None)] * 6,
    ("alpha", "failed", "GET https://alpha.example/: HTTP 503"),
    ("alpha", "ok", None),
    ("beta", "degraded", "layout drift: author missing on page 1"),
    ("beta", "interrupted", "interrupted by SIGTERM"),
    ("beta", "ok", None),
]


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    db = open_archive(str(path))
    for minute, (source, status, error) in enumerate(HISTORY):
        started = f"2026-12-02T04:{minute:02d}:00.000Z"
        run = store.start_run(db, source=source, url=f"https://{source}.example/", now=started)
        db.execute("update runs set pages_fetched = ?, new_posts = ? where id = ?", [2, run, run])
        finished = f"2026-12-02T04:{minute:02d}:{30 + minute:02d}.500Z"
        store.finish_run(db, run, status=status, error=error, now=finished)
    db.close()
    return path


def runs(*args: str):
    result = CliRunner().invoke(cli, ["runs", *args])
    return result


def table(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()[1:]]


def test_runs_shows_each_sources_newest_runs_first_with_counts_and_errors(archive):
    result = runs(str(archive))
    assert result.exit_code == 0, result.output
    header, *lines = result.stdout.splitlines()
    assert header.split() == [
        "source", "started", "(UTC)", "took", "status", "pages", "new", "changed", "removed",
        "error",
    ]  # fmt: skip
    rows = table(result.stdout)
    assert [(r[0], r[5]) for r in rows] == [
        ("alpha", "ok"),
        ("alpha", "failed"),
        *[("alpha", "ok")] * 3,  # five per source by default
        ("beta", "ok"),
        ("beta", "interrupted"),
        ("beta", "degraded"),
    ]
    assert rows[1][1:4] == ["2026-12-02", "04:06:00", "36.5"]  # started, took (s)
    assert rows[1][6:10] == ["2", "7", "0", "0"]  # pages, new, changed, removed
    assert lines[1].endswith("  GET https://alpha.example/: HTTP 503")


def test_limit_source_and_failed_narrow_the_list(archive):
    limited = table(runs(str(archive), "--limit", "1").stdout)
    assert [(r[0], r[5]) for r in limited] == [("alpha", "ok"), ("beta", "ok")]
    beta = table(runs(str(archive), "--source", "beta").stdout)
    assert {r[0] for r in beta} == {"beta"} and len(beta) == 3
    failed = table(runs(str(archive), "--failed").stdout)
    assert [(r[0], r[5]) for r in failed] == [
        ("alpha", "failed"),
        ("beta", "interrupted"),
        ("beta", "degraded"),
    ]


def test_json_is_one_array_of_runs_with_their_duration(archive):
    result = runs(str(archive), "--json", "--source", "alpha", "--limit", "2")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["id"], r["status"], r["duration"]) for r in rows] == [
        (8, "ok", 37.5),
        (7, "failed", 36.5),
    ]
    assert rows[1]["error"] == "GET https://alpha.example/: HTTP 503"
    assert {"pages_fetched", "new_posts", "changed_posts", "removed_posts", "started"} <= set(
        rows[0]
    )


def test_an_unknown_source_is_a_usage_error_naming_the_known_ones(archive):
    result = runs(str(archive), "--source", "gamma")
    assert result.exit_code == 2
    assert "has no runs of source 'gamma' (sources: alpha, beta)" in result.output


def test_an_archive_without_runs_says_so(tmp_path):
    path = tmp_path / "empty.db"
    open_archive(str(path)).close()
    result = runs(str(path))
    assert result.exit_code == 0 and result.stdout == f"{path} has no runs\n"
    assert runs(str(path), "--json").stdout == "[]\n"
    failed = runs(str(path), "--failed")
    assert failed.stdout == f"{path} has no failed, degraded or interrupted runs\n"


def test_runs_only_reads_the_archive(archive):
    before = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert runs(str(archive)).exit_code == 0
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == before
    assert not Path(f"{archive}.lock").exists()  # no writer's lock taken
    wal = Path(f"{archive}-wal")  # SQLite may create it to read a WAL database: left empty
    assert not wal.exists() or wal.stat().st_size == 0


def test_a_running_run_shows_as_running(archive):
    db = open_archive(str(archive))
    store.start_run(db, source="beta", url="https://beta.example/")
    db.close()
    [newest, *_] = table(runs(str(archive), "--source", "beta").stdout)
    assert newest[3:5] == ["running", "running"]  # took, status


def test_after_real_scrapes_runs_reports_what_they_did(server: TestServer, tmp_path):
    serve_listing(server, [f"Post {i}" for i in range(12, 0, -1)])
    db = str(tmp_path / "a.db")
    for url in (server.url("/"), server.url("/missing/")):
        CliRunner().invoke(cli, ["scrape", db, url, "--delay", "0", "--source", "blog"])
    [failed, ok] = json.loads(runs(db, "--json").stdout)
    assert (ok["status"], ok["pages_fetched"], ok["new_posts"]) == ("ok", 2, 12)
    assert failed["status"] == "failed" and "/missing/" in failed["error"]


def test_the_runs_queries_read_the_runs_index_never_scan(archive):
    db = open_archive(str(archive))
    calls = [
        lambda: run_log.source_names(db),
        lambda: run_log.recent_runs(db, ["alpha", "beta"]),
        lambda: run_log.recent_runs(db, ["alpha"], failed=True),
    ]
    for call in calls:
        statements: list[str] = []
        db.conn.set_trace_callback(statements.append)
        call()
        db.conn.set_trace_callback(None)
        assert statements
        for sql in statements:
            assert full_scans(db.conn, sql) == [], sql
            plan = " ".join(row[3] for row in db.conn.execute(f"explain query plan {sql}"))
            # --failed reads the partial index of runs that say how far a walk got
            # (every failed, degraded or interrupted run is in it), the rest runs_source_id
            assert "INDEX runs_source_id" in plan or (
                "status in" in sql and "INDEX runs_walk_extent" in plan
            ), plan

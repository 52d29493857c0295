"""A scrape killed with SIGKILL mid-walk, then run again, over a real loopback server and a
real archive: every post once, never part of a page, the killed run recorded as interrupted.

Each page is one transaction (archive.store.save_page), so a kill can only ever cut between
pages; the next run takes the lock, marks the orphaned run ``interrupted`` and, because the
previous run did not finish ok, walks the whole listing again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from .current_oracle import assert_current_is_what_the_old_view_computed
from .scrape_process import DEADLINE, one, read, runs, wait_until
from .server import Reply, TestServer, serve_listing

PAGES, PER_PAGE = 10, 10
TITLES = [f"Post {i:03d}" for i in range(PAGES * PER_PAGE, 0, -1)]  # newest first
PAGE_PATHS = ["/", *(f"/page/{n}/" for n in range(2, PAGES + 1))]
STALL = 0.4  # seconds each page takes to answer: a walk lasts about 4 s
INTERRUPTED_ERROR = "the process stopped before the run finished"


def pages_committed(db: Path) -> int:
    rows = read(db, "select pages_fetched from runs order by id desc limit 1")
    return int(rows[0][0]) if rows else 0


def kill(process: subprocess.Popen[bytes]) -> None:
    assert process.poll() is None, "the scrape finished before it could be killed mid-walk"
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=DEADLINE) == -signal.SIGKILL


def archived_titles(db: Path) -> list[str]:
    rows = read(db, "select title from posts order by title desc")
    assert rows is not None
    return [title for (title,) in rows]


def assert_whole_pages_only(db: Path, pages: int) -> None:
    """Exactly the first ``pages`` pages are archived: every post of each, nothing of the
    next, and one sighting and one ``pages`` row per archived entry and page."""
    assert archived_titles(db) == TITLES[: pages * PER_PAGE]
    assert one(db, "select count(*) from posts") % PER_PAGE == 0
    assert one(db, "select count(*) from sightings") == pages * PER_PAGE
    assert one(db, "select count(*) from pages") == pages


def assert_current_matches(db: Path) -> None:
    """The stored current state is what the old view computed (tests/current_oracle)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=DEADLINE)
    try:
        assert_current_is_what_the_old_view_computed(conn)
    finally:
        conn.close()


def assert_every_post_once(db: Path) -> None:
    assert one(db, "select count(*) from posts") == len(TITLES)
    assert one(db, "select count(distinct title) from posts") == len(TITLES)
    assert one(db, "select count(distinct content_hash) from posts") == len(TITLES)
    assert archived_titles(db) == TITLES


def listing_requests_since(server: TestServer, mark: int) -> list[str]:
    return [r.path for r in server.requests[mark:] if r.path != "/robots.txt"]


def test_a_scrape_killed_mid_walk_leaves_whole_pages_and_a_rerun_archives_every_post_once(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=STALL)
    db = tmp_path / "archive.db"
    victim = scrapes.start(server.url("/"), db)
    wait_until(lambda: pages_committed(db) >= 2, victim, "two pages committed")
    kill(victim)

    [run] = runs(db)
    committed = int(run["pages_fetched"])
    assert 2 <= committed < PAGES  # killed mid-walk, not after it
    assert (run["status"], run["finished"], run["error"]) == ("running", None, None)
    assert run["entries_seen"] == committed * PER_PAGE
    assert_whole_pages_only(db, committed)
    assert_current_matches(db)

    mark = len(server.requests)
    rerun = scrapes.run(server.url("/"), db)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert_every_post_once(db)
    assert_current_matches(db)
    killed, new = runs(db)
    assert killed["status"] == "interrupted" and killed["finished"]
    assert killed["error"] == INTERRUPTED_ERROR
    assert killed["pages_fetched"] == committed  # its counts are what it really committed
    assert new["status"] == "ok" and new["finished"]
    # The killed run did not finish ok: no stopping at known posts, the whole listing again.
    assert (new["mode"], new["stop_reason"], new["pages_fetched"]) == ("full", "end", PAGES)
    assert listing_requests_since(server, mark) == PAGE_PATHS
    assert new["new_posts"] == len(TITLES) - committed * PER_PAGE
    times_seen = dict(read(db, "select title, times_seen from posts") or [])
    assert {t for t, n in times_seen.items() if n == 2} == set(TITLES[: committed * PER_PAGE])
    assert {t for t, n in times_seen.items() if n == 1} == set(TITLES[committed * PER_PAGE :])


def test_a_scrape_killed_during_its_first_page_leaves_no_posts_and_a_rerun_archives_all(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=0.05)
    first_page = server.routes["/"][0]
    # The first answer for page 1 hangs until the test has killed the scrape; later ones don't.
    server.route("/", Reply(body=first_page.body, stall=DEADLINE), first_page)
    db = tmp_path / "archive.db"
    victim = scrapes.start(server.url("/"), db)
    wait_until(lambda: server.hits("/") >= 1, victim, "the request for page 1")
    kill(victim)

    [run] = runs(db)  # the run was recorded before its first request
    assert (run["status"], run["finished"], run["pages_fetched"]) == ("running", None, 0)
    assert_whole_pages_only(db, 0)

    rerun = scrapes.run(server.url("/"), db)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert_every_post_once(db)
    killed, new = runs(db)
    assert (killed["status"], killed["error"]) == ("interrupted", INTERRUPTED_ERROR)
    assert killed["finished"]
    assert (new["status"], new["mode"], new["stop_reason"]) == ("ok", "full", "end")
    assert (new["pages_fetched"], new["new_posts"]) == (PAGES, len(TITLES))


def test_kills_at_different_moments_of_successive_runs_never_leave_a_partial_page(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=STALL)
    db = tmp_path / "archive.db"
    # Each run is killed at another moment: right after a commit, or part-way into the
    # next page's fetch (the walk restarts at page 1 after every kill).
    for pages, pause in [(1, 0.0), (3, 0.15), (2, 0.3)]:
        before = (read(db, "select count(*) from runs") or [(0,)])[0][0]
        victim = scrapes.start(server.url("/"), db)
        wait_until(
            lambda n=pages, b=before: (
                (read(db, "select count(*) from runs") or [(0,)])[0][0] > b
                and pages_committed(db) >= n
            ),
            victim,
            f"{pages} pages committed",
        )
        time.sleep(pause)  # only moves the kill: nothing is asserted about timing
        kill(victim)
        archived = one(db, "select count(*) from posts")
        assert archived % PER_PAGE == 0
        assert archived_titles(db) == TITLES[:archived]
        assert runs(db)[-1]["status"] == "running"

    rerun = scrapes.run(server.url("/"), db)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert_every_post_once(db)
    statuses = [run["status"] for run in runs(db)]
    assert statuses == ["interrupted", "interrupted", "interrupted", "ok"]
    assert all(run["finished"] for run in runs(db))

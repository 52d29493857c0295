"""Several processes on one archive, all real: two ``listing-archiver scrape`` runs (the lock
lets one in at a time), and a Datasette plus a plain SQLite reader reading while a run
writes (WAL: readers never block the writer, nor the writer them). No user ever sees
"database is locked".
"""

from __future__ import annotations

import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from listing_archiver.archive.schema import open_archive

from .datasette_process import OutputLog, datasette_process
from .scrape_process import DEADLINE, one, read, runs, wait_until
from .server import serve_listing

PAGES, PER_PAGE = 10, 10
TITLES = [f"Post {i:03d}" for i in range(PAGES * PER_PAGE, 0, -1)]
STALL = 0.3  # a walk of the listing lasts about 3 s
LOCKED = "database is locked"


def assert_every_post_once(db: Path) -> None:
    assert one(db, "select count(*) from posts") == len(TITLES)
    assert one(db, "select count(distinct title) from posts") == len(TITLES)
    rows = read(db, "select title from posts order by title desc") or []
    assert [title for (title,) in rows] == TITLES


def assert_never_locked(*outputs: str) -> None:
    for text in outputs:
        assert LOCKED not in text.lower(), text
        assert "Traceback" not in text, text


# --- two runs on one archive ---------------------------------------------------------------------


def test_of_two_scrapes_started_at_once_one_archives_and_the_other_exits_3_busy(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=STALL)
    db = tmp_path / "archive.db"
    both = [scrapes.start(server.url("/"), db), scrapes.start(server.url("/"), db)]
    outputs = [scrapes.output(p) for p in both]

    codes = [p.returncode for p in both]
    assert sorted(codes) == [0, 3], outputs
    (out, err), (busy_out, busy_err) = outputs[codes.index(0)], outputs[codes.index(3)]
    assert f"Error: archive {db} is busy" in busy_err
    assert "--wait" in busy_err  # it says how to wait instead
    assert busy_out == ""
    assert_never_locked(out, err, busy_out, busy_err)
    assert server.hits("/") == 1  # the busy run never touched the site
    assert_every_post_once(db)
    assert [r["status"] for r in runs(db)] == ["ok"]


def test_a_second_scrape_with_wait_runs_after_the_first_and_duplicates_nothing(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=STALL)
    db = tmp_path / "archive.db"
    first = scrapes.start(server.url("/"), db)
    # The lock is taken before any request: once page 1 is asked for, the first run holds it.
    wait_until(lambda: server.hits("/") >= 1, first, "the first run's first request")
    second = scrapes.start(server.url("/"), db, "--wait", "60")
    outputs = [scrapes.output(first), scrapes.output(second)]

    assert (first.returncode, second.returncode) == (0, 0), outputs
    assert_never_locked(*outputs[0], *outputs[1])
    assert_every_post_once(db)
    earlier, later = runs(db)
    assert (earlier["status"], later["status"]) == ("ok", "ok")
    assert later["started"] >= earlier["finished"]  # one after the other, never interleaved
    assert (earlier["new_posts"], later["new_posts"]) == (len(TITLES), 0)


def test_two_scrapes_started_at_once_that_both_wait_both_finish_one_after_the_other(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=STALL)
    db = tmp_path / "archive.db"
    both = [scrapes.start(server.url("/"), db, "--wait", "60") for _ in range(2)]
    outputs = [scrapes.output(p) for p in both]

    assert [p.returncode for p in both] == [0, 0], outputs
    assert_never_locked(*outputs[0], *outputs[1])
    assert_every_post_once(db)
    earlier, later = runs(db)
    assert (earlier["status"], later["status"]) == ("ok", "ok")
    assert later["started"] >= earlier["finished"]
    assert earlier["new_posts"] + later["new_posts"] == len(TITLES)


# --- readers while a run writes ------------------------------------------------------------------


@dataclass
class Datasette:
    base: str
    db: str  # the database's name in URLs: the file's stem
    log: OutputLog

    def get(self, path: str, **params: str) -> requests.Response:
        return requests.get(f"{self.base}/{self.db}{path}", params=params, timeout=10)


@contextmanager
def running_datasette(db_path: Path, tmp: Path) -> Iterator[Datasette]:
    """A real ``datasette serve`` on a free 127.0.0.1 port, always stopped afterwards."""
    with datasette_process(db_path, tmp) as (base, log):
        yield Datasette(base, db_path.stem, log)


@dataclass
class Hammer:
    """Datasette's JSON API asked, again and again, from a thread."""

    datasette: Datasette
    writer: subprocess.Popen[bytes]
    at_least: int = 200
    statuses: list[tuple[int, str]] = field(default_factory=list)
    while_writing: int = 0
    errors: list[BaseException] = field(default_factory=list)

    QUERIES = (
        ("/posts.json", {"_size": "5"}),
        ("/posts.json", {"_search": "post", "_size": "5"}),
        ("/current_posts.json", {"_size": "5"}),
        ("/runs.json", {"_size": "1"}),
    )

    def run(self) -> None:
        """At least ``at_least`` requests, and on until the writer has exited."""
        deadline = time.monotonic() + DEADLINE
        try:
            while (len(self.statuses) < self.at_least or self.writer.poll() is None) and (
                time.monotonic() < deadline
            ):
                writing = self.writer.poll() is None
                path, params = self.QUERIES[len(self.statuses) % len(self.QUERIES)]
                response = self.datasette.get(path, **params)
                self.statuses.append((response.status_code, response.text[:300]))
                if writing and self.writer.poll() is None:
                    self.while_writing += 1
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.errors.append(exc)


def pages_committed(db: Path) -> int:
    rows = read(db, "select pages_fetched from runs order by id desc limit 1")
    return int(rows[0][0]) if rows else 0


def test_datasette_and_a_held_read_transaction_never_block_a_scrape_nor_fail(
    server, tmp_path, scrapes
):
    serve_listing(server, TITLES, per_page=PER_PAGE, stall=STALL)
    db = tmp_path / "blog-archive.db"
    open_archive(str(db)).close()  # Datasette serves an existing archive; the run fills it
    with running_datasette(db, tmp_path) as datasette:
        writer = scrapes.start(server.url("/"), db)
        wait_until(lambda: pages_committed(db) >= 1, writer, "the first page committed")
        hammer = Hammer(datasette, writer)
        thread = threading.Thread(target=hammer.run, daemon=True)
        thread.start()

        # A plain reader holding one read transaction while the run commits page after page.
        with closing(sqlite3.connect(db, timeout=1, isolation_level=None)) as reader:
            reader.execute("begin")
            held = reader.execute("select count(*) from posts").fetchone()[0]
            pages_then = pages_committed(db)
            wait_until(
                lambda: pages_committed(db) >= pages_then + 2,
                writer,
                "two more pages committed while a read transaction was open",
            )
            assert reader.execute("select count(*) from posts").fetchone()[0] == held  # snapshot
            assert one(db, "select count(*) from posts") >= held + 2 * PER_PAGE
            reader.execute("commit")

        out, err = scrapes.output(writer)
        thread.join(timeout=DEADLINE)
        assert not thread.is_alive()
        final_search = datasette.get("/posts.json", _search="042", _shape="array")
        final_count = datasette.get("/posts.json", _size="0")

    assert writer.returncode == 0, (out, err)
    assert_never_locked(out, err, datasette.log.text())
    assert hammer.errors == []
    assert len(hammer.statuses) >= hammer.at_least
    assert [s for s in hammer.statuses if s[0] != 200] == []
    assert hammer.while_writing > 0  # the API was really asked while the run wrote
    assert_every_post_once(db)
    assert [r["status"] for r in runs(db)] == ["ok"]
    assert [row["title"] for row in final_search.json()] == ["Post 042"]
    assert final_count.json()["filtered_table_rows_count"] == len(TITLES)

"""The live progress display: each page is reported as soon as the archive has it, and
drawn on a terminal every time, with nothing left to timing.

Which pages are drawn must never depend on how fast the machine is: the walk's pages
are gated on the reports (the server answers page N+1 only once page N was reported),
and the display draws each report before it returns (so a terminal sees every page).
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.store import PageOutcome
from listing_archiver.report import live_progress
from listing_archiver.runner import RunOptions, run_sources
from listing_archiver.scraper.paginate import ListingPage
from listing_archiver.sources import Source
from listing_archiver.writer import SerialWriter

from .scrape_process import DEADLINE, read
from .server import TestServer, serve_listing

PAGES = 3
POSTS = [f"Post {i:04d}" for i in range(10 * PAGES, 0, -1)]  # 10 a page, newest first


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


def gate_each_page_on_the_report_of_the_one_before(
    server: TestServer,
) -> dict[int, threading.Event]:
    """Events set as each page is reported; page N+1 is answered only after page N's."""
    reported = {number: threading.Event() for number in range(1, PAGES + 1)}
    for number in range(2, PAGES + 1):
        server.routes[f"/page/{number}/"][0].gate = reported[number - 1]
    return reported


def test_each_page_is_reported_once_archived_and_before_the_next_is_fetched(server, db_path):
    # A report made only when the walk came back from fetching page N+1 would hold page
    # N+1 at the server until the hang guard: every page must be reported on its own.
    serve_listing(server, POSTS)
    reported = gate_each_page_on_the_report_of_the_one_before(server)
    calls: list[tuple[int, int, object]] = []

    def on_page(source: Source, page: ListingPage, outcome: PageOutcome) -> None:
        committed = read(db_path, "select count(*) from pages where url = ?", (page.requested_url,))
        calls.append((page.number, outcome.new, committed))
        reported[page.number].set()

    source = Source(name="blog", url=server.url("/"), delay=0)
    [report] = run_sources(
        SerialWriter(open_archive(str(db_path))),
        [source],
        options=RunOptions(full=True, obey_robots=False),
        on_page=on_page,
    )
    assert report.status == "ok", report.error
    # In order, each once, each already committed (a separate reader sees its row).
    assert calls == [(number, 10, [(1,)]) for number in range(1, PAGES + 1)]


# --- the display on a terminal -------------------------------------------------------------


@pytest.fixture
def terminal() -> Iterator[tuple[int, int]]:
    """A pseudo-terminal: (the program's end, the test's end), both closed afterwards."""
    master, slave = os.openpty()
    try:
        yield slave, master
    finally:
        os.close(master)
        os.close(slave)


def drain(fd: int) -> bytes:
    """What the program has written to the terminal so far (it wrote it synchronously)."""
    screen = b""
    while select.select([fd], [], [], 0)[0]:
        screen += os.read(fd, 65536)
    return screen


def page(number: int, *, not_modified: bool = False) -> ListingPage:
    url = f"http://127.0.0.1/page/{number}/"
    return ListingPage(number, url, url, "papermod", (), not_modified=not_modified)


def test_the_display_draws_every_report_before_it_returns(terminal, monkeypatch):
    slave, master = terminal
    monkeypatch.setenv("TERM", "xterm")  # a "dumb" terminal gets no live display
    source = Source(name="blog", url="http://127.0.0.1/")
    with os.fdopen(os.dup(slave), "w") as stream:
        assert stream.isatty()
        with live_progress(stream, enabled=True) as on_page:
            assert on_page is not None
            for number in range(1, 4):
                on_page(source, page(number), PageOutcome(10, number, 0))
                assert f"blog: page {number} ({number} new)".encode() in drain(master)
            on_page(source, page(4, not_modified=True), PageOutcome(0, 0, 0))
            assert b"blog: page 4 (not modified)" in drain(master)


def test_progress_is_shown_on_a_terminal_for_every_page_and_not_in_plain_output(server, db_path):
    serve_listing(server, POSTS)
    argv = [sys.executable, "-m", "listing_archiver", "scrape", str(db_path),
            server.url("/"), "--delay", "0"]  # fmt: skip
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}  # not "dumb"; lines not cut
    for forced in ("TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_TERMINAL", "NO_COLOR"):
        env.pop(forced, None)
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env
        )
        os.close(slave)  # the program holds the only other end: EOF when it exits
        screen = read_until_closed(master)
        stdout, _ = proc.communicate(timeout=DEADLINE)
    finally:
        os.close(master)
    assert proc.returncode == 0
    for number in range(1, PAGES + 1):  # the live display, on the terminal: every page
        assert f"page {number} (10 new)".encode() in screen, screen
    assert stdout.decode().count("\n") == 1  # the summary alone, on the plain pipe
    assert b"page 1" not in stdout


def read_until_closed(fd: int) -> bytes:
    """Everything written to the terminal until its last writer closes it (DEADLINE
    only guards against a hang)."""
    screen = b""
    while select.select([fd], [], [], DEADLINE)[0]:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the program has exited
            break
        if not chunk:
            break
        screen += chunk
    return screen

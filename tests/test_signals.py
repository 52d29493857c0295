"""SIGINT and SIGTERM sent to a real ``listing-archiver scrape`` process wherever it waits:
a Retry-After, a backoff, a stalled read, robots.txt, the politeness delay.

Each wait is 25-30 s and the process must be gone within EXIT_BOUND (20 s), so its exit
proves the wait was cut short without timing anything: the signal is sent when the
server sees the request or the process logs its wait, never after a sleep. Then: exit
130 / 143, one summary line saying interrupted, the run row ``interrupted`` and
finished, the pages committed before the signal kept, and a rerun that archives each
post once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import KW_ONLY, dataclass
from pathlib import Path

import pytest

from listing_archiver.interrupts import Interrupts
from listing_archiver.scraper.cancel import Cancellation

from .scrape_process import ROOT, Scrapes, one, read, runs, wait_until
from .server import Reply, TestServer, serve_listing

EXIT_BOUND = 20.0  # far below each 25-30 s wait the signal must cut short
LONG = 30.0  # the waits: Retry-After, backoff, politeness delay
STALL = 60.0  # a server that never answers while the test runs
PER_PAGE = 5
POSTS = [f"Post {i:02d}" for i in range(15, 0, -1)]  # three pages, newest first
SIGNALS = [signal.SIGINT, signal.SIGTERM]
LEFT_BEHIND = "did not stop within"  # the warning when a walk could not be woken


@dataclass(frozen=True)
class Moment:
    """Where the scrape is when the signal comes: the fault served, how the test knows
    the scrape is waiting in it, and what it had archived by then."""

    path: str  # the route the fault is on, or the scrape waits to ask for
    fault: Reply | None
    ready: Callable[[TestServer, Scrapes, subprocess.Popen[bytes], Path], bool]
    pages_before: int  # pages committed before the signal
    _: KW_ONLY
    asked: int = 1  # requests for ``path`` before the signal, and so in all
    options: tuple[str, ...] = ()
    module: str = "listing_archiver"


def logged_wait(server, scrapes, process, db) -> bool:
    return f"retrying in {LONG:.1f} s" in scrapes.stderr_so_far(process)


def asked_for(path: str) -> Callable[..., bool]:
    return lambda server, scrapes, process, db: server.hits(path) >= 1


def page_committed(server, scrapes, process, db) -> bool:
    rows = read(db, "select pages_fetched from runs")
    return bool(rows) and rows[0][0] >= 1


MOMENTS = {
    "retry-after": Moment(
        "/page/2/", Reply(status=429, headers={"Retry-After": f"{LONG:g}"}), logged_wait, 1
    ),
    # tests.slow_retries: the CLI with a 30 s backoff, so a 503 waits long enough to aim at
    "backoff": Moment("/page/2/", Reply(status=503), logged_wait, 1, module="tests.slow_retries"),
    "stalled-headers": Moment(
        "/page/2/", Reply(stall=STALL), asked_for("/page/2/"), 1, options=("--timeout", f"{LONG:g}")
    ),
    "stalled-body": Moment(  # headers and 100 bytes, then silence (the body deadline is 25 s)
        "/page/2/",
        Reply(body=b"<p>" + b"a" * 5000, stall=STALL, stall_after=100),
        asked_for("/page/2/"),
        1,
        options=("--timeout", f"{LONG:g}"),
    ),
    "robots-txt": Moment(
        "/robots.txt",
        Reply(stall=STALL),
        asked_for("/robots.txt"),
        0,
        options=("--timeout", f"{LONG:g}"),
    ),
    "politeness-delay": Moment(
        "/page/2/",
        None,
        page_committed,
        1,
        options=("--delay", f"{LONG:g}", "--ignore-robots"),
        asked=0,
    ),
}


def serve_with_fault(server: TestServer, moment: Moment) -> None:
    """The listing, with ``moment.fault`` as the first answer on its path; later answers
    are the right ones, so a rerun finds the listing whole."""
    serve_listing(server, POSTS, per_page=PER_PAGE)
    if moment.fault is not None:
        after = server.routes.get(moment.path, [Reply(status=404, body=b"no robots.txt")])
        server.route(moment.path, moment.fault, *after)


def summary(server: TestServer, sig: signal.Signals, pages: int) -> str:
    page_word = "page" if pages == 1 else "pages"
    entries = pages * PER_PAGE
    return (
        f"127.0.0.1:{server.port}: interrupted, {pages} {page_word} fetched, 0 not modified, "
        f"{entries} entries seen, {entries} new; error: interrupted by {sig.name}\n"
    )


def archived_titles(db: Path) -> list[str]:
    return [title for (title,) in read(db, "select title from posts order by title desc") or []]


def interrupt(
    scrapes: Scrapes, process: subprocess.Popen[bytes], sig: signal.Signals
) -> tuple[str, str]:
    """Send ``sig``; the process must be gone within EXIT_BOUND. Its stdout and stderr."""
    assert process.poll() is None, "the scrape ended before the signal"
    process.send_signal(sig)
    try:
        process.wait(timeout=EXIT_BOUND)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the scrape was still running {EXIT_BOUND} s after {sig.name}")
    return scrapes.output(process)


def assert_rerun_archives_each_post_once(scrapes: Scrapes, server: TestServer, db: Path) -> None:
    scrapes.module = "listing_archiver"
    rerun = scrapes.run(server.url("/"), db)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert archived_titles(db) == POSTS
    assert one(db, "select count(distinct content_hash) from posts") == len(POSTS)
    interrupted, new = runs(db)
    assert interrupted["status"] == "interrupted"
    # The interrupted run did not finish ok: the rerun walks the whole listing again.
    assert (new["status"], new["mode"], new["stop_reason"]) == ("ok", "full", "end")


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: s.name)
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_a_signal_stops_the_scrape_wherever_it_waits_and_records_the_run_interrupted(
    server, tmp_path, scrapes, moment, sig
):
    where = MOMENTS[moment]
    serve_with_fault(server, where)
    db = tmp_path / "archive.db"
    scrapes.module = where.module
    process = scrapes.start(server.url("/"), db, *where.options)
    wait_until(lambda: where.ready(server, scrapes, process, db), process, f"the {moment}")

    out, err = interrupt(scrapes, process, sig)

    assert process.returncode == 128 + sig == {"SIGINT": 130, "SIGTERM": 143}[sig.name]
    assert out == summary(server, sig, where.pages_before)
    assert "Traceback" not in err, err
    assert LEFT_BEHIND not in err  # the walk itself stopped and recorded its run
    [run] = runs(db)
    assert (run["status"], run["error"]) == ("interrupted", f"interrupted by {sig.name}")
    assert run["finished"] and run["pages_fetched"] == where.pages_before
    assert archived_titles(db) == POSTS[: where.pages_before * PER_PAGE]
    assert server.hits(where.path) == where.asked  # cut short: no (further) attempt
    assert_rerun_archives_each_post_once(scrapes, server, db)


@contextmanager
def unanswered_connects() -> Iterator[int]:
    """A port on which a connect hangs: its one-deep accept queue is already full, so
    the kernel drops further handshakes. Only the connect timeout would end one."""
    with socket.socket() as listener, socket.socket() as queued:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        queued.connect(listener.getsockname())
        yield listener.getsockname()[1]


def test_a_walk_stuck_in_a_connect_is_left_behind_and_its_run_recorded(tmp_path, scrapes):
    """A connect in progress has no socket to shut down yet: the process records the
    run itself after the grace period and leaves without the walk's thread."""
    db = tmp_path / "archive.db"
    with unanswered_connects() as port:
        scrapes.global_options = ("-vvv",)  # urllib3 logs each new connection (at -vvv)
        process = scrapes.start(f"http://127.0.0.1:{port}/", db, "--ignore-robots")
        wait_until(
            lambda: (
                f"Starting new HTTP connection (1): 127.0.0.1:{port}"
                in scrapes.stderr_so_far(process)
            ),
            process,
            "the connect",
        )
        out, err = interrupt(scrapes, process, signal.SIGTERM)

    assert process.returncode == 143, err
    assert out == (
        f"127.0.0.1:{port}: interrupted, 0 pages fetched, 0 not modified, 0 entries seen, "
        "0 new; error: interrupted by SIGTERM\n"
    )
    assert f"interrupted by SIGTERM: 127.0.0.1:{port} {LEFT_BEHIND}" in err
    assert "Traceback" not in err
    [run] = runs(db)
    assert (run["status"], run["error"]) == ("interrupted", "interrupted by SIGTERM")
    assert run["finished"]


def test_an_interrupted_scrape_with_json_still_prints_its_object(server, tmp_path, scrapes):
    serve_with_fault(server, MOMENTS["retry-after"])
    db = tmp_path / "archive.db"
    process = scrapes.start(server.url("/"), db, "--json")
    wait_until(lambda: logged_wait(server, scrapes, process, db), process, "the Retry-After wait")

    out, err = interrupt(scrapes, process, signal.SIGTERM)

    assert process.returncode == 143, err
    [source] = json.loads(out)["sources"]
    assert (source["status"], source["error"]) == ("interrupted", "interrupted by SIGTERM")
    assert source["new_posts"] == PER_PAGE


def test_sigterm_stops_every_source_of_a_run_each_with_its_line_and_a_total(
    server, tmp_path, scrapes
):
    """Two sources on two hosts (127.0.0.1 and localhost), walked at once, each caught in
    its own Retry-After; one SIGTERM stops both."""
    for prefix in ("/a", "/b"):
        serve_listing(server, POSTS, per_page=PER_PAGE, prefix=prefix)
        ok_page = server.routes[f"{prefix}/page/2/"]
        server.route(f"{prefix}/page/2/", MOMENTS["retry-after"].fault, *ok_page)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'delay = 0\n[[source]]\nname = "a"\nurl = "{server.url("/a/")}"\n'
        f'[[source]]\nname = "b"\nurl = "{server.url("/b/", "localhost")}"\n'
    )
    db = tmp_path / "archive.db"
    err_path = tmp_path / "run.err"
    with err_path.open("wb") as err_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "listing_archiver", "run", str(db), str(sources)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err_file,
        )
    scrapes.started.append(process)
    wait_until(
        lambda: err_path.read_text().count(f"retrying in {LONG:.1f} s") == 2, process, "waits"
    )
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=EXIT_BOUND)

    assert process.returncode == 143, err_path.read_text()
    lines = out.decode().splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["a", "b", "total"]
    assert all("interrupted, 1 page fetched" in line for line in lines[:2])
    assert lines[2].startswith("total: 2 sources (2 interrupted), 2 pages fetched")
    assert [(r["source"], r["status"], r["pages_fetched"]) for r in runs(db)] in (
        [("a", "interrupted", 1), ("b", "interrupted", 1)],
        [("b", "interrupted", 1), ("a", "interrupted", 1)],
    )
    assert all(r["finished"] and r["error"] == "interrupted by SIGTERM" for r in runs(db))


def full_pipe() -> tuple[int, int]:
    """A pipe whose buffer is already full: whoever writes to it next blocks."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"." * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    return read_end, write_end


def test_a_second_sigint_while_the_scrape_shuts_down_exits_at_once(server, tmp_path, scrapes):
    """The shutdown is held where the test can see it: stdout is a full pipe, so after
    recording the run interrupted the scrape blocks printing its summary, and would for
    ever. Only the second SIGINT can end it, and it does, with 130."""
    serve_with_fault(server, MOMENTS["retry-after"])
    db = tmp_path / "archive.db"
    read_end, write_end = full_pipe()
    err_path = tmp_path / "held.err"
    with err_path.open("wb") as err_file:
        process = subprocess.Popen(
            scrapes.command(server.url("/"), db),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=err_file,
        )
    os.close(write_end)
    scrapes.started.append(process)
    try:
        wait_until(lambda: f"retrying in {LONG:.1f} s" in err_path.read_text(), process, "wait")
        process.send_signal(signal.SIGINT)
        wait_until(lambda: runs(db)[0]["status"] == "interrupted", process, "the run recorded")
        assert process.poll() is None  # held: the summary cannot be written

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=EXIT_BOUND) == 130
    finally:
        os.set_blocking(read_end, False)
        with open(read_end, "rb", closefd=True) as pipe:
            printed = pipe.read() or b""
    assert b"interrupted" not in printed  # it left without finishing the summary
    err = err_path.read_text()
    assert "SIGINT: exiting at once" in err and "Traceback" not in err
    assert archived_titles(db) == POSTS[:PER_PAGE]
    assert_rerun_archives_each_post_once(scrapes, server, db)


# --- the handlers' logic, without signals ----------------------------------------------------


class Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def exit_now(code: int):  # stands in for os._exit
    raise Exited(code)


def test_the_first_signal_cancels_the_run_and_sets_the_exit_code_without_exiting():
    cancel = Cancellation()
    interrupts = Interrupts(cancel, exit_now=exit_now)
    interrupts.graceful = True
    interrupts.handle(signal.SIGTERM)
    assert cancel.cancelled and cancel.reason == "interrupted by SIGTERM"
    assert interrupts.exit_code == 143


@pytest.mark.parametrize(("second", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_second_signal_exits_at_once_with_its_own_code(second, code):
    interrupts = Interrupts(Cancellation(), exit_now=exit_now)
    interrupts.graceful = True
    interrupts.handle(signal.SIGINT)
    with pytest.raises(Exited) as exited:
        interrupts.handle(second)
    assert exited.value.code == code


def test_a_signal_before_the_run_has_started_exits_at_once():
    cancel = Cancellation()
    interrupts = Interrupts(cancel, exit_now=exit_now)  # waiting for the lock: not graceful
    with pytest.raises(Exited) as exited:
        interrupts.handle(signal.SIGINT)
    assert exited.value.code == 130

"""``python -m bench --distributed``: issue 15's benchmark of ``run --broker``.

200 sources of 5 pages (10 posts a page) with a 0.2 s delay, each on its own loopback
listener (its own ``host:port``, so its own politeness clock): the wall time of a run
on 1, 2 and 4 worker processes of ``THREADS`` threads each, against a local ``run
--jobs N`` of the same total threads; then the writer's ceiling, the pages a second it
archives from the stream when the workers are not the limit (every walk finished into
the stream while the writer was stopped with SIGSTOP, then timed from SIGCONT).

Needs redis-server on PATH and the ``distributed`` extra. Progress goes to stderr, the
table to stdout.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .measure import progress
from .proc import ChildResult, run_here
from .server import BenchServer
from .site import SiteSpec

SOURCES, PAGES, PER_PAGE, DELAY = 200, 5, 10, 0.2
THREADS = 16  # per worker process
WORKERS = (1, 2, 4)
ROOT = Path(__file__).resolve().parents[1]
TOOL = [sys.executable, "-m", "listing_archiver"]
DEADLINE = 600.0


def main() -> int:
    if shutil.which("redis-server") is None:
        progress("redis-server is not installed (apt-get install redis-server)")
        return 2
    specs = [SiteSpec(site_id=f"d{i:03d}", pages=PAGES, per_page=PER_PAGE) for i in range(SOURCES)]
    with tempfile.TemporaryDirectory(prefix="listing-archiver-dist-") as folder:
        work = Path(folder)
        with BenchServer(specs) as server:
            sources = work / "sources.toml"
            lines = [f"delay = {DELAY}"]
            for i, spec in enumerate(specs):
                lines += ["", "[[source]]", f'name = "{spec.site_id}"', f'url = "{server.url(i)}"']
            sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
            redis = _start_redis(work)
            try:
                rows = _measure(work, sources, f"redis://127.0.0.1:{redis[1]}/0")
            finally:
                redis[0].kill()
                redis[0].wait()
    print(_table(*rows))
    return 0


def _measure(
    work: Path, sources: Path, broker: str
) -> tuple[list[tuple[int, float, float]], float]:
    walls = []
    for count in WORKERS:
        threads = count * THREADS
        local = _run(sources, work / f"local-{count}.db", "--jobs", str(threads))
        progress(f"local run --jobs {threads}: {local.wall:.2f} s")
        workers = [_start_worker(work, broker, index) for index in range(count)]
        try:
            remote = _run(sources, work / f"dist-{count}.db", "--broker", broker)
        finally:
            _stop(workers)
        progress(f"{count} workers x {THREADS} threads: {remote.wall:.2f} s")
        walls.append((count, local.wall, remote.wall))
    return walls, _writer_ceiling(work, sources, broker)


def _run(sources: Path, db: Path, *extra: str) -> ChildResult:
    argv = [*TOOL, "run", str(sources), "--db", str(db), "--ignore-robots", "--quiet", *extra]
    result = run_here(argv, timeout=DEADLINE).check()
    _expect_posts(db)
    return result


def _writer_ceiling(work: Path, sources: Path, broker: str) -> float:
    """Pages a second the writer archives from a stream already full: the writer sends
    every walk with no worker up and is stopped (SIGSTOP) once all 200 are queued; the
    workers then fill the stream, and the writer is timed from SIGCONT to its exit."""
    import redis

    client = redis.Redis.from_url(broker, decode_responses=True)
    db = work / "ceiling.db"
    argv = [*TOOL, "run", str(sources), "--db", str(db), "--ignore-robots", "--quiet"]
    writer = subprocess.Popen(
        [*argv, "--broker", broker], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
    )
    workers: list[subprocess.Popen[bytes]] = []
    try:
        queued = "listing-archiver:listing-archiver-walks.msgs"  # Dramatiq's message hash
        _wait(lambda: client.hlen(queued) >= SOURCES, "every walk queued")
        writer.send_signal(signal.SIGSTOP)
        [stream] = client.scan_iter("listing-archiver:pages:*")
        workers = [_start_worker(work, broker, 10 + index) for index in range(WORKERS[-1])]
        entries = SOURCES * (PAGES + 1)  # every page and every walk's end
        _wait(lambda: client.xlen(stream) >= entries, "every walk in the stream")
        start = time.perf_counter()
        writer.send_signal(signal.SIGCONT)
        writer.wait(DEADLINE)
        took = time.perf_counter() - start
    finally:
        _stop(workers)
        if writer.poll() is None:
            writer.kill()
    _expect_posts(db)
    progress(f"writer: {SOURCES * PAGES} pages from the stream in {took:.2f} s")
    return SOURCES * PAGES / took


def _start_worker(work: Path, broker: str, index: int) -> subprocess.Popen[bytes]:
    log = work / f"worker-{index}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [*TOOL, "worker", "--broker", broker, "--threads", str(THREADS)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
    _wait(lambda: "waiting for walks" in log.read_text(errors="replace"), f"worker {index}")
    return process


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _start_redis(work: Path) -> tuple[subprocess.Popen[bytes], int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    log = work / "redis.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(work)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    _wait(lambda: "Ready to accept connections" in log.read_text(errors="replace"), "redis")
    return process, port


def _wait(condition, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no {what} within {DEADLINE} s")
        time.sleep(0.05)
    return result


def _expect_posts(db: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        count = conn.execute("select count(*) from posts").fetchone()[0]
    finally:
        conn.close()
    if count != SOURCES * PAGES * PER_PAGE:
        raise RuntimeError(f"{db.name}: {count} posts, expected {SOURCES * PAGES * PER_PAGE}")


def _table(walls: list[tuple[int, float, float]], ceiling: float) -> str:
    lines = [
        f"{SOURCES} sources x {PAGES} pages, {DELAY} s delay, each on its own loopback"
        f" listener; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}",
        "",
        "| workers x threads | local `run --jobs N` | `run --broker` | broker / local |",
        "| --- | ---: | ---: | ---: |",
    ]
    for count, local, remote in walls:
        lines.append(
            f"| {count} x {THREADS} (N = {count * THREADS}) | {local:.2f} s | {remote:.2f} s"
            f" | {remote / local:.2f} |"
        )
    lines += ["", f"writer's ceiling: {ceiling:,.0f} pages/s archived from the stream"]
    return "\n".join(lines)

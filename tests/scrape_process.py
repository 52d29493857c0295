"""``listing-archiver scrape`` as real subprocesses, and read-only looks at their archive:
shared by the crash and concurrency tests."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0  # generous bounds for a loaded machine; no assertion hangs on a fixed sleep


class Scrapes:
    """``listing-archiver scrape`` subprocesses; whatever is still running at teardown is
    killed, so a failing test never leaves a writer behind."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.started: list[subprocess.Popen[bytes]] = []
        self.module = "listing_archiver"  # what ``python -m`` runs: the tool, or a launcher
        self.global_options: tuple[str, ...] = ()  # before the command, e.g. ("-v",)

    def command(self, url: str, db: Path, *extra: str) -> list[str]:
        return [sys.executable, "-m", self.module, *self.global_options, "scrape", str(db),
                url, "--delay", "0", *extra]  # fmt: skip

    def start(self, url: str, db: Path, *extra: str) -> subprocess.Popen[bytes]:
        """A scrape in the background, its stdout and stderr kept in files."""
        name = self.tmp / f"scrape-{len(self.started)}"
        with name.with_suffix(".out").open("wb") as out, name.with_suffix(".err").open("wb") as err:
            process = subprocess.Popen(
                self.command(url, db, *extra),
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )
        self.started.append(process)
        return process

    def stderr_so_far(self, process: subprocess.Popen[bytes]) -> str:
        """What the running ``process`` has written to stderr until now."""
        name = self.tmp / f"scrape-{self.started.index(process)}"
        return name.with_suffix(".err").read_text("utf-8", errors="replace")

    def output(self, process: subprocess.Popen[bytes]) -> tuple[str, str]:
        """The finished ``process``'s stdout and stderr."""
        process.wait(timeout=DEADLINE)
        name = self.tmp / f"scrape-{self.started.index(process)}"
        out, err = (name.with_suffix(s).read_text("utf-8") for s in (".out", ".err"))
        return out, err

    def run(self, url: str, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        """A scrape to completion (bounded by DEADLINE)."""
        return subprocess.run(
            self.command(url, db, *extra),
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=DEADLINE)


def read(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple] | None:
    """Rows from a read-only look at the archive, or None while it cannot answer yet
    (no file, schema not created, a writer's lock held past the short timeout)."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return None
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def one(db: Path, sql: str, params: tuple[object, ...] = ()) -> object:
    rows = read(db, sql, params)
    assert rows is not None, f"the archive could not answer {sql!r}"
    return rows[0][0]


def wait_until(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the scrape exited {process.returncode} before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {DEADLINE} s")
        time.sleep(0.02)


def runs(db: Path) -> list[dict[str, object]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute("select * from runs order by id")]
    finally:
        conn.close()

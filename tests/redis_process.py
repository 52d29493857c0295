"""A real ``redis-server`` on a free loopback port, and ``listing-archiver worker``
processes against it, for the distributed tests. Each waits on a line its process
prints (Redis's "Ready to accept connections", the worker's "waiting for walks"), as
``datasette_process.OutputLog`` follows it, never on a sleep."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .datasette_process import OutputLog

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0
HEARTBEAT = "1.5"  # seconds: a killed worker's walk comes back this soon (60 by default)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def follow(command: list[str], log: Path, text: str, **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``command`` with its output followed into ``log``; returned once it prints
    ``text`` (a test fails if it exits first, or says nothing of the kind for a minute)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **popen
    )
    output = OutputLog(process, log)
    if not output.wait_for(text, DEADLINE):
        process.kill()
        pytest.fail(f"{command} did not print {text!r}: {output.text()[-2000:]}")
    return process


class RedisProcess:
    """``redis-server`` without persistence: a restart loses everything, the harshest
    broker failure."""

    def __init__(self, tmp: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.tmp = tmp
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisProcess:
        self.starts += 1
        self.process = follow(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
            self.tmp / f"redis-{self.starts}.log",
            "Ready to accept connections",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=DEADLINE)


class Workers:
    """``listing-archiver worker`` processes; those still running at teardown are killed."""

    def __init__(self, tmp: Path, broker_url: str) -> None:
        self.tmp = tmp
        self.broker_url = broker_url
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, *, module: str = "listing_archiver", threads: int = 1
    ) -> subprocess.Popen[bytes]:
        env = {**os.environ, "LISTING_ARCHIVER_HEARTBEAT": HEARTBEAT}
        process = follow(
            [sys.executable, "-m", module, "-v", "worker", "--broker", self.broker_url,
             "--threads", str(threads)],
            self.log(len(self.started)),
            "waiting for walks",
            cwd=ROOT, env=env,
        )  # fmt: skip
        self.started.append(process)
        return process

    def log(self, index: int) -> Path:
        return self.tmp / f"worker-{index}.log"

    def output(self, process: subprocess.Popen[bytes]) -> str:
        return self.log(self.started.index(process)).read_text("utf-8", errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

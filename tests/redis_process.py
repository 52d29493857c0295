"""A real ``redis-server`` on a free loopback port, and ``listing-archiver worker``
processes against it, for the distributed tests. Each waits on a line its process
prints (Redis's "Ready to accept connections", the worker's "waiting for walks"),
never on a sleep; the deadline only guards against hanging."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0
HEARTBEAT = "1.5"  # seconds: a killed worker's walk comes back this soon (60 by default)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE
    while text not in log.read_text("utf-8", errors="replace"):
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited {process.returncode}: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {text!r} in {log} within {DEADLINE} s")
        time.sleep(0.02)


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
        log = self.tmp / f"redis-{self.starts}.log"
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no", "--dir", str(self.tmp)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )  # fmt: skip
        wait_for_line(log, "Ready to accept connections", self.process)
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
        log = self.log(len(self.started))
        env = {**os.environ, "LISTING_ARCHIVER_HEARTBEAT": HEARTBEAT}
        with log.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", module, "-v", "worker", "--broker", self.broker_url,
                 "--threads", str(threads)],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            )  # fmt: skip
        self.started.append(process)
        wait_for_line(log, "waiting for walks", process)
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

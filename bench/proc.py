"""Run one command as a user would, timing it and reading its own peak memory.

Peak memory comes from the kernel: ``os.wait4`` returns the rusage of exactly the
child it reaps, whose ``ru_maxrss`` is that process's high-water resident set (KiB on
Linux). No polling, so no sampling gap and no cost to the child.

One trap: Linux carries the *spawning* process's high-water mark into the child at
``execve`` (``subprocess`` uses ``vfork``, so the old address space is the parent's),
so a child of the bench process, which holds 1,000 pages and their parse results,
would report at least the bench's own peak. Children are therefore started by a small
launcher process (``python -m bench.proc``, a few MiB, started once) that does nothing
else; the floor it leaves under every figure is its own footprint, printed with the
results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class ChildResult:
    argv: tuple[str, ...]
    wall: float  # seconds from spawn to reaped
    max_rss_kib: int  # the child's own peak resident set
    cpu: float  # user + system seconds of the child
    returncode: int
    stdout: str
    stderr: str

    @property
    def max_rss_mib(self) -> float:
        return self.max_rss_kib / 1024

    def check(self) -> ChildResult:
        """Itself, or ``RuntimeError`` with the child's output if it failed."""
        if self.returncode != 0:
            raise RuntimeError(
                f"{' '.join(self.argv)} exited {self.returncode}\n"
                f"stdout: {self.stdout[-2000:]}\nstderr: {self.stderr[-4000:]}"
            )
        return self


def run_here(argv: Sequence[str], timeout: float = 600.0) -> ChildResult:
    """Run ``argv`` from the project root with output to files (never a terminal, so no
    live progress line; never a pipe, so no deadlock), and reap it with ``wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        watchdog = threading.Timer(timeout, process.kill)  # a hung child ends, reaped below
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)  # blocks: no polling to skew timings
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return ChildResult(
            argv=tuple(argv),
            wall=wall,
            max_rss_kib=usage.ru_maxrss,
            cpu=usage.ru_utime + usage.ru_stime,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


class Launcher:
    """The launcher process, driven one command at a time over its stdin and stdout."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.proc"],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, argv: Sequence[str], timeout: float = 600.0) -> ChildResult:
        stdin, stdout = self._pipes()
        stdin.write(json.dumps({"argv": list(argv), "timeout": timeout}) + "\n")
        stdin.flush()
        line = stdout.readline()
        if not line:
            raise RuntimeError("the bench launcher process died")
        fields: dict[str, Any] = json.loads(line)
        fields["argv"] = tuple(fields["argv"])
        return ChildResult(**fields)

    def close(self) -> None:
        stdin, _ = self._pipes()
        stdin.close()
        self._process.wait(10)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout


def main() -> None:
    """The launcher's loop: one JSON command a line in, one JSON result a line out."""
    for line in sys.stdin:
        request = json.loads(line)
        result = run_here(request["argv"], request["timeout"])
        sys.stdout.write(json.dumps(asdict(result)) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

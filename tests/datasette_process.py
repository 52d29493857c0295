"""A real ``datasette serve`` for tests: a free 127.0.0.1 port, started with the
archive's own metadata, waited for, and always stopped afterwards."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from listing_archiver.serve import datasette_command, metadata_for

STARTUP_TIMEOUT = 60.0  # only guards against a hang: the wait is for uvicorn's line
RUNNING = "Uvicorn running on"  # what uvicorn prints once it accepts connections


class OutputLog:
    """A child's output (stdout and stderr together), copied line by line to ``path`` by a
    thread, and waited on by content: a test waits for what the child says, never on a
    clock. The thread ends, and closes the pipe, when the child's output does."""

    def __init__(self, process: subprocess.Popen[bytes], path: Path) -> None:
        self.path = path
        self._lines: list[str] = []
        self._ended = False
        self._changed = threading.Condition()
        assert process.stdout is not None
        threading.Thread(target=self._copy, args=(process.stdout,), daemon=True).start()

    def _copy(self, stream: IO[bytes]) -> None:
        with stream, self.path.open("ab") as out:
            for raw in stream:
                out.write(raw)
                out.flush()
                with self._changed:
                    self._lines.append(raw.decode("utf-8", errors="replace"))
                    self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, needle: str, timeout: float = STARTUP_TIMEOUT) -> bool:
        """Whether a line holding ``needle`` came before the output ended (``timeout``
        only guards against a hang)."""
        with self._changed:
            self._changed.wait_for(lambda: self._ended or self._has(needle), timeout)
            return self._has(needle)

    def _has(self, needle: str) -> bool:
        return any(needle in line for line in self._lines)

    def text(self) -> str:
        with self._changed:
            return "".join(self._lines)


def start_following(
    command: list[str], log_path: Path, **popen: Any
) -> tuple[subprocess.Popen[bytes], OutputLog]:
    """Start ``command`` with its output followed into ``log_path``; returned once uvicorn
    says it is running (a test fails if the child exits or says nothing of the kind)."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        **popen,
    )
    output = OutputLog(process, log_path)
    if not output.wait_for(RUNNING) or process.poll() is not None:
        process.kill()
        process.wait()
        pytest.fail(f"{command[2:4]} did not start (exit {process.poll()}): {output.text()}")
    return process, output


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def datasette_process(
    db_path: Path, tmp: Path, metadata: dict[str, Any] | None = None
) -> Iterator[tuple[str, OutputLog]]:
    """Yields the base URL and Datasette's followed output. ``metadata`` replaces the
    archive's own (``serve.metadata_for``)."""
    metadata_path = tmp / "metadata.json"
    metadata_path.write_text(json.dumps(metadata or metadata_for(db_path)), "utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process, log = start_following(
        datasette_command(db_path, metadata_path, port), tmp / "datasette.log"
    )
    try:
        assert requests.get(f"{base}/-/versions.json", timeout=10).ok
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

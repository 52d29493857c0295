"""A real ``datasette serve`` for tests: a free 127.0.0.1 port, started with the
archive's own metadata, waited for, and always stopped afterwards."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from listing_archiver.serve import datasette_command, metadata_for

STARTUP_TIMEOUT = 20.0  # seconds Datasette gets to answer /-/versions.json


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def datasette_process(db_path: Path, tmp: Path) -> Iterator[tuple[str, Path]]:
    """Yields the base URL and the path of Datasette's log."""
    metadata_path = tmp / "metadata.json"
    metadata_path.write_text(json.dumps(metadata_for(db_path)), "utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "datasette.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            datasette_command(db_path, metadata_path, port), stdout=log, stderr=log
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"Datasette exited {process.returncode}: {log_path.read_text()}")
            try:
                if requests.get(f"{base}/-/versions.json", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"Datasette did not answer within {STARTUP_TIMEOUT} s")
            time.sleep(0.1)
        yield base, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

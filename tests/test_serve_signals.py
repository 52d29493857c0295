"""``listing-archiver serve`` as a real process with a real Datasette, stopped by a real
SIGTERM, SIGHUP or SIGINT: Datasette goes with it, the port is free for the next serve,
the metadata's temporary folder is gone, and the exit code is 0 (a clean stop)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from listing_archiver.archive.schema import open_archive

from .datasette_process import free_port, start_following
from .scrape_process import ROOT

EXIT_BOUND = 20.0  # Datasette stops in well under a second; this only guards a hang


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid``, from /proc (the tests run on Linux)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone while we looked
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def start_serve(db: Path, port: int, tmp: Path, log: Path) -> subprocess.Popen[bytes]:
    """``serve`` with its temporary files in ``tmp``, answering on ``port``: returned once
    uvicorn says it is running (its output copied to ``log`` meanwhile and after)."""
    command = [sys.executable, "-m", "listing_archiver", "serve", str(db), "--port", str(port)]
    process, _ = start_following(command, log, cwd=ROOT, env={**os.environ, "TMPDIR": str(tmp)})
    assert requests.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=10).ok
    return process


def stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> int:
    process.send_signal(sig)
    try:
        return process.wait(timeout=EXIT_BOUND)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"serve was still running {EXIT_BOUND} s after {sig.name}")


@pytest.mark.parametrize(
    "sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=lambda s: s.name
)
def test_a_signal_to_serve_stops_datasette_frees_the_port_and_removes_the_temp_folder(
    tmp_path, sig
):
    db = tmp_path / "archive.db"
    open_archive(str(db)).close()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port, log = free_port(), tmp_path / "serve.log"
    serve = start_serve(db, port, tmp, log)
    try:
        [datasette] = children_of(serve.pid)
        [folder] = tmp.iterdir()  # the metadata's folder, while Datasette runs
        assert (folder / "metadata.json").is_file()

        assert stop(serve, sig) == 0, log.read_text()
    finally:
        if serve.poll() is None:
            serve.kill()
    assert not is_running(datasette)
    assert list(tmp.iterdir()) == []
    assert "Traceback" not in log.read_text()

    again = start_serve(db, port, tmp, log)  # the port was let go: the restart works
    try:
        assert stop(again, signal.SIGTERM) == 0
    finally:
        if again.poll() is None:
            again.kill()
    assert list(tmp.iterdir()) == []

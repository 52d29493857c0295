"""``listing-archiver serve``'s ``--host`` and the options it passes on to Datasette, as a real
``serve`` process with a real Datasette on a free 127.0.0.1 port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from listing_archiver.archive.schema import open_archive

from .datasette_process import OutputLog, free_port, start_following
from .scrape_process import ROOT

STOP_BOUND = 60.0  # only guards against a hang


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / "archive.db"
    open_archive(str(path)).close()
    return path


def command(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "listing_archiver", "serve", str(db), *args]


@contextmanager
def serving(db: Path, tmp: Path, *args: str) -> Iterator[tuple[str, OutputLog]]:
    """``serve DB --port P *args`` until the block ends; yields the base URL and its output."""
    port = free_port()
    process, log = start_following(
        command(db, "--port", str(port), *args),
        tmp / "serve.log",
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp)},
    )
    try:
        yield f"http://127.0.0.1:{port}", log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_BOUND)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_options_serve_does_not_know_reach_datasette_and_override_its_settings(archive, tmp_path):
    with serving(archive, tmp_path, "--setting", "sql_time_limit_ms", "5000") as (base, log):
        settings = requests.get(f"{base}/-/settings.json", timeout=10).json()
        assert settings["sql_time_limit_ms"] == 5000  # ours is 3000: the user's comes last
        assert settings["truncate_cells_html"] == 140  # our other settings stay
        assert f"Uvicorn running on {base}" in log.text()  # --host defaults to 127.0.0.1
        assert (
            "Access-Control-Allow-Origin" not in requests.get(f"{base}/.json", timeout=10).headers
        )


def test_options_after_a_double_dash_reach_datasette(archive, tmp_path):
    with serving(archive, tmp_path, "--", "--cors") as (base, _):
        answer = requests.get(f"{base}/.json", timeout=10)
        assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_host_is_where_datasette_listens(archive, tmp_path):
    # localhost, not another address: the tests contact 127.0.0.1 only
    with serving(archive, tmp_path, "--host", "localhost") as (base, log):
        assert "Uvicorn running on http://localhost:" in log.text()
        assert requests.get(f"{base}/-/versions.json", timeout=10).ok


def test_an_option_datasette_does_not_know_either_is_datasettes_usage_error(archive, tmp_path):
    done = subprocess.run(
        command(archive, "--port", str(free_port()), "--no-such-option"),
        cwd=ROOT,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=STOP_BOUND,
    )
    assert done.returncode == 2  # Datasette's exit code, passed on
    assert "datasette serve" in done.stderr and "No such option" in done.stderr
    assert "--no-such-option" in done.stderr
    assert not list(tmp_path.glob("listing-archiver-*"))  # the metadata's folder is gone

"""A dead host fails at once: a name that does not resolve, or a port nobody listens on,
is asked once (no retries, no backoff) and the error names the page, not robots.txt.
Attempts are counted from the fetcher's own ``GET`` line at -vv, never from the clock.

Only 127.0.0.1 is contacted. A name that does not resolve is, hermetically, one longer
than DNS allows (263 characters): the C library refuses it without sending a query
(checked with strace on the CI image), so ``requests`` raises the real
``NameResolutionError`` caused by a real ``socket.gaierror``."""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from listing_archiver.cli import cli
from listing_archiver.scraper.connect import HOST_NOT_FOUND, REFUSED, connect_failure
from listing_archiver.scraper.errors import ConnectFailed
from listing_archiver.scraper.fetch import Fetcher

from .conftest import FAST
from .scrape_process import DEADLINE, ROOT
from .server import Reply, TestServer

UNRESOLVABLE = "http://" + "a." * 130 + "com/"  # 263 characters: the resolver says no


@pytest.fixture
def refused_port() -> int:
    """A port nobody listens on: bound, then closed, so the kernel refuses connections."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def listing_archiver(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "listing_archiver", "-vv", *args],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def attempts(stderr: str, url: str) -> int:
    """How many requests for ``url`` the fetcher made, from its -vv ``GET`` lines."""
    return sum(line.endswith(f"GET {url}") for line in stderr.splitlines())


def test_a_refused_port_fails_the_scrape_after_one_attempt_naming_the_page(refused_port, tmp_path):
    url = f"http://127.0.0.1:{refused_port}/"
    result = listing_archiver("scrape", str(tmp_path / "a.db"), url, "--delay", "0")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.endswith(f"error: cannot connect to {url} (connection refused)\n")
    assert "robots.txt" not in result.stdout
    # robots.txt is what met the dead host: asked once, and the page never asked
    assert attempts(result.stderr, f"{url}robots.txt") == 1
    assert attempts(result.stderr, url) == 0
    assert "retrying" not in result.stderr and "WARNING" not in result.stderr


def test_a_refused_port_without_robots_txt_asks_for_the_page_once(refused_port, tmp_path):
    url = f"http://127.0.0.1:{refused_port}/page/2/"
    db = str(tmp_path / "a.db")
    result = listing_archiver("scrape", db, url, "--delay", "0", "--ignore-robots")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"error: cannot connect to {url} (connection refused)" in result.stdout
    assert attempts(result.stderr, url) == 1
    assert "retrying" not in result.stderr


def test_probe_of_a_refused_port_fails_after_one_attempt_naming_the_page(refused_port):
    url = f"http://127.0.0.1:{refused_port}/page/2/"
    result = listing_archiver("probe", url)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Error: cannot connect to {url} (connection refused)" in result.stderr
    robots = f"http://127.0.0.1:{refused_port}/robots.txt"
    assert attempts(result.stderr, robots) == 1 and attempts(result.stderr, url) == 0
    assert "retrying" not in result.stderr


def test_a_run_of_a_sources_file_fails_a_dead_source_at_once(refused_port, tmp_path):
    url = f"http://127.0.0.1:{refused_port}/"
    sources = tmp_path / "sources.toml"
    sources.write_text(f'delay = 0\n[[source]]\nname = "dead"\nurl = "{url}"\n', "utf-8")
    result = listing_archiver("run", str(tmp_path / "a.db"), str(sources))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "dead: failed, 0 pages fetched" in result.stdout
    assert f"error: cannot connect to {url} (connection refused)" in result.stdout
    assert attempts(result.stderr, f"{url}robots.txt") == 1
    assert "retrying" not in result.stderr


def test_a_name_that_does_not_resolve_is_asked_once(caplog):
    caplog.set_level(logging.DEBUG, logger="listing_archiver.scraper.fetch")
    fetcher = Fetcher(FAST)
    try:
        with pytest.raises(ConnectFailed) as failed:
            fetcher.get(UNRESOLVABLE)
    finally:
        fetcher.close()
    assert failed.value.reason == HOST_NOT_FOUND
    assert str(failed.value) == f"cannot connect to {UNRESOLVABLE} ({HOST_NOT_FOUND})"
    requests_made = [r for r in caplog.records if r.getMessage() == f"GET {UNRESOLVABLE}"]
    assert len(requests_made) == 1
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]


def test_a_host_that_answered_before_is_retried_when_it_refuses(caplog):
    """A refusal from a host that has answered this walk may be a restart: the usual
    attempts (FAST's millisecond backoff), then the same one-line error."""
    server = TestServer().start()
    headers = {"Content-Type": "text/html", "Connection": "close"}  # no keep-alive to reuse
    server.route("/", Reply(body=b"<html><body>up</body></html>", headers=headers))
    url = server.url("/")
    fetcher = Fetcher(FAST)
    try:
        assert fetcher.get(url).status == 200
        server.stop()  # the port now refuses
        caplog.set_level(logging.DEBUG, logger="listing_archiver.scraper.fetch")
        with pytest.raises(ConnectFailed) as failed:
            fetcher.get(url)
    finally:
        fetcher.close()
    assert str(failed.value) == f"cannot connect to {url} ({REFUSED})"
    assert sum(r.getMessage() == f"GET {url}" for r in caplog.records) == FAST.attempts


def test_the_classifier_knows_a_resolver_no_from_a_resolver_that_did_not_answer():
    try:  # a real gaierror, raised locally: a numeric-only lookup of a name asks nobody
        socket.getaddrinfo("not-a-number", 80, flags=socket.AI_NUMERICHOST)
    except socket.gaierror as exc:
        no_such_name = exc
    wrapped = requests.ConnectionError("Max retries exceeded")
    wrapped.__cause__ = no_such_name
    assert connect_failure(wrapped) == HOST_NOT_FOUND
    busy_resolver = socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    assert connect_failure(requests.ConnectionError(busy_resolver)) is None  # retried
    assert connect_failure(requests.ConnectionError(ConnectionResetError())) is None


@pytest.mark.parametrize("command", ["scrape", "probe", "run"])
def test_a_host_name_longer_than_dns_allows_is_a_usage_error(command, tmp_path):
    db = str(tmp_path / "a.db")
    sources = Path(tmp_path / "sources.toml")
    sources.write_text(f'[[source]]\nname = "long"\nurl = "{UNRESOLVABLE}"\n', "utf-8")
    args = {
        "scrape": ["scrape", db, UNRESOLVABLE],
        "probe": ["probe", UNRESOLVABLE],
        "run": ["run", db, str(sources)],
    }[command]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert UNRESOLVABLE in result.output
    assert "a host name has at most 253" in result.output
    if command == "run":
        assert "source #1" in result.output
    assert not Path(db).exists()  # refused before the archive was opened

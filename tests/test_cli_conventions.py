"""The command line as its neighbours (sqlite-utils, the dogsheep tools) taught users to
write it: the archive first, ``-v`` / ``-q`` anywhere, several URLs to ``scrape``, the
``--db`` of earlier releases still accepted for a release, and log lines with timestamps
and without libraries' noise unless asked."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.cli import cli

from .server import TestServer, serve_listing
from .test_errors import tool

POSTS = [f"Post {i}" for i in range(12, 0, -1)]
DEPRECATION = "--db is deprecated: write the archive first, listing-archiver scrape DB URL…"
TIMESTAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) ")
REQUEST_LINE = re.compile(r'"GET / HTTP/1\.1" 200')
LOCK_IDS = re.compile(r"(Attempting to acquire|Lock \d+ acquired on)")


@pytest.fixture
def blog(server: TestServer) -> TestServer:
    serve_listing(server, POSTS)
    return server


@pytest.fixture
def other_blog() -> Iterator[TestServer]:
    """A second site: another port is another host (``host:port``)."""
    srv = TestServer().start()
    serve_listing(srv, [f"Other {i}" for i in range(3, 0, -1)])
    yield srv
    srv.stop()


def scrape(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = tool("scrape", *args, "--delay", "0", cwd=tmp_path)
    return result.returncode, result.stdout, result.stderr


def runs_of(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select source, status from runs order by source").fetchall()


# -v and -q after the command


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_accepts_v_and_q_after_it(command):
    result = CliRunner().invoke(cli, [command, "-v", "-vv", "-q", "--verbose", "--help"])
    assert result.exit_code == 0, result.output
    assert "-v, --verbose" in result.stdout and "-q, --quiet" in result.stdout


def test_v_after_the_command_logs_as_v_before_it(blog, tmp_path):
    after = scrape(tmp_path, "after.db", blog.url("/"), "-v")
    before = tool("-v", "scrape", "before.db", blog.url("/"), "--delay", "0", cwd=tmp_path)
    assert after[0] == before.returncode == 0
    for stderr in (after[2], before.stderr):
        assert re.search(r" INFO 127\.0\.0\.1:\d+ page 2 ", stderr), stderr
        assert not REQUEST_LINE.search(stderr)  # that is -vv


def test_v_before_and_after_the_command_add_up(blog, tmp_path):
    code, _, stderr = scrape(tmp_path, "a.db", blog.url("/"), "-v")
    assert code == 0 and not REQUEST_LINE.search(stderr)
    both = tool("-v", "scrape", "b.db", blog.url("/"), "--delay", "0", "-v", cwd=tmp_path)
    assert both.returncode == 0
    assert REQUEST_LINE.search(both.stderr), both.stderr  # -v + -v is -vv: every request


@pytest.mark.parametrize("where", ["after", "before"])
def test_quiet_on_either_side_prints_nothing_when_nothing_is_new(blog, tmp_path, where):
    db = str(tmp_path / "a.db")
    first = CliRunner().invoke(cli, ["scrape", db, blog.url("/"), "--delay", "0", "-q"])
    assert "12 new" in first.stdout  # news is printed under -q
    quiet = ["scrape", db, blog.url("/"), "--delay", "0", "-q"]
    argv = quiet if where == "after" else ["-q", *quiet[:-1]]
    again = CliRunner().invoke(cli, argv)
    assert again.exit_code == 0 and again.stdout == ""
    loud = CliRunner().invoke(cli, ["scrape", db, blog.url("/"), "--delay", "0"])
    assert "0 new" in loud.stdout


# Log lines: timestamps, and libraries' debug lines only when asked


def test_log_lines_carry_a_local_timestamp(blog, tmp_path):
    code, _, stderr = scrape(tmp_path, "a.db", blog.url("/"), "-vv")
    assert code == 0
    lines = stderr.splitlines()
    assert len(lines) >= 4  # robots.txt, pages, requests
    for line in lines:
        assert TIMESTAMPED.match(line), line


def test_vv_logs_every_request_but_not_filelock_or_connection_chatter(blog, tmp_path):
    code, _, stderr = scrape(tmp_path, "a.db", blog.url("/"), "-vv")
    assert code == 0
    assert REQUEST_LINE.search(stderr), stderr
    assert not LOCK_IDS.search(stderr), stderr
    assert "Starting new HTTP connection" not in stderr


def test_vvv_adds_the_libraries_debug_lines(blog, tmp_path):
    code, _, stderr = scrape(tmp_path, "a.db", blog.url("/"), "-vvv")
    assert code == 0
    assert LOCK_IDS.search(stderr) and "Starting new HTTP connection" in stderr, stderr


# The archive first; --db still accepted for a release


def test_the_old_form_with_db_still_works_and_says_so_once_on_stderr(blog, tmp_path):
    code, stdout, stderr = scrape(tmp_path, blog.url("/"), "--db", "a.db", "--json")
    assert code == 0
    assert json.loads(stdout)["total"]["new_posts"] == 12  # stdout is still pure JSON
    assert stderr.splitlines() == [DEPRECATION]
    assert runs_of(tmp_path / "a.db") == [(f"127.0.0.1:{blog.port}", "ok")]


def test_run_takes_the_archive_first_and_still_accepts_db(blog, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(f'delay = 0\n[[source]]\nname = "blog"\nurl = "{blog.url("/")}"\n')
    new = tool("run", "a.db", "sources.toml", cwd=tmp_path)
    assert new.returncode == 0 and new.stderr == "" and "blog: ok" in new.stdout
    old = tool("run", "sources.toml", "--db", "b.db", cwd=tmp_path)
    assert old.returncode == 0 and "blog: ok" in old.stdout
    expected = "--db is deprecated: write the archive first, listing-archiver run DB SOURCES"
    assert old.stderr.splitlines() == [expected]


@pytest.mark.parametrize(
    ("args", "form"),
    [
        (["scrape", "http://127.0.0.1:9/"], "listing-archiver scrape DB URL…"),
        (["scrape", "https://blog.example.org/", "a.db"], "listing-archiver scrape DB URL…"),
        (["scrape", "a.db"], "Missing argument 'URL...'"),
        (["run", "sources.toml"], "Missing argument 'SOURCES'"),
        (["run", "sources.toml", "a.db"], "run DB SOURCES"),
        (["run", "a.db", "sources.toml", "more.toml"], "too many arguments"),
        (["run", "sources.toml", "--db", "a.db", "x.toml"], "run DB SOURCES"),
    ],
)
def test_arguments_in_the_wrong_place_are_a_usage_error_showing_the_form(args, form, tmp_path):
    result = tool(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert form in result.stderr and "Traceback" not in result.stderr
    assert "Usage: listing-archiver" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing opened, nothing created


def test_demo_takes_its_archive_as_an_optional_argument_and_still_accepts_db(tmp_path):
    result = tool("demo", "--db", "old.db", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "--db is deprecated: write the archive first, listing-archiver demo DB"
    ]
    assert (tmp_path / "old.db").exists()
    both = tool("demo", "new.db", "--db", "old.db", cwd=tmp_path)
    assert both.returncode == 2 and "give the archive once" in both.stderr


# scrape takes several URLs


def test_scrape_walks_each_url_as_a_source_named_by_its_host(blog, other_blog, tmp_path):
    code, stdout, stderr = scrape(tmp_path, "a.db", blog.url("/"), other_blog.url("/"))
    assert code == 0, stderr
    lines = stdout.splitlines()
    assert len(lines) == 3  # one per source, then the total
    assert lines[0].startswith(f"127.0.0.1:{blog.port}: ok") and "12 new" in lines[0]
    assert lines[1].startswith(f"127.0.0.1:{other_blog.port}: ok") and "3 new" in lines[1]
    assert lines[2].startswith("total: 2 sources") and "15 new" in lines[2]
    assert sorted(runs_of(tmp_path / "a.db")) == sorted(
        [(f"127.0.0.1:{blog.port}", "ok"), (f"127.0.0.1:{other_blog.port}", "ok")]
    )


def test_one_failing_url_of_several_exits_1_and_the_others_are_archived(blog, other_blog, tmp_path):
    missing = other_blog.url("/missing/")
    code, stdout, _ = scrape(tmp_path, "a.db", blog.url("/"), missing, "--json")
    assert code == 1
    report = json.loads(stdout)
    assert [s["status"] for s in report["sources"]] == ["ok", "failed"]
    assert report["total"]["failed"] == 1 and report["total"]["new_posts"] == 12


def test_two_urls_on_one_host_are_a_usage_error(blog, tmp_path):
    argv = ["scrape", str(tmp_path / "a.db"), blog.url("/"), blog.url("/other/")]
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 2
    assert f"a second source named '127.0.0.1:{blog.port}'" in result.output
    assert not (tmp_path / "a.db").exists()


def test_source_with_several_urls_is_a_usage_error(blog, other_blog, tmp_path):
    argv = ["scrape", str(tmp_path / "a.db"), blog.url("/"), other_blog.url("/")]
    result = CliRunner().invoke(cli, [*argv, "--source", "mine"])
    assert result.exit_code == 2
    assert "--source names one source" in result.output
    assert not (tmp_path / "a.db").exists()

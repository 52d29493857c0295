"""What a user sees when a URL, a path or a file is wrong: one line on stderr naming it, never a
traceback, and the documented exit code (2 for a usage or config error, 1 for a failure).
Each case runs the real command line in a child process; ``export -o`` writes what PATH is
(a symlink's target, a FIFO, a device, standard output), never replacing it with a file."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.cli import cli

from .conftest import FIXTURES
from .server import TestServer, html_page, papermod_entry

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0  # only guards against a hang; nothing here waits on time


def tool(*args: str, cwd: Path, **popen: object) -> subprocess.CompletedProcess[str]:
    """``listing-archiver ARGS`` in a child process, as a user runs it."""
    popen.setdefault("stdout", subprocess.PIPE)
    return subprocess.run(
        [sys.executable, "-m", "listing_archiver", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=DEADLINE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **popen,
    )


def one_line(stderr: str) -> str:
    """The single line the user sees; fails on a traceback or on anything more."""
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real archive of the bundled sample blog, made once for the module's exports."""
    server = TestServer(FIXTURES / "papermod" / "earlier").start()
    path = tmp_path_factory.mktemp("archive") / "archive.db"
    try:
        result = CliRunner().invoke(cli, ["scrape", str(path), server.url("/"), "--delay", "0"])
        assert result.exit_code == 0, result.output
    finally:
        server.stop()
    yield path


@pytest.fixture(scope="module")
def csv_export(archive: Path) -> str:
    """What ``export`` writes to standard output: what every destination must receive."""
    result = tool("export", str(archive), cwd=archive.parent)
    assert result.returncode == 0 and result.stdout.startswith("post_key,"), result.stderr
    return result.stdout


# --- malformed URLs: scrape, probe, a sources file ----------------------------------------

MALFORMED = [
    ("http://127.0.0.1:99999/", "the port 99999 is not between 1 and 65535"),
    ("http://127.0.0.1:abc/", "the port 'abc' is not a number"),
    ("http://[::1", "an unclosed [ or a stray ] in the host"),
]


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
@pytest.mark.parametrize("command", ["scrape", "probe"])
def test_a_malformed_url_is_one_line_naming_it_and_exit_2(command, url, problem, tmp_path):
    db = [str(tmp_path / "a.db")] if command == "scrape" else []
    result = tool(command, *db, url, cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == f"Error: {url!r} is not a valid http(s) URL: {problem}"
    assert list(tmp_path.iterdir()) == []  # no archive, no lock file: nothing was opened


@pytest.mark.parametrize(("url", "problem"), MALFORMED)
def test_a_malformed_url_in_a_sources_file_names_file_source_and_key(url, problem, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "blog"\nurl = "{url}"\n', "utf-8")
    result = tool("run", str(tmp_path / "a.db"), str(sources), cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        f'Error: {sources}: source #1 ("blog"): url: {url!r} is not a valid http(s) URL: {problem}'
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sources.toml"]


def test_credentials_in_a_malformed_url_are_not_shown(tmp_path):
    result = tool("probe", "http://ann:hunter2@example.org:abc/?token=s3cret", cwd=tmp_path)
    assert result.returncode == 2
    line = one_line(result.stderr)
    assert "hunter2" not in line and "s3cret" not in line
    assert "'http://***@example.org:abc/?token=***'" in line


# --- malformed URLs found in a page or a redirect: skipped or failed, never a crash -------


def test_malformed_links_in_a_page_are_skipped_and_the_walk_ends_cleanly(server, tmp_path):
    entries = [
        papermod_entry("Good", "good"),
        papermod_entry("Bracket", "x").replace('href="/post/x/"', 'href="http://[::1"'),
        papermod_entry("Port", "y").replace('href="/post/y/"', 'href="http://127.0.0.1:99999/"'),
        papermod_entry("Letters", "z").replace('href="/post/z/"', 'href="http://127.0.0.1:ab/"'),
    ]
    # Port 0 on the start URL's own host: requests would quietly make it port 80.
    server.page("/", html_page(*entries, next_href="http://127.0.0.1:0/page/2/"))
    result = CliRunner().invoke(
        cli, ["scrape", str(tmp_path / "a.db"), server.url("/"), "--delay", "0"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 0, result.output
    assert "1 page fetched" in result.stdout and "4 entries seen" in result.stdout
    assert "stopped: end of listing" in result.stdout
    assert [r.path for r in server.requests] == ["/robots.txt", "/"]


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:99999/", "http://[::1]x/"])
def test_a_redirect_to_a_malformed_url_fails_the_source_in_one_line(server, tmp_path, location):
    server.redirect("/", location)
    result = CliRunner().invoke(
        cli, ["scrape", str(tmp_path / "a.db"), server.url("/"), "--delay", "0"]
    )
    assert isinstance(result.exception, SystemExit)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"error: GET {server.url('/')}: " in result.stdout
    assert "redirect" in result.stdout.split("error: ")[1]


# --- export -o PATH: what PATH is -----------------------------------------------------------


def test_export_through_a_symlink_replaces_the_target_and_keeps_the_link(
    archive, csv_export, tmp_path
):
    target = tmp_path / "published" / "posts.csv"
    target.parent.mkdir()
    target.write_text("old\n", "utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    result = tool("export", str(archive), "-o", str(link), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text("utf-8") == csv_export
    assert sorted(p.name for p in target.parent.iterdir()) == ["posts.csv"]  # no temp left
    assert one_line(result.stderr) == f"{csv_export.count(chr(10)) - 1} posts written to {link}"


def test_export_through_a_dangling_symlink_creates_its_target(archive, csv_export, tmp_path):
    link = tmp_path / "latest.csv"
    link.symlink_to("posts.csv")  # relative, and not there yet
    result = tool("export", str(archive), "-o", "latest.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and os.readlink(link) == "posts.csv"
    assert (tmp_path / "posts.csv").read_text("utf-8") == csv_export


def test_export_into_a_fifo_writes_to_its_reader(archive, csv_export, tmp_path):
    fifo = tmp_path / "feed"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    try:
        result = tool("export", str(archive), "-o", str(fifo), cwd=tmp_path)
    finally:
        if reader.is_alive():  # the export failed before opening it: let the reader go
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(DEADLINE)
    assert result.returncode == 0, result.stderr
    assert received == [csv_export.encode("utf-8")]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_export_to_dev_null_leaves_the_device_a_device(archive, tmp_path):
    result = tool("export", str(archive), "--format", "atom", "-o", os.devnull, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert list(Path("/dev").glob(".null.*.tmp")) == []


def test_export_to_dash_is_standard_output_not_a_file_named_dash(archive, csv_export, tmp_path):
    result = tool("export", str(archive), "-o", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == csv_export
    assert list(tmp_path.iterdir()) == []


def test_export_into_a_missing_folder_is_a_usage_error(archive, tmp_path):
    result = tool("export", str(archive), "-o", "no/such/posts.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        f"Error: cannot write no/such/posts.csv: no folder {os.path.realpath(tmp_path)}/no/such"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot create files in. Root ignores a folder's mode, so as
    root it is /sys, which the kernel keeps free of new files even for root."""
    if os.geteuid() == 0:
        yield Path("/sys")
        return
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_export_into_a_read_only_folder_is_a_usage_error(archive, read_only_folder, tmp_path):
    output = read_only_folder / "posts.csv"
    result = tool("export", str(archive), "-o", str(output), cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == (
        f"Error: cannot write {output}: Permission denied (in folder {read_only_folder})"
    )
    assert not output.exists()


def test_export_to_a_full_device_named_by_o_fails_in_one_line(archive, tmp_path):
    result = tool("export", str(archive), "-o", "/dev/full", cwd=tmp_path)
    assert result.returncode == 1
    assert one_line(result.stderr) == "Error: writing /dev/full failed: No space left on device"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_export_to_a_full_standard_output_fails_in_one_line(archive, tmp_path):
    with open("/dev/full", "w") as full:
        result = tool("export", str(archive), cwd=tmp_path, stdout=full)
    assert result.returncode == 1
    assert one_line(result.stderr) == (
        "Error: writing standard output failed: No space left on device"
    )


def test_export_to_a_pipe_whose_reader_left_exits_1_quietly(archive, tmp_path):
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the export writes a byte: EPIPE
    try:
        result = tool("export", str(archive), "--format", "json", cwd=tmp_path, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""  # `| head` quitting is no news to its user, as with cat


# --- serve on a file that is not an archive ------------------------------------------------


def _not_a_database(path: Path) -> None:
    path.write_bytes(b"these are my notes, not a database\n" * 200)


def _damaged_archive(path: Path, archive: Path) -> None:
    data = archive.read_bytes()  # the file header intact, the schema's first page garbage
    path.write_bytes(data[:100] + b"\xff" * 3996 + data[4096:])


def _another_programs_database(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("create table notes (body text)")
    conn.close()


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (_not_a_database, "is not a SQLite database"),
        (
            _damaged_archive,
            "looks like a SQLite database but cannot be read (database disk image is malformed)",
        ),
        (
            _another_programs_database,
            "is a SQLite database but not a listing-archiver archive (tables: notes)",
        ),
    ],
)
def test_serve_refuses_a_file_that_is_not_an_archive_before_starting_datasette(
    make, problem, archive, tmp_path
):
    path = tmp_path / "broken.db"
    make(*((path, archive) if make is _damaged_archive else (path,)))
    before = path.read_bytes()
    result = tool("serve", str(path), "--port", "1", cwd=tmp_path)
    assert result.returncode == 2
    assert one_line(result.stderr) == f"Error: {path} {problem}"
    assert result.stdout == ""  # Datasette never started: it would have said where it listens
    assert path.read_bytes() == before
    # SQLite opens a WAL-mode file read-only with its -shm (and an empty -wal) beside it
    others = {p.name: p.stat().st_size for p in tmp_path.iterdir() if p != path}
    assert set(others) <= {"broken.db-shm", "broken.db-wal"} and others.get("broken.db-wal", 0) == 0

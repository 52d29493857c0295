"""Readers only read: export and history open the archive read-only, never switch it to
WAL, never migrate, and work in a read-only folder and on a read-only file. An archive
behind this code is refused with the command that upgrades it; ``upgrade`` does that."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.opening import known_migrations
from listing_archiver.archive.schema import migrations, open_archive
from listing_archiver.cli import cli

from .server import TestServer, serve_listing
from .untouched import permissions_bind, run_obeying_permissions, state

TITLES = ["Third post", "Second post", "First post"]


@pytest.fixture
def archive(server: TestServer, tmp_path: Path) -> Path:
    """An archive of three posts in its own folder, its writer's lock file gone."""
    serve_listing(server, TITLES)
    db = tmp_path / "shelf" / "archive.db"
    db.parent.mkdir()
    result = CliRunner().invoke(cli, ["scrape", str(db), server.url("/"), "--delay", "0"])
    assert result.exit_code == 0, result.output
    Path(f"{db}.lock").unlink()
    return db


def _rollback_journal(db: Path) -> None:
    """Out of WAL mode: then a read-only connection needs no -wal or -shm at all, so any
    file beside it, or any change of its bytes, is a reader writing."""
    conn = sqlite3.connect(db)
    conn.execute("pragma journal_mode = delete")
    conn.close()


def _readers(db: Path, server: TestServer) -> list[list[str]]:
    post = server.url("/post/second-post/")
    return [["export", str(db), "--format", "json"], ["history", str(db), post]]


def _one_line_error(result: Result) -> str:
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    return line


def test_export_and_history_work_in_a_read_only_folder_and_write_nothing(archive, server, tmp_path):
    if not permissions_bind(tmp_path):
        pytest.skip("cannot make file modes bind a root child here (no CAP_SETPCAP)")
    archive.chmod(0o444)
    archive.parent.chmod(0o555)
    before = state(archive)
    try:
        exported = run_obeying_permissions("export", str(archive), "--format", "json")
        history = run_obeying_permissions(*_readers(archive, server)[1])
    finally:
        archive.parent.chmod(0o755)
    assert exported.returncode == 0, exported.stderr
    assert sorted(post["title"] for post in json.loads(exported.stdout)) == sorted(TITLES)
    assert history.returncode == 0, history.stderr
    assert "Second post" in history.stdout
    assert state(archive) == before  # bytes, mtime, and nothing beside it


def test_a_reader_writes_nothing_to_a_read_only_file_as_root_too(archive, server):
    """In a writable folder SQLite may create the -wal and -shm a WAL database is read
    through; the reader must not write to either, nor to the file, nor take the lock."""
    archive.chmod(0o444)
    before = state(archive)
    for args in _readers(archive, server):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    after = state(archive)
    assert (after.digest, after.mtime_ns) == (before.digest, before.mtime_ns)
    assert ".lock" not in after.beside
    wal = Path(f"{archive}-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_readers_never_switch_to_wal_nor_migrate(archive, server):
    _rollback_journal(archive)
    before = state(archive)
    for args in _readers(archive, server):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    assert state(archive) == before
    assert open_archive(str(archive)).journal_mode == "wal"  # a writer still switches


@pytest.fixture
def old_archive(tmp_path: Path) -> Path:
    """An archive made before this code's last migration."""
    db = tmp_path / "old.db"
    migrations.apply(Database(db), stop_before=known_migrations()[-1])
    return db


@pytest.mark.parametrize("reader", ["export", "history"])
def test_an_archive_behind_the_code_is_refused_naming_upgrade(reader, old_archive):
    before = state(old_archive)
    args = [reader, str(old_archive)] + (["https://a.example/p"] if reader == "history" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    line = _one_line_error(result)
    assert f"archive {old_archive} needs upgrading" in line
    assert f"pending migrations: {known_migrations()[-1]}" in line
    assert f"run `listing-archiver upgrade {old_archive}`" in line
    assert state(old_archive) == before


def test_upgrade_applies_what_is_pending_then_is_a_no_op(old_archive):
    first = CliRunner().invoke(cli, ["upgrade", str(old_archive)])
    assert first.exit_code == 0, first.output
    assert first.output == f"{old_archive}: applied 1 migrations: {known_migrations()[-1]}\n"
    assert CliRunner().invoke(cli, ["export", str(old_archive)]).exit_code == 0
    upgraded = state(old_archive)
    again = CliRunner().invoke(cli, ["upgrade", str(old_archive)])
    assert again.exit_code == 0
    assert again.output == f"{old_archive} is up to date: nothing to apply\n"
    assert (state(old_archive).digest, state(old_archive).mtime_ns) == (
        upgraded.digest,
        upgraded.mtime_ns,
    )


def test_upgrade_on_a_locked_archive_exits_3_and_changes_nothing(old_archive):
    before = state(old_archive)
    with archive_lock(old_archive):
        result = CliRunner().invoke(cli, ["upgrade", str(old_archive)])
    assert result.exit_code == 3
    assert f"archive {old_archive} is busy" in _one_line_error(result)
    assert state(old_archive).digest == before.digest


def test_an_archive_newer_than_the_code_is_refused_by_readers_and_upgrade(archive, server):
    db = open_archive(str(archive))
    db["_sqlite_migrations"].insert(
        {"migration_set": migrations.name, "name": "m999_from_the_future", "applied_at": "x"}
    )
    db.close()
    _rollback_journal(archive)
    before = state(archive)
    for args in [*_readers(archive, server), ["upgrade", str(archive)]]:
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, args
        assert "was written by a newer listing-archiver" in _one_line_error(result)
        assert "m999_from_the_future" in result.stderr
    after = state(archive)
    assert (after.digest, after.mtime_ns) == (before.digest, before.mtime_ns)
    assert ".lock" not in after.beside  # upgrade's lock file, made and removed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is an empty file, not a listing-archiver archive"),
        (b"some notes\n" * 20, "is not a SQLite database"),
    ],
)
def test_readers_refuse_what_is_not_an_archive_in_one_line(content, message, tmp_path):
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    exported = CliRunner().invoke(cli, ["export", str(path)])
    assert exported.exit_code == 2
    assert f"{path} {message}" in _one_line_error(exported)
    upgraded = CliRunner().invoke(cli, ["upgrade", str(path)])
    assert upgraded.exit_code == 2
    assert f"Error: {path} " in _one_line_error(upgraded)
    assert path.read_bytes() == content

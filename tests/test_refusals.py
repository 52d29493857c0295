"""Writers never change a file they did not make: what is not a listing-archiver archive,
or was written by a newer one, is refused before any write, in one line, exit 2; an open
that fails (missing or read-only folder, read-only file) leaves nothing behind."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from listing_archiver.archive.schema import migrations, open_archive
from listing_archiver.cli import cli

from .server import serve_listing
from .untouched import (
    companions,
    permissions_bind,
    python_obeying_permissions,
    run_obeying_permissions,
    state,
)

NOWHERE = "http://127.0.0.1:9/"  # never fetched: every refusal comes before the walk


def _text_file(path: Path) -> None:
    path.write_text("my notes, not a database\n" * 100)


def _foreign_database(path: Path, *, wal: bool = False) -> None:
    with sqlite3.connect(path) as conn:
        if wal:
            conn.execute("pragma journal_mode = wal")
        conn.execute("create table notes (body text)")
        conn.execute("create table tags (name text)")
        conn.execute("insert into notes values ('keep me')")
    conn.close()


def _other_apps_migrations(path: Path) -> None:
    """A sqlite-utils app of another name: a _sqlite_migrations table, not ours."""
    with sqlite3.connect(path) as conn:
        conn.execute("create table _sqlite_migrations (id integer primary key, "
                     "migration_set text, name text, applied_at text)")  # fmt: skip
        conn.execute("insert into _sqlite_migrations values (1, 'other-app', 'm001', 'x')")
        conn.execute("create table things (id integer)")
    conn.close()


def _a_view_only(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("create view posts as select 1 as title")
    conn.close()


def _newer_archive(path: Path) -> None:
    db = open_archive(str(path))
    db["_sqlite_migrations"].insert(
        {"migration_set": migrations.name, "name": "m999_from_the_future", "applied_at": "x"}
    )
    db.close()


NOT_OURS: dict[str, tuple[Callable[[Path], None], str]] = {
    "text file": (_text_file, "is not a SQLite database"),
    "foreign database": (
        _foreign_database,
        "is a SQLite database but not a listing-archiver archive (tables: notes, tags)",
    ),
    "foreign database in WAL mode": (
        lambda path: _foreign_database(path, wal=True),
        "is a SQLite database but not a listing-archiver archive (tables: notes, tags)",
    ),
    "another app's migrations": (
        _other_apps_migrations,
        "not a listing-archiver archive (tables: _sqlite_migrations, things)",
    ),
    "a view and no table": (_a_view_only, "no tables, but the view posts"),
    "a newer archive": (
        _newer_archive,
        "was written by a newer listing-archiver (migrations this version does not know: "
        "m999_from_the_future)",
    ),
}


def _writer(command: str, db: Path, tmp_path: Path) -> list[str]:
    if command == "scrape":
        return ["scrape", str(db), NOWHERE, "--delay", "0"]
    sources = tmp_path / "sources.toml"
    sources.write_text(f'[[source]]\nname = "blog"\nurl = "{NOWHERE}"\n')
    return ["run", str(db), str(sources)]


def _one_line_error(result: Result) -> str:
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    return line


@pytest.mark.parametrize("command", ["scrape", "run"])
@pytest.mark.parametrize("kind", list(NOT_OURS))
def test_writers_refuse_what_is_not_their_archive_before_any_write(command, kind, tmp_path):
    make, message = NOT_OURS[kind]
    db = tmp_path / "precious.db"
    make(db)
    before = state(db)
    assert before.beside == ()
    result = CliRunner().invoke(cli, _writer(command, db, tmp_path))
    assert result.exit_code == 2
    assert str(db) in _one_line_error(result) and message in result.stderr
    assert state(db) == before  # same bytes, same mtime, and no -wal, -shm, -journal, .lock


@pytest.mark.parametrize("make", [lambda p: p.touch(), lambda p: _a_table_then_none(p)])
def test_an_empty_file_or_a_database_without_tables_is_adopted(make, server, tmp_path):
    serve_listing(server, [f"Post {i}" for i in range(3, 0, -1)])
    db = tmp_path / "new.db"
    make(db)
    result = CliRunner().invoke(cli, ["scrape", str(db), server.url("/"), "--delay", "0"])
    assert result.exit_code == 0, result.output
    assert open_archive(str(db))["posts"].count == 3


def _a_table_then_none(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("create table t (x)")
        conn.execute("drop table t")
    conn.close()
    assert path.stat().st_size > 0


def test_a_folder_that_does_not_exist_is_one_line_and_is_not_created(tmp_path):
    db = tmp_path / "missing" / "a.db"
    result = CliRunner().invoke(cli, ["scrape", str(db), NOWHERE])
    assert result.exit_code == 2
    assert f"cannot open archive {db}: no folder {db.parent}" in _one_line_error(result)
    assert not db.parent.exists()


@pytest.fixture
def refusing(tmp_path: Path) -> Path:
    """A folder whose read-only modes really bind the listing-archiver child process."""
    if not permissions_bind(tmp_path):
        pytest.skip("cannot make file modes bind a root child here (no CAP_SETPCAP)")
    return tmp_path


def test_a_db_in_a_read_only_folder_is_one_line_and_leaves_nothing(refusing):
    folder = refusing / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run_obeying_permissions("scrape", str(folder / "a.db"), NOWHERE)
    finally:
        folder.chmod(0o755)
    assert result.returncode == 2, result.stderr
    line = _one_line_error(result)
    assert f"cannot open archive {folder / 'a.db'}: cannot create its lock file" in line
    assert list(folder.iterdir()) == []


def test_a_read_only_db_file_is_one_line_and_leaves_nothing_beside_it(refusing, server):
    serve_listing(server, ["Post 1"])
    db = refusing / "a.db"
    assert CliRunner().invoke(cli, ["scrape", str(db), server.url("/")]).exit_code == 0
    Path(f"{db}.lock").unlink()
    db.chmod(0o444)
    before = state(db)
    result = run_obeying_permissions("scrape", str(db), server.url("/"))
    assert result.returncode == 2, result.stderr
    assert f"cannot open archive {db}: the file is read-only" in _one_line_error(result)
    assert state(db) == before  # the lock file this run made was removed again


def test_opening_in_a_read_only_folder_raises_one_line_and_leaves_nothing(refusing):
    """Past the lock (an API caller holds none): SQLite's own refusal, tidied up."""
    folder = refusing / "read-only"
    folder.mkdir()
    db = folder / "a.db"
    with sqlite3.connect(db) as conn:  # rollback mode: WAL needs files the folder refuses
        conn.execute("create table t (x)")
        conn.execute("drop table t")
    conn.close()
    folder.chmod(0o555)
    code = f"from listing_archiver.archive.schema import open_archive; open_archive({str(db)!r})"
    try:
        result = python_obeying_permissions("-c", code)
    finally:
        folder.chmod(0o755)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(
        f"listing_archiver.archive.errors.ArchiveInaccessible: cannot open archive {db}: "
    )
    assert companions(db) == ()

"""Opening an archive: writers refuse what is not theirs before writing a byte; readers only read.

Writers (``scrape``, ``run``, ``demo``, ``upgrade``) open through :func:`open_writer`. It
first looks at the path without writing anything (the file's header, then a read-only
SQLite connection that creates no -wal or -shm), refuses a file that is not a
listing-archiver archive or was written by a newer version, and only then opens it for
writing: WAL, pragmas, migrations. An empty file, or a SQLite database with no tables at
all, holds nothing to lose and becomes an archive.

Readers (``export``, ``history``) open through :func:`open_reader`: a read-only
connection that never switches to WAL and never migrates, so they work on an archive in a
read-only folder or a read-only file. An archive whose migrations are behind this code
is refused with the command that upgrades it (``listing-archiver upgrade``), since
reading it with queries written for the newer schema would give wrong answers or errors.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from .errors import ArchiveInaccessible, ArchiveTooNew, ArchiveTooOld, NotAnArchive
from .schema import migrations

SQLITE_MAGIC = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database
HEADER_SIZE = 100
WRITE_VERSION_OFFSET = 18  # header byte: 2 when the database is in WAL mode
BUSY_TIMEOUT_MS = 10_000  # how long a write waits for a reader (e.g. Datasette) to let go
COMPANION_SUFFIXES = ("-wal", "-shm")


@dataclass(frozen=True)
class ArchiveFile:
    """What a path holds, learned without writing: nothing yet (no file, an empty file,
    a database without tables: ``applied`` is empty) or an archive and its migrations."""

    path: str
    applied: tuple[str, ...] = ()  # names of the listing-archiver migrations it records
    application_id: int = 0  # SQLite's header field for the file's purpose (see demo)

    @property
    def is_archive(self) -> bool:
        return bool(self.applied)


def known_migrations() -> list[str]:
    """The names of every migration this version knows, in order."""
    return [migration.name for migration in migrations.pending(Database(memory=True))]


def inspect_archive(path: str) -> ArchiveFile:
    """What is at ``path``, read without writing a byte or creating a -wal or -shm.

    Raises ``NotAnArchive`` for a file that is not SQLite or is another program's
    database, ``ArchiveInaccessible`` when it cannot be read at all."""
    with peek(path) as connection:
        return ArchiveFile(path) if connection is None else _describe(connection, path)


@contextmanager
def peek(path: str) -> Iterator[sqlite3.Connection | None]:
    """A read-only connection to the SQLite file at ``path`` that creates nothing beside
    it (None when there is no file or it is empty); ``NotAnArchive`` if it is not SQLite."""
    header = _read_header(path)
    if not header:
        yield None
        return
    connection = _connect(path, _inspection_mode(path, header))
    try:
        yield connection
    finally:
        connection.close()


def open_writer(path: str) -> Database:
    """Open (creating if needed) the archive at ``path`` for writing, its schema up to date.

    Everything that can refuse does so before the first write; if SQLite then fails
    (a read-only folder, a full disk), the files this call created are removed again."""
    found = inspect_archive(path)
    _refuse_unknown_migrations(found)
    if Path(path).exists() and not os.access(path, os.W_OK):
        raise ArchiveInaccessible(
            path, "the file is read-only (export and history can still read it)"
        )
    missing = [file for file in _own_files(path) if not file.exists()]
    try:
        return _open_for_writing(path)
    except (sqlite3.Error, OSError) as exc:
        for file in missing:
            file.unlink(missing_ok=True)
        raise ArchiveInaccessible(path, str(exc)) from None


def open_reader(path: str) -> Database:
    """The archive at ``path``, opened read-only: never WAL, never a migration.

    Refuses an archive that is behind this code (naming ``listing-archiver upgrade``),
    one written by a newer version, and anything that is not an archive."""
    header = _read_header(path)
    if header is None:
        raise ArchiveInaccessible(path, "no such file")
    if not header:
        raise NotAnArchive(path, "is an empty file, not a listing-archiver archive")
    connection = _reader_connection(path)
    try:
        found = _describe(connection, path)
        if not found.is_archive:
            raise NotAnArchive(path, "is an empty SQLite database, not a listing-archiver archive")
        _refuse_unknown_migrations(found)
        if pending := _pending(found):
            raise ArchiveTooOld(path, pending)
    except BaseException:
        connection.close()
        raise
    return Database(connection)


def upgrade_archive(path: str) -> list[str]:
    """Apply the migrations an existing archive lacks; their names (none: up to date,
    and then the file is not even opened for writing). The caller holds the lock."""
    found = inspect_archive(path)
    if not found.is_archive:
        raise NotAnArchive(
            path, "holds no listing-archiver archive yet: nothing to upgrade (scrape creates one)"
        )
    _refuse_unknown_migrations(found)
    pending = _pending(found)
    if pending:
        open_writer(path).close()
    return pending


def _read_header(path: str) -> bytes | None:
    """The file's first bytes (empty for an empty file), None when there is no file."""
    try:
        with open(path, "rb") as file:
            header = file.read(HEADER_SIZE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ArchiveInaccessible(path, exc.strerror or str(exc)) from None
    if header and not header.startswith(SQLITE_MAGIC):
        raise NotAnArchive(path, "is not a SQLite database")
    return header


def _inspection_mode(path: str, header: bytes) -> str:
    """How to look inside without leaving anything behind.

    A database in WAL mode without a -wal file is open in no connection (SQLite keeps
    the -wal while one is), so ``immutable=1`` reads it safely, and a plain read-only
    open would create a -wal and a -shm and leave them behind. Otherwise ``mode=ro``:
    a rollback-journal database creates nothing, and a live -wal must be read."""
    in_wal_mode = len(header) > WRITE_VERSION_OFFSET and header[WRITE_VERSION_OFFSET] == 2
    if in_wal_mode and not Path(f"{path}-wal").exists():
        return "mode=ro&immutable=1"
    return "mode=ro"


_UNREADABLE = "looks like a SQLite database but cannot be read ({})"


def _reader_connection(path: str) -> sqlite3.Connection:
    """A read-only connection, honouring other connections' locks.

    Reading a WAL database needs its -shm, which SQLite creates beside the file. In a
    read-only folder it cannot: then, and only when there is no -wal, ``immutable=1``
    reads the file as it is, without locks. That is safe there: with no -wal, no
    connection has the database open, and none can write it while the folder stays
    read-only (a writer needs to create the -wal, or a journal). A -wal that exists
    holds committed pages only a locking reader sees, so it is an error instead."""
    connection = _connect(path, "mode=ro")
    try:
        connection.execute("select count(*) from sqlite_master").fetchone()  # opens the file
        return connection
    except sqlite3.OperationalError as exc:
        connection.close()
        folder_read_only = exc.sqlite_errorcode == sqlite3.SQLITE_READONLY_DIRECTORY
        if folder_read_only and not Path(f"{path}-wal").exists():
            return _connect(path, "mode=ro&immutable=1")
        if folder_read_only:
            raise ArchiveInaccessible(
                path,
                "its folder is read-only and it has a -wal file, which SQLite can only read "
                "where it may create the -shm beside it",
            ) from None
        raise ArchiveInaccessible(path, str(exc)) from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        connection.close()
        raise NotAnArchive(path, _UNREADABLE.format(exc)) from None


def _connect(path: str, mode: str) -> sqlite3.Connection:
    uri = f"{Path(path).absolute().as_uri()}?{mode}"  # as_uri escapes ?, # and %
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)


def _describe(connection: sqlite3.Connection, path: str) -> ArchiveFile:
    """Classify an open database: nothing yet, an archive, or another program's."""
    try:
        objects = connection.execute(
            "select type, name from sqlite_master where name not like 'sqlite\\_%' escape '\\' "
            "order by name"
        ).fetchall()
        tables = [name for kind, name in objects if kind == "table"]
        applied = _applied(connection) if migrations.migrations_table in tables else ()
        application_id = int(connection.execute("pragma application_id").fetchone()[0])
    except sqlite3.OperationalError as exc:  # cannot open or lock: not about its content
        raise ArchiveInaccessible(path, str(exc)) from None
    except sqlite3.DatabaseError as exc:  # "file is not a database", "malformed"
        raise NotAnArchive(path, _UNREADABLE.format(exc)) from None
    if objects and not applied:  # a view or trigger alone would break the migrations too
        kind, name = objects[0]
        listed = f"tables: {', '.join(tables)}" if tables else f"no tables, but the {kind} {name}"
        raise NotAnArchive(
            path, f"is a SQLite database but not a listing-archiver archive ({listed})"
        )
    return ArchiveFile(path, applied, application_id)


def _applied(connection: sqlite3.Connection) -> tuple[str, ...]:
    rows = connection.execute(
        f"select name from {migrations.migrations_table} where migration_set = ? order by rowid",
        [migrations.name],
    )
    return tuple(row[0] for row in rows)


def _refuse_unknown_migrations(found: ArchiveFile) -> None:
    known = set(known_migrations())
    unknown = [name for name in found.applied if name not in known]
    if unknown:
        raise ArchiveTooNew(found.path, unknown)


def _pending(found: ArchiveFile) -> list[str]:
    return [name for name in known_migrations() if name not in found.applied]


def _own_files(path: str) -> list[Path]:
    """The database and the companions SQLite creates beside it in WAL mode."""
    return [Path(path), *(Path(f"{path}{suffix}") for suffix in COMPANION_SUFFIXES)]


CACHE_KIB = (2_048, 65_536)  # a writer's page cache: SQLite's default, and its ceiling


def cache_kib(path: str) -> int:
    """A writer's page cache in KiB: an eighth of the archive, within ``CACHE_KIB``."""
    try:
        size = os.stat(path).st_size
    except OSError:  # not made yet
        size = 0
    low, high = CACHE_KIB
    return max(low, min(high, size // 8 // 1024))


def _open_for_writing(path: str) -> Database:
    """WAL mode lets Datasette read while a run writes; the busy timeout absorbs the
    short moments when SQLite still needs both to take turns."""
    db = Database(path)
    try:
        db.execute(f"pragma busy_timeout = {BUSY_TIMEOUT_MS}")
        # WAL's recommended durability: a commit survives a killed process; only a power
        # cut may lose the last pages, which the next run archives again (never corruption).
        db.execute("pragma synchronous = normal")
        # Checkpoint (copy the WAL into the database, with a sync) every ~8 MB: the
        # checkpoint runs inside the commit that crosses the mark, and at a million posts a
        # page of new posts dirties ~80 pages, written back at random places of a 2 GB
        # file, so the mark sets the slowest page write (`python -m bench --scale`: 150-200
        # ms at 40 MB, 67-110 ms at 16 MB, 54 ms at 8 MB, 49 ms at 4 MB), while a lower
        # mark spends more time in commits (10,000 posts saved page by page into a new
        # archive: 5,800 posts/s at 4 MB, 6,200 at 16 MB, 7,200 at 40 MB).
        db.execute("pragma wal_autocheckpoint = 2000")
        # A page cache that grows with the archive: at a million posts (2 GB) each page's
        # inserts land in random leaves of the hash indexes, which a 2 MB cache rereads,
        # while a small archive gains nothing from more and a long walk into it would
        # carry the cache as memory (a 1,000-page walk: +20 MB with a fixed 64 MB).
        db.execute(f"pragma cache_size = -{cache_kib(path)}")
        # Statement journals and the like in memory, not in a temporary file made and
        # deleted per page (a page's statements need a few KB at most).
        db.execute("pragma temp_store = memory")
        if db.journal_mode != "wal":
            db.enable_wal()
        migrations.apply(db)
    except BaseException:
        db.close()
        raise
    return db

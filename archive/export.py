"""Exports of the archive's posts: CSV, JSON, NDJSON and an Atom 1.0 feed (``atom``).

By default every format holds the ``current_posts`` view, so an edited post appears once, as
its newest version, and a removed post is still exported (with ``removed_at``): the archive
keeps what the site dropped. Which posts, in what order, and whether every version comes
along is ``selection``'s business (:class:`Selection`); two exports of the same archive are
byte-identical. Writing to a file (atomically, or in place for a FIFO or device) is here too.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TextIO, TypeVar

from sqlite_utils import Database

from .atom import FeedOptions, write_atom
from .errors import ExportPathError, ExportWriteError
from .selection import EXPORT_COLUMNS, Row, Selection, check_source, selected_rows

__all__ = ["EXPORT_COLUMNS", "FORMATS", "FeedOptions", "Selection", "export_posts"]

FORMATS = ("csv", "json", "ndjson", "atom")

T = TypeVar("T")


def export_posts(
    db: Database,
    fmt: str,
    out: TextIO,
    selection: Selection | None = None,
    feed: FeedOptions | None = None,
) -> int:
    """Write the posts ``selection`` picks (every current post by default) to ``out`` in
    ``fmt``; return how many rows (entries, for Atom). ``feed`` matters only for Atom.

    Raises ``UnknownSource`` before writing anything when the selection names a source the
    archive does not have. Open ``out`` as UTF-8 with ``newline=""`` (as
    :func:`write_atomically` does): the Atom declaration says UTF-8 and the CSV rows end in
    ``\\n`` exactly."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    selection = selection or Selection()
    check_source(db, selection.source)
    rows = selected_rows(db, selection)
    if fmt == "csv":
        return _write_csv(rows, out, selection.columns)
    if fmt == "json":
        return _write_json(list(rows), out)
    if fmt == "ndjson":
        return _write_ndjson(rows, out)
    return write_atom(db, list(rows), out, source=selection.source, options=feed or FeedOptions())


def write_to_path(path: Path, write: Callable[[TextIO], T]) -> T:
    """Write an export to ``path`` as what ``path`` is, never replacing it with something else.

    A symlink is written through: the link stays a link and its target gets the export. A
    regular file, or a name not taken yet, is written atomically (:func:`write_atomically`).
    Anything else (a FIFO, a character device such as /dev/null or a terminal) is written in
    place, as a shell redirection would: renaming a new file over it would destroy it, and
    a FIFO's reader would wait forever. Opening a FIFO waits for its reader, as ``>`` does.

    Raises ``ExportPathError`` when nothing can be written there (no such folder, a
    read-only one) and ``ExportWriteError`` when writing fails part way (a full disk)."""
    shown = str(path)
    target = Path(os.path.realpath(path))  # through every link, to what is written
    try:
        mode: int | None = target.stat().st_mode
    except FileNotFoundError:
        mode = None  # a new file (or a dangling link's target): created atomically
    except OSError as exc:  # a symlink loop, a folder that cannot be searched...
        raise ExportPathError(shown, _reason(exc)) from None
    if mode is None or stat.S_ISREG(mode):
        return write_atomically(target, write, shown=shown)
    return _write_in_place(target, write, shown)


def write_atomically(path: Path, write: Callable[[TextIO], T], *, shown: str | None = None) -> T:
    """Write to a temporary file in the same folder, fsync, then os.replace onto path, so a reader
    (or a crash) never sees a half-written export; the temp file is removed on error.

    The temporary file is created like an ordinary one (permissions from the umask) and takes
    the mode of the file it replaces, so a published export stays readable after a rewrite.
    ``shown`` is the path as the user wrote it, for error messages."""
    path = Path(path)
    shown = shown or str(path)
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise ExportPathError(shown, _folder_reason(exc, path.parent)) from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):  # a first export keeps the umask's mode
            os.chmod(temp, stat.S_IMODE(path.stat().st_mode))
        os.replace(temp, path)
    except OSError as exc:  # a full disk, a quota: the command was right, the write failed
        temp.unlink(missing_ok=True)
        raise ExportWriteError(shown, _reason(exc)) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)
    return result


def _write_in_place(path: Path, write: Callable[[TextIO], T], shown: str) -> T:
    try:
        handle = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ExportPathError(shown, _reason(exc)) from None
    try:
        with handle:
            result = write(handle)
            handle.flush()  # /dev/full says ENOSPC here, a FIFO whose reader left EPIPE
    except OSError as exc:
        raise ExportWriteError(shown, _reason(exc)) from exc
    return result


def _folder_reason(error: OSError, folder: Path) -> str:
    if isinstance(error, FileNotFoundError):
        return f"no folder {folder}"
    return f"{_reason(error)} (in folder {folder})"


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable; not every platform can open a folder."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_csv(rows: Iterator[Row], out: TextIO, columns: Sequence[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([row[column] for column in columns])
        count += 1
    return count


def _write_json(rows: list[Row], out: TextIO) -> int:
    json.dump(rows, out, ensure_ascii=False, indent=2)
    out.write("\n")
    return len(rows)


def _write_ndjson(rows: Iterator[Row], out: TextIO) -> int:
    count = 0
    for row in rows:
        line = json.dumps(row, ensure_ascii=False, separators=(",", ":"))
        # Valid JSON either way, but line readers built on str.splitlines() split on these.
        out.write(line.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029") + "\n")
        count += 1
    return count

"""Exports of the archive's current posts: CSV, JSON, NDJSON and an Atom 1.0 feed.

Every format reads the ``current_posts`` view, so an edited post appears once, as its newest
version, and a removed post is still exported (with ``removed_at``): the archive keeps what the
site dropped. Rows come newest first: ``date`` descending (undated last), then ``first_seen``
descending, then ``post_key``, so two exports of the same archive are byte-identical.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import stat
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from sqlite_utils import Database

from listing_archiver import PROJECT_URL, __version__

from .errors import ExportPathError, ExportWriteError

FORMATS = ("csv", "json", "ndjson", "atom")
EXPORT_COLUMNS = (
    "post_key",
    "url",
    "title",
    "date",
    "author",
    "excerpt",
    "source",
    "first_seen",
    "last_seen",
    "times_seen",
    "versions",
    "removed_at",
    "content_hash",
)

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)  # Atom as the default namespace: <feed xmlns="...">, no ns0:
FALLBACK_AUTHOR = "unknown"  # RFC 4287 4.1.1: an entry without an author takes the feed's
# Feed ids are name-based UUIDs under this project's own namespace, so they never change
# between exports and never collide with another tool's ids.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROJECT_URL)

# Characters XML 1.0 cannot carry at all (not even escaped); scraped text can hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

T = TypeVar("T")
Row = dict[str, Any]


def export_posts(
    db: Database,
    fmt: str,
    out: TextIO,
    *,
    source: str | None = None,
    feed_title: str | None = None,
    now: str | None = None,
) -> int:
    """Write the archive's current posts to ``out`` in ``fmt``; return how many.

    ``source`` keeps only that source's posts. ``feed_title`` and ``now`` (the feed's
    ``updated`` when it has no entries) matter only for Atom. Open ``out`` as UTF-8 with
    ``newline=""`` (as :func:`write_atomically` does): the Atom declaration says UTF-8 and
    the CSV rows end in ``\\n`` exactly."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    rows = _current_posts(db, source)
    if fmt == "csv":
        return _write_csv(rows, out)
    if fmt == "json":
        return _write_json(list(rows), out)
    if fmt == "ndjson":
        return _write_ndjson(rows, out)
    return _write_atom(db, list(rows), out, source=source, feed_title=feed_title, now=now)


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


def _current_posts(db: Database, source: str | None) -> Iterator[Row]:
    where, params = ("where source = ?", [source]) if source is not None else ("", [])
    sql = (
        f"select {', '.join(EXPORT_COLUMNS)} from current_posts {where}"
        " order by date is null, date desc, first_seen desc, post_key"
    )
    for row in db.query(sql, params):
        yield {column: row[column] for column in EXPORT_COLUMNS}


def _write_csv(rows: Iterator[Row], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([row[column] for column in EXPORT_COLUMNS])
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


def feed_id(db: Database, source: str | None) -> str:
    """A feed id that survives every re-export: from the source name, or, for the whole archive,
    from when the archive was created (its first migration), which nothing ever rewrites."""
    if source is not None:
        return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'source:{source}')}"
    created = None
    if db["_sqlite_migrations"].exists():
        found = db.execute(
            "select min(applied_at) from _sqlite_migrations where migration_set = ?",
            ["listing-archiver"],
        ).fetchone()
        created = found[0] if found else None
    name = f"archive:{created or ''}"
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, name)}"


def entry_id(post_key: str) -> str:
    """From the post key, not the content hash, so an edited post keeps its id."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, post_key)}"


def _write_atom(
    db: Database,
    rows: list[Row],
    out: TextIO,
    *,
    source: str | None,
    feed_title: str | None,
    now: str | None,
) -> int:
    entries = [_entry(row) for row in rows]
    stamps = [entry.findtext(_atom("updated")) or "" for entry in entries]
    newest = max(
        stamps,
        key=lambda stamp: _parse_time(stamp) or datetime.min.replace(tzinfo=UTC),
        default=None,
    )
    if feed_title is None:
        feed_title = (
            "listing-archiver archive" if source is None else f"{source} (listing-archiver)"
        )
    feed = ET.Element(_atom("feed"))
    _text(feed, "id", feed_id(db, source))
    _text(feed, "title", feed_title)
    _text(feed, "updated", newest or _timestamp(now) or _utc_now())
    _text(feed, "generator", "listing-archiver", uri=PROJECT_URL, version=__version__)
    author = ET.SubElement(feed, _atom("author"))
    _text(author, "name", FALLBACK_AUTHOR)
    feed.extend(entries)
    ET.indent(feed)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write(ET.tostring(feed, encoding="unicode"))
    out.write("\n")
    return len(entries)


def _entry(row: Row) -> ET.Element:
    entry = ET.Element(_atom("entry"))
    title, url, author = _clean(row["title"]), _clean(row["url"]), _clean(row["author"])
    excerpt = _clean(row["excerpt"])
    day = _day(row["date"])
    first_seen = _timestamp(row["first_seen"]) or _timestamp(row["last_seen"]) or _utc_now()
    # An edit is dated by when its new version was first seen; an unedited post by its date.
    updated = first_seen if row["versions"] > 1 or day is None else day
    _text(entry, "id", entry_id(row["post_key"]))
    _text(entry, "title", title or url or "(untitled)")
    _text(entry, "updated", updated)
    if day is not None:
        _text(entry, "published", day)
    if url:
        ET.SubElement(entry, _atom("link"), rel="alternate", href=url)
    if author:
        _text(ET.SubElement(entry, _atom("author")), "name", author)
    if excerpt:
        _text(entry, "summary", excerpt)
    return entry


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _atom(name), attributes)
    element.text = _NOT_XML.sub("", text)
    return element


def _clean(value: str | None) -> str:
    """Text as XML can hold it; empty when absent or blank."""
    return _NOT_XML.sub("", value).strip() if value else ""


def _day(value: str | None) -> str | None:
    """The listing's date as an RFC 3339 timestamp at midnight UTC; None if not a real date."""
    try:
        return f"{date.fromisoformat(value or '').isoformat()}T00:00:00Z"
    except ValueError:
        return None


def _timestamp(value: str | None) -> str | None:
    """``value`` as an RFC 3339 timestamp (kept as is when it already is one), else None."""
    when = _parse_time(value or "")
    if when is None:
        return None
    return value if value and _RFC3339.fullmatch(value) else _rfc3339(when)


def _parse_time(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # the archive stores UTC


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _utc_now() -> str:
    return _rfc3339(datetime.now(UTC).replace(microsecond=0))

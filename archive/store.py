"""Writes to the archive. Each page's posts land in one transaction, so a run killed
between pages leaves whole pages behind and a rerun simply continues the counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlite_utils import Database

from scraper.records import Entry

from .hashing import HASH_SCHEME, content_hash


@dataclass(frozen=True)
class PageOutcome:
    seen: int  # entries on the page
    new: int  # posts not in the archive before


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def start_run(db: Database, *, source: str, url: str, now: str | None = None) -> int:
    with db.atomic():
        cursor = db.execute(
            "insert into runs (source, url, started, status) values (?, ?, ?, 'running')",
            [source, url, now or utc_now()],
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish_run(
    db: Database, run_id: int, *, status: str, error: str | None = None, now: str | None = None
) -> None:
    with db.atomic():
        db.execute(
            "update runs set finished = ?, status = ?, error = ? where id = ?",
            [now or utc_now(), status, error, run_id],
        )


def save_page(
    db: Database, *, run_id: int, source: str, entries: Sequence[Entry], now: str | None = None
) -> PageOutcome:
    """Upsert one page's entries and count them against the run, atomically.

    A post already archived gets ``last_seen`` moved on and, once per run, ``times_seen``
    raised; an unknown one is inserted. The same post twice on a page is stored once.
    """
    now = now or utc_now()
    by_hash = {content_hash(entry): entry for entry in entries}
    with db.atomic():
        marks = ", ".join("?" * len(by_hash))
        known = {
            row[0]
            for row in db.execute(
                f"select content_hash from posts where content_hash in ({marks})", list(by_hash)
            )
        }
        new_rows = [
            _row(digest, entry, source=source, run_id=run_id, now=now)
            for digest, entry in by_hash.items()
            if digest not in known
        ]
        if new_rows:
            db.table("posts").insert_all(new_rows)
        if known:
            db.execute(
                "update posts set last_seen = ?, times_seen = times_seen + (last_run != ?),"
                f" last_run = ? where content_hash in ({', '.join('?' * len(known))})",
                [now, run_id, run_id, *known],
            )
        db.execute(
            "update runs set pages_fetched = pages_fetched + 1, entries_seen = entries_seen + ?,"
            " new_posts = new_posts + ? where id = ?",
            [len(entries), len(new_rows), run_id],
        )
    return PageOutcome(seen=len(entries), new=len(new_rows))


def _row(digest: str, entry: Entry, *, source: str, run_id: int, now: str) -> dict[str, object]:
    return {
        "content_hash": digest,
        "hash_version": HASH_SCHEME,
        "url": entry.url,
        "title": entry.title,
        "date": entry.date,
        "author": entry.author,
        "excerpt": entry.excerpt,
        "source": source,
        "first_seen": now,
        "last_seen": now,
        "times_seen": 1,
        "first_run": run_id,
        "last_run": run_id,
    }

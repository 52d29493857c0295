"""Writes to the archive. Each page's posts land in one transaction, with the page's
validators and the run's counters, so a run killed between pages leaves whole pages
behind and the next run simply carries on."""

from __future__ import annotations

import json
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
    known_before: int  # entries already archived by an earlier run

    @property
    def all_known(self) -> bool:
        """Every entry was archived before this run: an incremental walk may stop."""
        return self.known_before == self.seen


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def start_run(
    db: Database, *, source: str, url: str, mode: str = "full", now: str | None = None
) -> int:
    with db.atomic():
        cursor = db.execute(
            "insert into runs (source, url, mode, started, status) values (?, ?, ?, ?, 'running')",
            [source, url, mode, now or utc_now()],
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finish_run(
    db: Database,
    run_id: int,
    *,
    status: str,
    stop_reason: str | None = None,
    error: str | None = None,
    now: str | None = None,
) -> None:
    with db.atomic():
        db.execute(
            "update runs set finished = ?, status = ?, stop_reason = ?, error = ? where id = ?",
            [now or utc_now(), status, stop_reason, error, run_id],
        )


def mark_interrupted(db: Database, now: str | None = None) -> int:
    """Runs left ``running`` by a killed process become ``interrupted``. Call it only
    while holding the archive lock, when no other run can be in progress."""
    with db.atomic():
        cursor = db.execute(
            "update runs set status = 'interrupted', finished = ?,"
            " error = coalesce(error, 'the process stopped before the run finished')"
            " where status = 'running'",
            [now or utc_now()],
        )
    return cursor.rowcount


def incremental_allowed(db: Database, source: str) -> bool:
    """An incremental walk may stop at known posts only if the source's previous run
    finished ok: after a failed or interrupted run, older pages may hold posts that
    were never archived, so the next walk must go to the end."""
    row = db.execute(
        "select status from runs where source = ? and status != 'running' order by id desc limit 1",
        [source],
    ).fetchone()
    return row is not None and row[0] == "ok"


def page_validators(db: Database, url: str) -> dict[str, str]:
    """Conditional-request headers from the page's last 200 answer."""
    row = db.execute("select etag, last_modified from pages where url = ?", [url]).fetchone()
    headers: dict[str, str] = {}
    if row and row[0]:
        headers["If-None-Match"] = row[0]
    if row and row[1]:
        headers["If-Modified-Since"] = row[1]
    return headers


def save_page(
    db: Database,
    *,
    run_id: int,
    source: str,
    entries: Sequence[Entry],
    page_url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    next_url: str | None = None,
    now: str | None = None,
) -> PageOutcome:
    """Upsert one page's entries and count them against the run, atomically.

    A post already archived gets ``last_seen`` moved on and, once per run, ``times_seen``
    raised; an unknown one is inserted. The same post twice on a page is stored once.
    """
    now = now or utc_now()
    by_hash = {content_hash(entry): entry for entry in entries}
    with db.atomic():
        first_runs = _first_runs(db, list(by_hash))
        new_rows = [
            _row(digest, entry, source=source, run_id=run_id, now=now)
            for digest, entry in by_hash.items()
            if digest not in first_runs
        ]
        if new_rows:
            db.table("posts").insert_all(new_rows)
        _mark_seen(db, list(first_runs), run_id=run_id, now=now)
        if page_url is not None:
            db.table("pages").upsert(
                {
                    "url": page_url,
                    "source": source,
                    "etag": etag,
                    "last_modified": last_modified,
                    "next_url": next_url,
                    "post_hashes": json.dumps(list(by_hash)),
                    "fetched": now,
                },
                pk="url",
            )
        _count(db, run_id, pages_fetched=1, entries_seen=len(entries), new_posts=len(new_rows))
    known_before = sum(
        1 for entry in entries if first_runs.get(content_hash(entry), run_id) != run_id
    )
    return PageOutcome(seen=len(entries), new=len(new_rows), known_before=known_before)


def save_not_modified(
    db: Database, *, run_id: int, page_url: str, now: str | None = None
) -> PageOutcome:
    """A 304 for ``page_url``: the posts it held last time count as seen again."""
    now = now or utc_now()
    with db.atomic():
        row = db.execute("select post_hashes from pages where url = ?", [page_url]).fetchone()
        hashes = json.loads(row[0]) if row and row[0] else []
        known = list(_first_runs(db, hashes))
        _mark_seen(db, known, run_id=run_id, now=now)
        _count(db, run_id, not_modified=1, entries_seen=len(known))
    return PageOutcome(seen=len(known), new=0, known_before=len(known))


def _first_runs(db: Database, hashes: list[str]) -> dict[str, int]:
    if not hashes:
        return {}
    marks = ", ".join("?" * len(hashes))
    sql = f"select content_hash, first_run from posts where content_hash in ({marks})"
    return {digest: first_run for digest, first_run in db.execute(sql, hashes)}


def _mark_seen(db: Database, hashes: list[str], *, run_id: int, now: str) -> None:
    if hashes:
        db.execute(
            "update posts set last_seen = ?, times_seen = times_seen + (last_run != ?),"
            f" last_run = ? where content_hash in ({', '.join('?' * len(hashes))})",
            [now, run_id, run_id, *hashes],
        )


def _count(db: Database, run_id: int, **increments: int) -> None:
    sets = ", ".join(f"{column} = {column} + ?" for column in increments)
    db.execute(f"update runs set {sets} where id = ?", [*increments.values(), run_id])


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

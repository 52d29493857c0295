"""Writes to the archive. Each page's posts land in one transaction, with the page's
validators and the run's counters, so a run killed between pages leaves whole pages
behind and the next run simply carries on."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from listing_archiver.scraper.records import Entry

from .current import keys_of, refresh_current
from .hashing import HASH_SCHEME, fields_hash, version_hash
from .identity import post_key


@dataclass(frozen=True)
class PageOutcome:
    seen: int  # entries on the page
    new: int  # posts not in the archive before (a new post_key)
    known_before: int  # entries whose version was archived by an earlier run
    changed: int = 0  # new versions of known posts (an edited title, excerpt...)

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


def interrupt_running(db: Database, *, error: str, now: str | None = None) -> list[dict[str, Any]]:
    """Mark the runs still ``running`` interrupted with ``error``, and return their rows
    as now stored. For a process stopping its own runs that cannot finish themselves;
    like ``mark_interrupted``, only while holding the archive lock."""
    with db.atomic():
        ids = [row[0] for row in db.execute("select id from runs where status = 'running'")]
        db.execute(
            "update runs set status = 'interrupted', finished = ?, error = ?"
            " where status = 'running'",
            [now or utc_now(), error],
        )
    return [db.table("runs").get(run_id) for run_id in ids]


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


@dataclass(frozen=True, slots=True)
class Identified:
    """An entry with its content hash, post key and fields hash, worked out before the
    write."""

    entry: Entry
    digest: str
    key: str
    fields: str  # archive.hashing.fields_hash: the content without the URL


def identify(entries: Sequence[Entry]) -> list[Identified]:
    """Hash and key each entry. Pure, so a walk computes it on its own thread while the
    writer thread is busy with the previous page: the writer is a run's critical path."""
    identified = []
    for entry in entries:  # archive.hashing.content_hash, keeping its parts: each once
        fields = fields_hash(entry)
        key = post_key(entry.url, fields)
        identified.append(Identified(entry, version_hash(key, fields), key, fields))
    return identified


def save_page(
    db: Database,
    *,
    run_id: int,
    source: str,
    entries: Sequence[Entry],
    identified: Sequence[Identified] | None = None,
    page_url: str | None = None,
    page_number: int = 1,
    etag: str | None = None,
    last_modified: str | None = None,
    next_url: str | None = None,
    now: str | None = None,
) -> PageOutcome:
    """Upsert one page's entries, where they were seen, and the run's counts, atomically.

    A version already archived gets ``last_seen`` moved on and, once per run,
    ``times_seen`` raised; an unknown version is inserted, counted as *changed* when its
    post (``post_key``) is known and as *new* otherwise. Old versions are kept.
    """
    now = now or utc_now()
    items = identify(entries) if identified is None else identified
    digests = [item.digest for item in items]
    by_hash: dict[str, Entry] = {}
    for item in items:  # a version twice on one page: stored as first listed (its URL form)
        by_hash.setdefault(item.digest, item.entry)
    key_of = {item.digest: item.key for item in items}
    fields_of = {item.digest: item.fields for item in items}
    with db.atomic():
        first_runs = _first_runs(db, list(by_hash))
        keys = {d: key_of[d] for d in by_hash if d not in first_runs}
        known_keys = _existing_keys(db, list(set(keys.values())))
        new_rows = [
            _row(
                digest,
                by_hash[digest],
                key,
                fields_of[digest],
                source=source,
                run_id=run_id,
                now=now,
            )
            for digest, key in keys.items()
        ]
        settled = _flag_new_posts_current(new_rows, known_keys)
        if new_rows:
            _insert(db, "posts", new_rows)
        changed = sum(1 for key in keys.values() if key in known_keys)
        archived_keys = {key_of[digest] for digest in first_runs} | known_keys
        _mark_seen(db, sorted(archived_keys), run_id=run_id, now=now, already=list(first_runs))
        refresh_current(db, [key for key in set(key_of.values()) if key not in settled])
        _record_sightings(
            db, run_id, digests, page_url, page_number, now, known=first_runs, not_modified=False
        )
        if page_url is not None:
            db.execute(
                "insert into pages (url, source, etag, last_modified, next_url, post_hashes,"
                " fetched) values (?, ?, ?, ?, ?, ?, ?) on conflict (url) do update set"
                " source = excluded.source, etag = excluded.etag,"
                " last_modified = excluded.last_modified, next_url = excluded.next_url,"
                " post_hashes = excluded.post_hashes, fetched = excluded.fetched",
                [page_url, source, etag, last_modified, next_url, json.dumps(list(by_hash)), now],
            )
        _count(
            db,
            run_id,
            pages_fetched=1,
            entries_seen=len(entries),
            new_posts=len(new_rows) - changed,
            changed_posts=changed,
        )
    known_before = sum(1 for d in digests if first_runs.get(d, run_id) != run_id)
    return PageOutcome(len(entries), len(new_rows) - changed, known_before, changed)


def _flag_new_posts_current(rows: list[dict[str, object]], known_keys: set[str]) -> set[str]:
    """Insert a new post's only version as current, rather than insert it and then move
    the flag to it (an update per page, and the full-text index written twice): the keys
    so settled need no ``refresh_current``. A post new on this page in two versions is
    left to ``refresh_current``, which picks the newest."""
    versions = Counter(row["post_key"] for row in rows)
    settled = {key for key, count in versions.items() if count == 1 and key not in known_keys}
    for row in rows:
        row["is_current"] = int(row["post_key"] in settled)
    return {str(key) for key in settled}


def save_not_modified(
    db: Database, *, run_id: int, page_url: str, page_number: int = 1, now: str | None = None
) -> PageOutcome:
    """A 304 for ``page_url``: the posts it held last time count as seen again."""
    now = now or utc_now()
    with db.atomic():
        row = db.execute("select post_hashes from pages where url = ?", [page_url]).fetchone()
        stored = json.loads(row[0]) if row and row[0] else []
        known = [d for d in stored if d in _first_runs(db, stored)]
        keys = keys_of(db, known)
        _mark_seen(db, keys, run_id=run_id, now=now, already=known)
        refresh_current(db, keys)
        _record_sightings(
            db, run_id, known, page_url, page_number, now, known=known, not_modified=True
        )
        _count(db, run_id, not_modified=1, entries_seen=len(known))
    return PageOutcome(seen=len(known), new=0, known_before=len(known))


def mark_removed(db: Database, *, run_id: int, source: str, now: str | None = None) -> int:
    """After a complete full walk: the source's posts it did not see are marked removed.
    Only ever called for a walk that reached the end of the listing without error.
    A post the run saw has a version whose ``last_run`` is the run (sightings no longer
    hold a row per post per run). The source's posts are those whose current version it
    saw first, read from the current rows' index (m009 dropped the index of every
    version by source and date, which a page write paid for and nothing else read)."""
    now = now or utc_now()
    with db.atomic():
        gone = [
            row[0]
            for row in db.execute(
                "select p.post_key from posts p where p.source = ? and p.is_current = 1"
                " and p.removed_at is null and not exists (select 1 from posts v"
                " where v.post_key = p.post_key and v.last_run = ?)",
                [source, run_id],
            )
        ]
        if gone:
            db.execute(
                "update posts set removed_at = ? where removed_at is null"
                f" and post_key in ({', '.join('?' * len(gone))})",
                [now, *gone],
            )
        _count(db, run_id, removed_posts=len(gone))
    return len(gone)


def _first_runs(db: Database, hashes: list[str]) -> dict[str, int]:
    if not hashes:
        return {}
    marks = ", ".join("?" * len(hashes))
    sql = f"select content_hash, first_run from posts where content_hash in ({marks})"
    return {digest: first_run for digest, first_run in db.execute(sql, hashes)}


def _existing_keys(db: Database, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    marks = ", ".join("?" * len(keys))
    sql = f"select distinct post_key from posts where post_key in ({marks})"
    return {row[0] for row in db.execute(sql, keys)}


def _mark_seen(db: Database, keys: list[str], *, run_id: int, now: str, already: list[str]) -> None:
    """``already`` (versions archived before this page) move on; every post seen among
    ``keys`` (those archived before this page: a post new on it cannot be removed) is no
    longer removed, whichever of its versions came back."""
    if already:
        db.execute(
            "update posts set last_seen = ?, times_seen = times_seen + (last_run != ?),"
            f" last_run = ? where content_hash in ({', '.join('?' * len(already))})",
            [now, run_id, run_id, *already],
        )
    if keys:
        db.execute(
            "update posts set removed_at = null where removed_at is not null"
            f" and post_key in ({', '.join('?' * len(keys))})",
            keys,
        )


def _record_sightings(
    db: Database,
    run_id: int,
    digests: Sequence[str],
    page_url: str | None,
    page_number: int,
    now: str,
    *,
    known: Collection[str],
    not_modified: bool,
) -> None:
    """A sighting for each version first seen, or seen on another page than its last
    sighting: provenance grows with news, not with every run that sees the same page
    (``last_seen``, ``times_seen`` and ``last_run`` on the version count the rest)."""
    rows: list[dict[str, object]] = [
        {
            "run_id": run_id,
            "content_hash": digest,
            "page_url": page_url,
            "page_number": page_number,
            "position": position,
            "seen_at": now,
            "not_modified": int(not_modified),
        }
        for position, digest in _moved(db, digests, known, page_url, page_number)
    ]
    if rows:
        _insert(db, "sightings", rows)


def _moved(
    db: Database,
    digests: Sequence[str],
    known: Collection[str],
    page_url: str | None,
    page_number: int,
) -> list[tuple[int, str]]:
    """(position, digest) of the versions whose latest sighting, if any, was elsewhere;
    a version listed twice on the page counts at its first position. Only ``known``
    versions (archived before this page) can have a sighting: a page of new posts, a
    first walk's every page, asks nothing."""
    first: dict[str, int] = {}
    for position, digest in enumerate(digests, 1):
        first.setdefault(digest, position)
    asked = [digest for digest in first if digest in known]
    stay = _sighted_here(db, asked, page_url, page_number) if asked else set()
    return [(position, digest) for digest, position in first.items() if digest not in stay]


def _sighted_here(
    db: Database, digests: list[str], page_url: str | None, page_number: int
) -> set[str]:
    """The ``digests`` whose latest sighting was on this page (URL and number)."""
    latest = db.execute(
        "select d.value, s.page_url, s.page_number from json_each(?) d"
        " join sightings s on s.id = (select id from sightings where content_hash = d.value"
        " order by run_id desc, id desc limit 1)",
        [json.dumps(digests)],
    )
    return {digest for digest, url, number in latest if (url, number) == (page_url, page_number)}


RUN_COUNTERS = frozenset(
    {"pages_fetched", "not_modified", "entries_seen", "new_posts", "changed_posts", "removed_posts"}
)


def _count(db: Database, run_id: int, **increments: int) -> None:
    """Add to the run's counters. Column names come from code, never from input: the
    allow-list keeps it so (values are always bound parameters)."""
    if not increments.keys() <= RUN_COUNTERS:
        raise ValueError(f"not a run counter: {sorted(increments.keys() - RUN_COUNTERS)}")
    sets = ", ".join(f"{column} = {column} + ?" for column in increments)
    db.execute(f"update runs set {sets} where id = ?", [*increments.values(), run_id])


MAX_ROWS_PER_INSERT = 500  # well under SQLite's limit of 32,766 bound values


def _insert(db: Database, table: str, rows: list[dict[str, object]]) -> None:
    """Multi-row ``insert ... values (...), (...)``: one statement, one step. Not
    ``executemany``, whose step per row releases the GIL each time, and in a run whose
    other threads are fetching and parsing, getting it back can cost a switch interval
    per row. (sqlite-utils' ``insert_all`` adds table introspection and a savepoint.)"""
    columns = list(rows[0])
    row_marks = "(" + ", ".join("?" * len(columns)) + ")"
    for start in range(0, len(rows), MAX_ROWS_PER_INSERT):
        chunk = rows[start : start + MAX_ROWS_PER_INSERT]
        db.conn.execute(
            f"insert into {table} ({', '.join(columns)}) values "
            + ", ".join([row_marks] * len(chunk)),
            [row[column] for row in chunk for column in columns],
        )


def _row(
    digest: str, entry: Entry, key: str, fields: str, *, source: str, run_id: int, now: str
) -> dict[str, object]:
    return {
        "content_hash": digest,
        "post_key": key,
        "fields_hash": fields,
        "hash_version": HASH_SCHEME,
        "url": entry.url,
        "title": entry.title,
        "date": entry.date,
        "year": None if entry.date is None else entry.date[:4],  # as m006: substr(date, 1, 4)
        "author": entry.author,
        "excerpt": entry.excerpt,
        "source": source,
        "first_seen": now,
        "last_seen": now,
        "times_seen": 1,
        "first_run": run_id,
        "last_run": run_id,
    }

"""Upgrade an archive's rows to the current hash scheme, in place (migration m005).

Every row is rehashed from its own stored fields and URL: content hash, ``post_key``
(the canonical form may have grown: http/https, ``www.``, session ids) and
``fields_hash``. Everything that names a row by its hash follows: ``sightings``, and
``pages.post_hashes``. Rows keep their rowid, which the full-text index is keyed by,
so it stays right without a rebuild.

Two rows can become one version: same fields under URLs that now share a key (and
rows whose stored scheme-1 hash predates a normalisation fix). They are merged into
the earliest-seen row (its URL and source are where the version was first seen): the
earliest first_seen and first_run, the latest last_seen and last_run, every sighting
repointed. ``times_seen`` is the number of runs that saw either row: neither summed
(a run that saw the post under both URLs would count twice) nor maxed (runs that saw
only one of them would be lost), but the distinct runs of both rows' sightings, plus
any runs a row counted that left no sighting (before sightings were recorded).

A post whose versions came from several old keys is removed only if all of them
were (at the latest such time); if any was still listed, it is listed.

Running it again changes nothing: each row already carries what it would compute.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from sqlite_utils import Database

from .hashing import HASH_SCHEME, fields_hash, version_hash
from .identity import post_key

_COLUMNS = (
    "rowid, content_hash, post_key, fields_hash, hash_version, url, title, date, author,"
    " excerpt, first_seen, last_seen, times_seen, first_run, last_run, removed_at"
)


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A ``posts`` row as the upgrade reads it (the fields it needs)."""

    rowid: int
    content_hash: str
    post_key: str | None
    fields_hash: str | None
    hash_version: int | None
    url: str | None
    title: str | None
    date: str | None
    author: str | None
    excerpt: str | None
    first_seen: str
    last_seen: str
    times_seen: int
    first_run: int
    last_run: int
    removed_at: str | None


@dataclass(frozen=True, slots=True)
class Rehashed:
    """What the current scheme makes of a stored row."""

    row: StoredVersion
    digest: str
    key: str
    fields: str

    @property
    def unchanged(self) -> bool:
        row = self.row
        return (row.content_hash, row.post_key, row.fields_hash, row.hash_version) == (
            self.digest,
            self.key,
            self.fields,
            HASH_SCHEME,
        )


@dataclass(frozen=True)
class RehashOutcome:
    rehashed: int  # rows whose hash, key or scheme changed
    merged: int  # rows folded into another row (the same version under the new scheme)


def rehash_posts(db: Database) -> RehashOutcome:
    """Bring every ``posts`` row to ``HASH_SCHEME``, in one transaction."""
    with db.atomic():
        rows = [StoredVersion(*r) for r in db.execute(f"select {_COLUMNS} from posts")]
        versions: dict[str, list[Rehashed]] = defaultdict(list)
        for row in rows:
            new = _rehash(row)
            versions[new.digest].append(new)
        renamed = {
            item.row.content_hash: digest
            for digest, group in versions.items()
            for item in group
            if item.row.content_hash != digest
        }
        merged = 0
        for group in versions.values():
            group.sort(key=lambda item: (item.row.first_seen, item.row.rowid))
            if len(group) > 1:
                _merge(db, group)
                merged += len(group) - 1
            elif not group[0].unchanged:
                _update(db, group[0], _counts(group[0].row))
        _repoint(db, renamed)
        _fix_removals(db, [item for group in versions.values() for item in group])
    rehashed = sum(1 for group in versions.values() for item in group if not item.unchanged)
    return RehashOutcome(rehashed=rehashed, merged=merged)


def _rehash(row: StoredVersion) -> Rehashed:
    fields = fields_hash(row)
    key = post_key(row.url, fields)
    return Rehashed(row, version_hash(key, fields), key, fields)


def _counts(row: StoredVersion) -> tuple[str, str, int, int, int]:
    return (row.first_seen, row.last_seen, row.times_seen, row.first_run, row.last_run)


def _merge(db: Database, group: list[Rehashed]) -> None:
    """Fold the group's later rows into its first (the earliest seen)."""
    olds = [item.row.content_hash for item in group]
    marks = ", ".join("?" * len(olds))
    sighted: dict[str, set[int]] = defaultdict(set)
    for digest, run_id in db.execute(
        f"select content_hash, run_id from sightings where content_hash in ({marks})", olds
    ):
        sighted[digest].add(run_id)
    runs = set().union(*sighted.values())
    unsighted = sum(max(0, i.row.times_seen - len(sighted[i.row.content_hash])) for i in group)
    rows = [item.row for item in group]
    counts = (
        min(r.first_seen for r in rows),
        max(r.last_seen for r in rows),
        max(len(runs) + unsighted, *(r.times_seen for r in rows)),
        min(r.first_run for r in rows),
        max(r.last_run for r in rows),
    )
    # Deleting fires the full-text index's delete trigger: the index loses exactly them.
    doomed = [r.rowid for r in rows[1:]]
    db.execute(f"delete from posts where rowid in ({', '.join('?' * len(doomed))})", doomed)
    _update(db, group[0], counts)


def _update(db: Database, item: Rehashed, counts: tuple[str, str, int, int, int]) -> None:
    """Rewrite one row's identity and counts; its rowid, hence its index entry, stays."""
    db.execute(
        "update posts set content_hash = ?, post_key = ?, fields_hash = ?, hash_version = ?,"
        " first_seen = ?, last_seen = ?, times_seen = ?, first_run = ?, last_run = ?"
        " where rowid = ?",
        [item.digest, item.key, item.fields, HASH_SCHEME, *counts, item.row.rowid],
    )


def _repoint(db: Database, renamed: dict[str, str]) -> None:
    """Sightings and pages' post lists follow their rows to the new hashes."""
    if not renamed:
        return
    db.conn.executemany(
        "update sightings set content_hash = ? where content_hash = ?",
        [(new, old) for old, new in renamed.items()],
    )
    pages = db.execute("select url, post_hashes from pages where post_hashes is not null")
    for url, stored in pages.fetchall():
        before = json.loads(stored)
        after = list(dict.fromkeys(renamed.get(digest, digest) for digest in before))
        if after != before:
            db.execute("update pages set post_hashes = ? where url = ?", [json.dumps(after), url])


def _fix_removals(db: Database, items: list[Rehashed]) -> None:
    """A post whose rows disagree on ``removed_at`` (they came from several old keys)
    is listed if any of them was, else removed at the latest of their times. Rows of
    one old key always agree (removals are marked and cleared per key)."""
    removals: dict[str, set[str | None]] = defaultdict(set)
    for item in items:
        removals[item.key].add(item.row.removed_at)
    for key, values in removals.items():
        if len(values) > 1:
            removed_at = None if None in values else max(v for v in values if v is not None)
            db.execute("update posts set removed_at = ? where post_key = ?", [removed_at, key])

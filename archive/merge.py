"""Merging archives: the shards of several writers (or machines) into one archive.

A shard is read through ``opening.open_reader``, never written; the target is written in
one transaction per shard, so a merge killed mid-shard leaves the target as it was
before that shard. Every rule below combines by a key both archives agree on, never by
an id, so merging is idempotent (merging a shard again adds nothing) and order-free
(A then B is B then A):

- a **run** is its source, start URL and start time (to the millisecond): a shard's run
  the target lacks is added with a new id (``runs.origin``/``origin_id`` say where it came
  from); one it has keeps the more finished of the two rows;
- a **version** is its content hash: ``first_seen`` is the earlier (with the ``url``,
  ``source`` and ``first_run`` that go with it), ``last_seen`` the later (with its
  ``last_run``), and ``times_seen`` adds the shard's sightings by runs the target did not
  have (:func:`newly_seen`);
- a **post** is removed when its latest removal is no earlier than its latest sighting,
  in whichever archive each happened; its current version is then rebuilt
  (``current.refresh_current``), which keeps the full-text index, and the per-source
  field counts follow from the triggers on ``posts`` (``drift``);
- a **sighting** is all of its fields, its run by the run's key;
- a **page**'s validators are those of its latest fetch;
- a **learned profile** is its source, time and text; of the active profiles of one
  source, the latest learned stays active and replaces the others.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from .current import refresh_current
from .errors import SameArchive
from .merge_profiles import merge_profiles
from .merge_profiles import rows as _rows
from .opening import open_reader

CHUNK = 500  # rows per statement: well under SQLite's limit of bound values
RunKey = tuple[str, str, str]  # source, url, started: a run in every archive it reaches


@dataclass(frozen=True)
class MergeOutcome:
    """What one shard added to the target."""

    shard: str
    runs_added: int
    versions_added: int
    versions_updated: int  # known versions whose provenance the shard moved on
    sightings_added: int
    profiles_added: int


@dataclass(frozen=True)
class RunMap:
    """The shard's run ids in the target, and which of them the target lacked."""

    ids: dict[int, int]  # shard id -> target id
    new: frozenset[int]  # shard ids added by this merge
    new_sorted: tuple[int, ...]

    def target(self, shard_id: int | None) -> int | None:
        return None if shard_id is None else self.ids.get(shard_id)

    def is_new(self, shard_id: int | None) -> bool:
        return shard_id is None or shard_id in self.new

    def new_between(self, low: int, high: int) -> int:
        """How many added runs have a shard id in [low, high]."""
        return bisect_right(self.new_sorted, high) - bisect_left(self.new_sorted, low)


def check_shards(target: str, shards: Sequence[str]) -> None:
    """Refuse, before anything is written, a shard that is not an up-to-date archive
    (``open_reader``'s one-line refusals) or that is the target itself."""
    for shard in shards:
        if os.path.exists(target) and os.path.samefile(target, shard):
            raise SameArchive(shard, target)
        open_reader(shard).close()


def merge_shard(target: Database, shard_path: str) -> MergeOutcome:
    """Union the archive at ``shard_path`` into ``target`` in one transaction. The caller
    holds the target's lock; the shard is read in one read transaction (a snapshot, so a
    run writing the shard meanwhile is seen before or after a page, never halfway)."""
    shard = open_reader(shard_path)
    try:
        shard.execute("begin")
        with target.atomic():
            runs = merge_runs(target, shard, origin=os.path.abspath(shard_path))
            added, updated, keys = merge_posts(target, shard, runs)
            sightings = merge_sightings(target, shard, runs)
            merge_pages(target, shard)
            profiles = merge_profiles(target, shard, runs.ids)
            settle_posts(target, sorted(keys))
    finally:
        shard.close()
    return MergeOutcome(shard_path, len(runs.new), added, updated, sightings, profiles)


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert(db: Database, table: str, row: dict[str, Any]) -> int:
    names = list(row)
    cursor = db.execute(
        f"insert into {table} ({', '.join(names)}) values ({', '.join('?' * len(names))})",
        [row[name] for name in names],
    )
    return int(cursor.lastrowid or 0)


def _update(db: Database, table: str, key: str, value: Any, changes: dict[str, Any]) -> None:
    sets = ", ".join(f"{name} = ?" for name in changes)
    db.execute(f"update {table} set {sets} where {key} = ?", [*changes.values(), value])


# -- runs ---------------------------------------------------------------------------------

RUN_LOCAL = ("id", "origin", "origin_id")  # the target's own bookkeeping, never copied


def run_key(row: dict[str, Any]) -> RunKey:
    return (row["source"], row["url"], row["started"])


def _progress(row: dict[str, Any]) -> tuple[Any, ...]:
    """How far a run got: the further of two copies of one run is kept (a run merged
    while it was still running, then again once finished). Ends on every field, so the
    choice never depends on which copy came first."""
    walked = (row["pages_fetched"] or 0) + (row["not_modified"] or 0)
    shared = tuple(repr(row[name]) for name in sorted(row) if name not in RUN_LOCAL)
    return (row["finished"] is not None, walked, row["entries_seen"] or 0, shared)


def merge_runs(target: Database, shard: Database, *, origin: str) -> RunMap:
    """Add the shard's runs the target lacks, and map every shard run to its target id."""
    known = {
        (source, url, started): run_id
        for run_id, source, url, started in target.execute(
            "select id, source, url, started from runs"
        )
    }
    ids: dict[int, int] = {}
    new: set[int] = set()
    for row in _rows(shard, "select * from runs order by id"):
        fields = {name: value for name, value in row.items() if name not in RUN_LOCAL}
        existing = known.get(run_key(row))
        if existing is None:
            known[run_key(row)] = ids[row["id"]] = _insert(
                target, "runs", {**fields, "origin": origin, "origin_id": row["id"]}
            )
            new.add(row["id"])
            continue
        ids[row["id"]] = existing
        [mine] = _rows(target, "select * from runs where id = ?", [existing])
        if _progress(row) > _progress(mine):
            _update(target, "runs", "id", existing, fields)
    return RunMap(ids, frozenset(new), tuple(sorted(new)))


# -- posts --------------------------------------------------------------------------------


def newly_seen(row: dict[str, Any], runs: RunMap) -> int:
    """How many of the shard's sightings of a version the target has not counted yet.

    ``times_seen`` counts the runs that saw a version; the target has counted those of
    the shard's runs it already had. When every run that saw it is new (``first_run``
    and ``last_run`` both: a shard never merged before), all of them; when none is
    (the same shard merged again), none. In between (a shard merged, then run again,
    then merged again, and the version seen both before and after): the added runs
    between its first and last run, at least one and fewer than all, an upper bound
    that is exact when every run of the shard walked the whole listing. Sightings no
    longer record every run that saw a version (m008), so no exact count is possible."""
    first, last, seen = row["first_run"], row["last_run"], int(row["times_seen"] or 0)
    if runs.is_new(first) and runs.is_new(last):
        return seen
    if not runs.is_new(first) and not runs.is_new(last):
        return 0
    ends = [run for run in (first, last) if run is not None]
    return max(1, min(seen - 1, runs.new_between(min(ends), max(ends))))


def _combined(mine: dict[str, Any], theirs: dict[str, Any], runs: RunMap) -> dict[str, Any]:
    """The target's changes to its copy of a version the shard also holds."""
    changes: dict[str, Any] = {}
    if _first_sighting(theirs) < _first_sighting(mine):
        changes.update(first_seen=theirs["first_seen"], url=theirs["url"], source=theirs["source"])
        changes["first_run"] = runs.target(theirs["first_run"])
    if theirs["last_seen"] > mine["last_seen"]:
        changes.update(last_seen=theirs["last_seen"], last_run=runs.target(theirs["last_run"]))
    if added := newly_seen(theirs, runs):
        changes["times_seen"] = mine["times_seen"] + added
    removed = [at for at in (mine["removed_at"], theirs["removed_at"]) if at is not None]
    if removed and max(removed) != mine["removed_at"]:
        changes["removed_at"] = max(removed)  # settled per post by settle_posts
    return changes


def _first_sighting(row: dict[str, Any]) -> tuple[str, str, str]:
    """When, under which URL and by which source a version was first seen; the URL and
    source break a tie, so the choice never depends on the order of merging."""
    return (row["first_seen"], row["url"] or "", row["source"] or "")


def merge_posts(target: Database, shard: Database, runs: RunMap) -> tuple[int, int, set[str]]:
    """Add the versions the target lacks, combine the provenance of those it has;
    (added, updated, the post keys touched)."""
    added = updated = 0
    keys: set[str] = set()
    for chunk in _chunks(_rows(shard, "select * from posts order by rowid")):
        marks = ", ".join("?" * len(chunk))
        mine = {
            row["content_hash"]: row
            for row in _rows(
                target,
                f"select * from posts where content_hash in ({marks})",
                [row["content_hash"] for row in chunk],
            )
        }
        for theirs in chunk:
            keys.add(theirs["post_key"])
            ours = mine.get(theirs["content_hash"])
            if ours is None:
                _insert(target, "posts", _new_version(theirs, runs))
                added += 1
            elif changes := _combined(ours, theirs, runs):
                _update(target, "posts", "content_hash", theirs["content_hash"], changes)
                updated += 1
    return added, updated, keys


def _new_version(row: dict[str, Any], runs: RunMap) -> dict[str, Any]:
    """A shard's version as the target stores it: its runs re-keyed, and not yet
    current (``settle_posts`` moves the flag, and the full-text index with it)."""
    return {
        **row,
        "first_run": runs.target(row["first_run"]),
        "last_run": runs.target(row["last_run"]),
        "times_seen": newly_seen(row, runs),
        "is_current": 0,
    }


def settle_posts(target: Database, keys: Sequence[str]) -> None:
    """Per post: removed (every version, at its latest removal) if that removal is no
    earlier than its latest sighting, else not removed; then its current version."""
    for start in range(0, len(keys), CHUNK):
        chunk = list(keys[start : start + CHUNK])
        marks = ", ".join("?" * len(chunk))
        settled = (
            "(select case when max(v.removed_at) >= max(v.last_seen) then max(v.removed_at) end"
            " from posts v where v.post_key = posts.post_key)"
        )
        target.execute(
            f"update posts set removed_at = {settled}"
            f" where post_key in ({marks}) and removed_at is not {settled}",
            chunk,
        )
        refresh_current(target, chunk)


# -- sightings and pages -------------------------------------------------------------------

SIGHTING_FIELDS = ("content_hash", "page_url", "page_number", "position", "seen_at")


def merge_sightings(target: Database, shard: Database, runs: RunMap) -> int:
    """Copy the shard's sightings the target lacks, re-keyed to the target's runs. Only
    a run the target already had can already have them (merged before)."""
    added = 0
    for row in _rows(shard, "select * from sightings order by id"):
        fields = {name: value for name, value in row.items() if name != "id"}
        fields["run_id"] = runs.target(row["run_id"])
        if not runs.is_new(row["run_id"]) and _has_sighting(target, fields):
            continue
        _insert(target, "sightings", fields)
        added += 1
    return added


def _has_sighting(target: Database, fields: dict[str, Any]) -> bool:
    match = " and ".join(f"{name} is ?" for name in ("run_id", *SIGHTING_FIELDS))
    values = [fields[name] for name in ("run_id", *SIGHTING_FIELDS)]
    return target.execute(f"select 1 from sightings where {match}", values).fetchone() is not None


def merge_pages(target: Database, shard: Database) -> None:
    """Each page keeps the validators (and the posts) of its latest fetch: what a
    conditional request to it must match."""
    for theirs in _rows(shard, "select * from pages"):
        mine = next(_rows(target, "select * from pages where url = ?", [theirs["url"]]), None)
        if mine is None:
            _insert(target, "pages", theirs)
        elif _fetch_order(theirs) > _fetch_order(mine):
            _update(target, "pages", "url", theirs["url"], theirs)


def _fetch_order(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["fetched"] or "", *(repr(row[name]) for name in sorted(row)))

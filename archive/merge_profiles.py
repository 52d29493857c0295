"""Merging learned profiles (``archive.learned``) from a shard into a target archive.

A learned profile is its source, the time it was learned and its TOML: that key, not its
id, says whether the target holds it already. A profile the shard has moved on (replaced
or rejected there, still active in the target) takes the shard's status. A source keeps
one active profile: the latest learned, which replaces every other active one, whichever
archive it came from (the same rule whatever the order of merging).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from .learned import ACTIVE, REPLACED

ProfileKey = tuple[str, str, str]  # source, learned_at, profile


def rows(db: Database, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    """The rows of a query as dicts by column name (what ``merge`` copies between
    archives whose tables have the same columns)."""
    cursor = db.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def profile_key(row: Mapping[str, Any]) -> ProfileKey:
    return (row["source"], row["learned_at"], row["profile"])


def merge_profiles(target: Database, shard: Database, run_ids: Mapping[int, int]) -> int:
    """Copy the shard's learned profiles the target lacks (their runs and replacements
    re-keyed), then leave one active profile per source; how many were added."""
    known = {profile_key(row): row for row in rows(target, "select * from learned_profiles")}
    theirs = list(rows(shard, "select * from learned_profiles order by id"))
    ids: dict[int, int] = {}
    added = 0
    for row in theirs:
        mine = known.get(profile_key(row))
        if mine is None:
            ids[row["id"]] = _add(target, row, run_ids)
            added += 1
        else:
            ids[row["id"]] = mine["id"]
            if mine["status"] == ACTIVE and row["status"] != ACTIVE:
                _set(target, mine["id"], status=row["status"], replaced_at=row["replaced_at"])
    for row in theirs:  # every row has its target id now
        if row["replaced_by"] is not None:
            _set_replacement(target, ids[row["id"]], ids.get(row["replaced_by"]))
    for source in sorted({row["source"] for row in theirs}):
        _one_active(target, source)
    return added


def _add(target: Database, row: Mapping[str, Any], run_ids: Mapping[int, int]) -> int:
    fields = {name: value for name, value in row.items() if name != "id"}
    fields["run_id"] = run_ids.get(row["run_id"]) if row["run_id"] is not None else None
    fields["replaced_by"] = None  # set once the profile it names has its id here
    names = list(fields)
    cursor = target.execute(
        f"insert into learned_profiles ({', '.join(names)}) values ({', '.join('?' * len(names))})",
        [fields[name] for name in names],
    )
    return int(cursor.lastrowid or 0)


def _set(target: Database, profile_id: int, **changes: Any) -> None:
    sets = ", ".join(f"{name} = ?" for name in changes)
    target.execute(
        f"update learned_profiles set {sets} where id = ?", [*changes.values(), profile_id]
    )


def _set_replacement(target: Database, profile_id: int, replaced_by: int | None) -> None:
    target.execute(
        "update learned_profiles set replaced_by = ? where id = ? and replaced_by is null",
        [replaced_by, profile_id],
    )


def _one_active(target: Database, source: str) -> None:
    """The latest learned active profile stays active; older active ones are replaced
    by it, as ``learned.save_profile`` would have done had both been learned here."""
    active = sorted(
        rows(
            target,
            "select id, learned_at, profile from learned_profiles where source = ? and status = ?",
            [source, ACTIVE],
        ),
        key=lambda row: (row["learned_at"], row["profile"]),
    )
    if len(active) < 2:
        return
    latest = active[-1]
    for row in active[:-1]:
        _set(
            target,
            row["id"],
            status=REPLACED,
            replaced_at=latest["learned_at"],
            replaced_by=latest["id"],
        )

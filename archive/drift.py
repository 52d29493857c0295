"""Layout drift: a field the source's posts nearly always had goes missing.

A site that changes its theme rarely breaks extraction outright; more often the date
or the author quietly stops being found. Each page is checked against what the archive
already holds for the source *before* it is saved: a drifted page would otherwise
store a spurious new version of every post on it (the content hash covers the fields).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from scraper.records import ENTRY_FIELDS, Entry

FIELDS = ENTRY_FIELDS
NEARLY_ALL = 0.9  # a field present in at least this share of archived posts...
MOST = 0.5  # ...missing from more than this share of a page's entries has drifted
MIN_ARCHIVED = 10  # fewer archived posts say nothing about what is normal
MIN_SEEN = 3  # fewer entries on a page say nothing about a change


@dataclass(frozen=True)
class Baseline:
    archived: int  # the source's archived posts (every version)
    present: dict[str, int]  # how many of them have each field


def baseline(db: Database, source: str) -> Baseline:
    counts = ", ".join(f"count(nullif({field}, ''))" for field in FIELDS)
    row = db.execute(f"select count(*), {counts} from posts where source = ?", [source]).fetchone()
    return Baseline(row[0], dict(zip(FIELDS, row[1:], strict=True)))


def drifted_fields(base: Baseline, entries: Sequence[Entry]) -> list[str]:
    """One message per field gone missing, e.g. ``author missing from 5 of 5 entries
    (present in 100% of 17 archived posts)``; empty when nothing drifted."""
    if len(entries) < MIN_SEEN or base.archived < MIN_ARCHIVED:
        return []
    problems = []
    for field in FIELDS:
        share = base.present[field] / base.archived
        missing = sum(1 for entry in entries if not getattr(entry, field))
        if share >= NEARLY_ALL and missing / len(entries) > MOST:
            problems.append(
                f"{field} missing from {missing} of {len(entries)} entries "
                f"(present in {share:.0%} of {base.archived} archived posts)"
            )
    return problems

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

from listing_archiver.scraper.records import ENTRY_FIELDS, Entry

FIELDS = ENTRY_FIELDS
NEARLY_ALL = 0.9  # a field present in at least this share of archived posts...
MOST = 0.5  # ...missing from more than this share of a page's entries has drifted
MIN_ARCHIVED = 10  # fewer archived posts say nothing about what is normal
MIN_SEEN = 3  # fewer entries on a page say nothing about a change


# What the baseline reads, kept per source by triggers as posts are written (m007), so
# a run start reads one row rather than every post of the source. Fixed here, not taken
# from ENTRY_FIELDS: a migration's schema must not change after it has shipped.
COUNTED_FIELDS = ("title", "url", "date", "author", "excerpt")
COUNTS_TABLE = "source_field_counts"


def _counts_trigger(name: str, event: str, row: str, sign: str) -> str:
    present = ", ".join(
        f"{sign}(nullif({row}.{field}, '') is not null)" for field in COUNTED_FIELDS
    )
    updates = ", ".join(f"{field} = {field} + excluded.{field}" for field in COUNTED_FIELDS)
    return (
        f"create trigger {name} after {event} on posts begin"
        f" insert into {COUNTS_TABLE} (source, posts, {', '.join(COUNTED_FIELDS)})"
        f" values ({row}.source, {sign}1, {present})"
        f" on conflict (source) do update set posts = posts + excluded.posts, {updates};"
        " end"
    )


def install_counts(db: Database) -> None:
    """m007: the per-source counts, filled from the posts already archived, and the
    triggers that keep them (an update of a counted field is a delete then an insert)."""
    columns = ", ".join(f"{field} integer not null default 0" for field in COUNTED_FIELDS)
    db.execute(
        f"create table {COUNTS_TABLE} (source text primary key,"
        f" posts integer not null default 0, {columns})"
    )
    present = ", ".join(f"count(nullif({field}, ''))" for field in COUNTED_FIELDS)
    db.execute(
        f"insert into {COUNTS_TABLE} (source, posts, {', '.join(COUNTED_FIELDS)})"
        f" select source, count(*), {present} from posts where source is not null"
        " group by source"
    )
    watched = ", ".join(["source", *COUNTED_FIELDS])
    db.execute(_counts_trigger("posts_counts_ai", "insert", "new", ""))
    db.execute(_counts_trigger("posts_counts_ad", "delete", "old", "-"))
    db.execute(_counts_trigger("posts_counts_au_old", f"update of {watched}", "old", "-"))
    db.execute(_counts_trigger("posts_counts_au_new", f"update of {watched}", "new", ""))


@dataclass(frozen=True)
class Baseline:
    archived: int  # the source's archived posts (every version)
    present: dict[str, int]  # how many of them have each field


def baseline(db: Database, source: str) -> Baseline:
    """What the archive holds for ``source``: one primary-key lookup, whatever its size."""
    row = db.execute(
        f"select posts, {', '.join(FIELDS)} from {COUNTS_TABLE} where source = ?", [source]
    ).fetchone()
    if row is None:
        return Baseline(0, dict.fromkeys(FIELDS, 0))
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

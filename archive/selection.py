"""Which rows an export holds, and in what order: the SQL behind ``export``'s options.

A :class:`Selection` picks posts (``source``, ``since``, ``limit``) and says whether each
post is one row (its current version, from ``current_posts``) or one row per version
(``all_versions``). Filters and the limit apply to posts, never to versions, so a post's
versions are never split by ``--limit`` and an old version of a post dated after
``since`` is not left out.

Order: dated posts first, newest date first. Then the undated, in the order the site
lists them: posts found by a later run first (new posts appear at the top of a
listing), and within the run that first found them as its walk met them, page 1
first and top to bottom (their first sighting). Undated posts go after the dated ones
because nothing says how old they are: a date is the only evidence that can place a
post among dated ones, and putting the unknown first would push every dated post down
a feed. Ties end on ``post_key``, so two exports of one archive are byte-identical.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from .errors import UnknownSource

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
# With every version, what tells them apart: first_seen and last_seen are already there.
VERSION_COLUMNS = (*EXPORT_COLUMNS, "is_current")

Row = dict[str, Any]

# Only undated rows pay for the two subqueries: SQLite evaluates a CASE lazily.
_POST_ORDER = """
c.date is null, c.date desc,
case when c.date is null then
  (select min(v.first_run) from posts v where v.post_key = c.post_key) end desc,
case when c.date is null then
  (select min(s.id) from posts v join sightings s on s.content_hash = v.content_hash
   where v.post_key = c.post_key) end,
c.first_seen desc, c.post_key
"""
_VERSION_ORDER = "v.is_current desc, v.last_seen desc, v.first_seen desc, v.rowid desc"


@dataclass(frozen=True, kw_only=True)
class Selection:
    """What to export; the defaults are every current post."""

    source: str | None = None
    since: date | None = None  # dated on or after it; undated: first seen on or after it
    limit: int | None = None  # at most this many posts (their versions all come along)
    all_versions: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return VERSION_COLUMNS if self.all_versions else EXPORT_COLUMNS


def selected_rows(db: Database, selection: Selection) -> Iterator[Row]:
    """The rows of ``selection``, in export order (module docstring)."""
    where, params = _filters(selection)
    limit = [selection.limit if selection.limit is not None else -1]  # -1: no limit
    if selection.all_versions:
        sql = _versions_sql(where)
    else:
        columns = ", ".join(f"c.{name}" for name in EXPORT_COLUMNS)
        sql = f"select {columns} from current_posts c {where} order by {_POST_ORDER} limit ?"
    for row in db.query(sql, [*params, *limit]):
        yield {column: row[column] for column in selection.columns}


def _versions_sql(where: str) -> str:
    """Each chosen post ranked once, then all its versions, current first."""
    versions = "(select count(*) from posts w where w.post_key = v.post_key) as versions"
    columns = [f"v.{name}" for name in VERSION_COLUMNS if name != "versions"]
    return (
        "with chosen as (select c.post_key,"
        f" row_number() over (order by {_POST_ORDER}) as rank"
        f" from current_posts c {where} order by rank limit ?)"
        f" select {', '.join(columns)}, {versions}"
        " from chosen join posts v on v.post_key = chosen.post_key"
        f" order by chosen.rank, {_VERSION_ORDER}"
    )


def _filters(selection: Selection) -> tuple[str, list[str]]:
    clauses, params = [], []
    if selection.source is not None:
        clauses.append("c.source = ?")
        params.append(selection.source)
    if selection.since is not None:
        # ISO text compares as dates do; a first_seen timestamp sorts after its own day.
        clauses.append("(c.date >= ? or (c.date is null and c.first_seen >= ?))")
        params += [selection.since.isoformat()] * 2
    return ("where " + " and ".join(clauses) if clauses else ""), params


def known_sources(db: Database) -> list[str]:
    """Every source the archive has runs or posts of, by name."""
    rows = db.execute(
        "select source from runs where source is not null"
        " union select source from posts where source is not null order by 1"
    ).fetchall()
    return [str(row[0]) for row in rows]


def check_source(db: Database, source: str | None) -> None:
    """``UnknownSource`` unless the archive has ``source`` (None: every source, fine)."""
    if source is None:
        return
    known = known_sources(db)
    if source not in known:
        raise UnknownSource(source, known)


def listing_url(db: Database, source: str) -> str | None:
    """The listing URL the source's latest run walked, if it has run."""
    row = db.execute(
        "select url from runs where source = ? and url is not null order by id desc limit 1",
        [source],
    ).fetchone()
    return str(row[0]) if row else None

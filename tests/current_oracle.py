"""The oracle for the stored current state: the ``current_posts`` view as m003 shipped
it, which found each post's newest version on every query. The stored flag, and the
full-text index and the facet counts that follow it, must always say exactly what this
computed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from sqlite_utils import Database

from listing_archiver.archive.current import refresh_current
from listing_archiver.archive.facet_counts import COUNTED_COLUMNS, COUNTS_TABLE

OLD_VIEW = """
select
  p.title, p.date, p.author, p.excerpt, p.url, p.source, substr(p.date, 1, 4) as year,
  p.first_seen, p.last_seen, p.times_seen,
  (select count(*) from posts v where v.post_key = p.post_key) as versions, p.removed_at,
  p.post_key, p.content_hash, p.rowid as rowid
from posts p
where p.rowid = (
  select v.rowid from posts v where v.post_key = p.post_key
  order by v.last_seen desc, v.first_seen desc, v.rowid desc limit 1
)
"""


def assert_current_is_what_the_old_view_computed(conn: sqlite3.Connection) -> int:
    """The stored state equals the oracle row for row, and the full-text index holds
    the current versions and nothing else. Returns how many posts there are."""
    expected = sorted(conn.execute(f"select * from ({OLD_VIEW})").fetchall())
    stored = sorted(conn.execute("select * from current_posts").fetchall())
    assert stored == expected
    flagged = {r for (r,) in conn.execute("select rowid from posts where is_current = 1")}
    assert flagged == {row[-1] for row in expected}
    conn.execute(
        "create virtual table if not exists temp.fts_rows"
        " using fts5vocab(main, posts_fts, instance)"
    )
    indexed = {r for (r,) in conn.execute("select distinct doc from temp.fts_rows")}
    with_text = {
        r
        for (r,) in conn.execute(
            "select rowid from posts where is_current = 1"
            " and (coalesce(title, '') != '' or coalesce(excerpt, '') != '')"
        )
    }
    assert indexed == with_text
    assert_facet_counts_are_what_a_group_by_counts(conn)
    return len(expected)


def assert_facet_counts_are_what_a_group_by_counts(conn: sqlite3.Connection) -> None:
    """The kept facet counts (``current_facet_counts``) equal Datasette's facet query,
    a ``group by`` over the oracle's rows, for every counted column."""
    for column in COUNTED_COLUMNS:
        computed = conn.execute(
            f"select {column}, count(*) from ({OLD_VIEW}) where {column} is not null"
            f" group by {column}"
        ).fetchall()
        kept = conn.execute(
            f"select value, posts from {COUNTS_TABLE} where facet = ? and posts > 0",
            [column],
        ).fetchall()
        assert sorted(kept) == sorted(computed), column


def insert_versions(db: Database, rows: Iterable[dict[str, object]]) -> None:
    """Insert hand-made ``posts`` rows as the writer would store them: ``year`` filled,
    and the current version of each post flagged, in one transaction."""
    rows = [
        {"year": None if row.get("date") is None else str(row["date"])[:4]} | row for row in rows
    ]
    with db.atomic():
        db.table("posts").insert_all(rows)
        refresh_current(db, [str(row["post_key"]) for row in rows])

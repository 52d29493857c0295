"""How many current posts each source, author and year holds, kept as posts are written.

``current_posts`` opens faceted by source, author and year. Counting those facets from
the partial indexes reads every current row's index entry, three times a page view: at a
million posts, 80-170 ms a facet, the whole page about 300 ms. These counts are what
those three ``group by`` queries return for the unfiltered table, kept by triggers on
``posts`` in the same transaction as the page that changes them, so the table's first
page reads a few hundred rows instead of three million index entries. The archive's
Datasette plugin (``datasette_plugin.counted_facets``) answers the unfiltered table's
facets from here; a filtered or searched page still counts its own rows.

A count that falls to 0 keeps its row (an author who returns reuses it); readers ask for
``posts > 0``. NULL is not counted, as Datasette's facets leave it out; ``''`` is.
"""

from __future__ import annotations

from sqlite_utils import Database

COUNTS_TABLE = "current_facet_counts"
# Fixed here, not read from the metadata: a migration's schema must not change after it
# has shipped. Every one is a stored column of ``posts`` (``year`` included, see current).
COUNTED_COLUMNS = ("source", "author", "year")


def _change(row: str, sign: str, when: str = "true") -> str:
    """One statement adding ``sign``1 to each counted value of ``row`` (``new``/``old``),
    where ``when`` holds."""
    values = " union all ".join(
        f"select '{column}' as facet, {row}.{column} as value where {row}.{column} is not null"
        for column in COUNTED_COLUMNS
    )
    return (
        f"insert into {COUNTS_TABLE} (facet, value, posts)"
        f" select facet, value, {sign}1 from ({values}) where {when}"
        " on conflict (facet, value) do update set posts = posts + excluded.posts;"
    )


def _values_sql() -> str:
    return " union all ".join(
        f"select '{column}' as facet, {column} as value from posts"
        f" where is_current = 1 and {column} is not null"
        for column in COUNTED_COLUMNS
    )


TRIGGERS = (
    f"create trigger posts_facets_ai after insert on posts when new.is_current = 1 begin"
    f" {_change('new', '')} end",
    f"create trigger posts_facets_ad after delete on posts when old.is_current = 1 begin"
    f" {_change('old', '-')} end",
    # An update of a counted column or of the flag is the old row's counts taken away
    # and the new row's added (each only where that row is current).
    "create trigger posts_facets_au after update of is_current, "
    + ", ".join(COUNTED_COLUMNS)
    + " on posts when old.is_current = 1 or new.is_current = 1 begin "
    + _change("old", "-", "old.is_current = 1")
    + " "
    + _change("new", "", "new.is_current = 1")
    + " end",
)


def install(db: Database) -> None:
    """m012: the counts table, filled from the current posts already archived, and the
    triggers that keep it."""
    db.execute(
        f"create table {COUNTS_TABLE} (facet text not null, value text not null,"
        " posts integer not null, primary key (facet, value)) without rowid"
    )
    db.execute(
        f"insert into {COUNTS_TABLE} (facet, value, posts)"
        f" select facet, value, count(*) from ({_values_sql()}) group by facet, value"
    )
    for trigger in TRIGGERS:
        db.execute(trigger)


# The ``limit`` most frequent values of a column among current posts, ordered as
# Datasette's facets order them (count, then value).
TOP_VALUES_SQL = (
    f"select value, posts as count from {COUNTS_TABLE} where facet = :column and posts > 0"
    " order by posts desc, value limit :limit"
)

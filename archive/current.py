"""Each post's current version, kept as stored state rather than computed per query.

The current version of a post (``post_key``) is the one seen most recently: greatest
``last_seen``, then ``first_seen``, then ``rowid``. Until m006 the ``current_posts`` view
found it for every row of every query, so each page of the archive's main table scanned
every version. Now ``posts.is_current`` is 1 on exactly that row, set by the writer in
the same transaction as the page that changes it (:func:`refresh_current`).

Why a flag on ``posts`` with partial indexes rather than a ``current`` table: the
current version *is* a ``posts`` row, so a flag stores nothing twice (a table would copy
title and excerpt, the bulk of a post's bytes) and a new post costs one row, not two
kept in step. Partial indexes ``where is_current = 1`` give the view what a table would
have: Datasette's sort by date, filters on source, author and year (a stored column),
the count, all from covering indexes holding only current rows (the unfiltered facets
are counts kept beside them: ``archive.facet_counts``). The full-text
index keeps current versions only, by triggers on the flag, so a search neither scans
nor matches old versions. What a view cannot have is Datasette's row page; a post's row
page is its version's page in ``posts``, which is a table. What the flag does not make
cheap on its own is a search matching a large share of the posts, each match a seek into
its wide ``posts`` row: the Datasette plugin plans those (``datasette_plugin.search``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database

FTS_TABLE = "posts_fts"  # current versions' title and excerpt (named in the SQL below too)
NEWEST_FIRST = "last_seen desc, first_seen desc, rowid desc"  # which version is current

CURRENT_POSTS_VIEW = """
select
  p.title, p.date, p.author, p.excerpt, p.url, p.source, p.year,
  p.first_seen, p.last_seen, p.times_seen,
  (select count(*) from posts v where v.post_key = p.post_key) as versions, p.removed_at,
  p.post_key, p.content_hash, p.rowid as rowid
from posts p
where p.is_current = 1
"""

# What each page of current_posts and each canned query needs, holding current rows only
# (posts_past_versions: the others, which is what "edited posts" lists). Each ends with
# is_current although its WHERE fixes it: SQLite (3.40) reads the table row to check a
# partial index's condition unless the column is in the index, and a facet that counts a
# million entries of an index costs 1.5x more when it also reads a million rows.
INDEXES = (
    "create index posts_current_date on posts (date, is_current) where is_current = 1",
    "create index posts_current_source_date on posts (source, date, is_current)"
    " where is_current = 1",
    "create index posts_current_author on posts (author, is_current) where is_current = 1",
    "create index posts_current_year on posts (year, is_current) where is_current = 1",
    "create index posts_current_removed on posts (removed_at)"
    " where is_current = 1 and removed_at is not null",
    "create index posts_past_versions on posts (post_key) where is_current = 0",
    "create index posts_first_run on posts (first_run)",
)

# The full-text index covers current versions: a row enters it when it becomes current
# and leaves it when another version does (external content: a delete names the old text).
FTS_TRIGGERS = """
create trigger posts_ai after insert on posts when new.is_current = 1 begin
  insert into posts_fts (rowid, title, excerpt) values (new.rowid, new.title, new.excerpt);
end;
create trigger posts_ad after delete on posts when old.is_current = 1 begin
  insert into posts_fts (posts_fts, rowid, title, excerpt)
    values ('delete', old.rowid, old.title, old.excerpt);
end;
create trigger posts_au after update of is_current, title, excerpt on posts
when old.is_current = 1 or new.is_current = 1 begin
  insert into posts_fts (posts_fts, rowid, title, excerpt)
    select 'delete', old.rowid, old.title, old.excerpt where old.is_current = 1;
  insert into posts_fts (rowid, title, excerpt)
    select new.rowid, new.title, new.excerpt where new.is_current = 1;
end;
"""


def install(db: Database) -> None:
    """m006: the flag, set from what the old view computed, ``year``, the indexes, the full-text
    index rebuilt over current versions, and ``current_posts`` redefined over the flag."""
    db.execute("alter table posts add column is_current integer not null default 0")
    # Stored, not computed in the view: Datasette's year facet then counts a covering
    # index (an index on the expression substr(date, 1, 4) makes SQLite read every row).
    db.execute("alter table posts add column year text")
    db.execute("update posts set year = substr(date, 1, 4)")
    db.execute(
        "update posts set is_current = 1 where rowid in (select rowid from (select rowid,"
        f" row_number() over (partition by post_key order by {NEWEST_FIRST}) as n"
        " from posts) where n = 1)"
    )
    for trigger in ("posts_ai", "posts_ad", "posts_au"):
        db.execute(f"drop trigger if exists {trigger}")
    db.execute("insert into posts_fts (posts_fts) values ('delete-all')")
    db.execute(
        "insert into posts_fts (rowid, title, excerpt)"
        " select rowid, title, excerpt from posts where is_current = 1"
    )
    for statement in FTS_TRIGGERS.split("end;")[:-1]:
        db.execute(statement + "end;")
    for statement in INDEXES:
        db.execute(statement)
    db.execute("drop view if exists current_posts")
    db.execute(f"create view current_posts as {CURRENT_POSTS_VIEW}")


def refresh_current(db: Database, keys: Sequence[str]) -> None:
    """Move the flag of each post in ``keys`` to its newest version. Only rows whose flag
    changes are written: a page of posts seen again changes nothing."""
    keys = sorted(set(keys))
    if not keys:
        return
    marks = ", ".join("?" * len(keys))
    newest = [
        row[0]
        for row in db.execute(
            f"select (select v.rowid from posts v where v.post_key = k.post_key"
            f" order by {NEWEST_FIRST} limit 1)"
            f" from (select distinct post_key from posts where post_key in ({marks})) k",
            keys,
        )
    ]
    rows = ", ".join("?" * len(newest))
    db.execute(
        f"update posts set is_current = 0 where is_current = 1 and post_key in ({marks})"
        f" and rowid not in ({rows})",
        [*keys, *newest],
    )
    db.execute(
        f"update posts set is_current = 1 where is_current = 0 and rowid in ({rows})", newest
    )


def keys_of(db: Database, hashes: Sequence[str]) -> list[str]:
    """The post keys of the versions ``hashes``."""
    if not hashes:
        return []
    marks = ", ".join("?" * len(hashes))
    sql = f"select distinct post_key from posts where content_hash in ({marks})"
    return [row[0] for row in db.execute(sql, list(hashes))]

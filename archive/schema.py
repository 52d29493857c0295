"""The archive's tables, created and upgraded by sqlite-utils ``Migrations``.

Migrations are append-only: never edit one that has shipped, add the next. So m001's
comments are as shipped: ``runs.status`` has since gained ``degraded`` (a page's layout
changed and it was not archived) and ``interrupted`` (the run was stopped or killed), and
is one of running | ok | degraded | failed | interrupted.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("listing-archiver")


@migrations()
def m001_posts_and_runs(db: Database) -> None:
    db.table("posts").create(
        {
            "content_hash": str,  # archive.hashing.content_hash: the identity of a version
            "hash_version": int,  # the hashing scheme that produced content_hash
            "url": str,  # the URL the post was first seen under
            "title": str,
            "date": str,  # ISO YYYY-MM-DD, as the listing shows it
            "author": str,
            "excerpt": str,
            "source": str,  # the source that first saw it
            "first_seen": str,  # ISO 8601 UTC
            "last_seen": str,
            "times_seen": int,  # number of runs that saw it
            "first_run": int,
            "last_run": int,
        },
        pk="content_hash",
    )
    db.table("runs").create(
        {
            "id": int,
            "source": str,
            "url": str,
            "started": str,
            "finished": str,
            "status": str,  # running | ok | failed
            "pages_fetched": int,
            "entries_seen": int,
            "new_posts": int,
            "error": str,
        },
        pk="id",
        defaults={"pages_fetched": 0, "entries_seen": 0, "new_posts": 0},
    )
    db.table("posts").create_index(["source", "date"])


@migrations()
def m002_pages_and_run_detail(db: Database) -> None:
    """Per-page validators for conditional GET, and why/how each run walked."""
    db.table("pages").create(
        {
            "url": str,  # the page URL as requested
            "source": str,
            "etag": str,  # validators from the last 200 answer
            "last_modified": str,
            "next_url": str,  # the next page found on it
            "post_hashes": str,  # JSON list: the posts it held, counted as seen on a 304
            "fetched": str,
        },
        pk="url",
    )
    runs = db.table("runs")
    runs.add_column("mode", str)  # incremental | full
    runs.add_column("not_modified", int, not_null_default=0)  # pages answered 304
    runs.add_column("stop_reason", str)  # end | known | not_modified | max_pages | robots | loop


CURRENT_POSTS_VIEW = """
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


@migrations()
def m003_identity_removals_sightings(db: Database) -> None:
    """Post identity across edits, removals, and where each entry was seen."""
    from .identity import post_key

    posts = db.table("posts")
    posts.add_column("post_key", str)  # archive.identity.post_key: the post across versions
    posts.add_column("removed_at", str)  # set when a full walk no longer lists the post
    for digest, url in db.execute("select content_hash, url from posts").fetchall():
        db.execute(
            "update posts set post_key = ? where content_hash = ?", [post_key(url, digest), digest]
        )
    posts.create_index(["post_key"])
    runs = db.table("runs")
    runs.add_column("changed_posts", int, not_null_default=0)  # new versions of known posts
    runs.add_column("removed_posts", int, not_null_default=0)  # marked removed by this run
    db.table("sightings").create(
        {
            "id": int,
            "run_id": int,
            "content_hash": str,
            "page_url": str,
            "page_number": int,  # 1-based, in that run's walk
            "position": int,  # 1-based, on that page
            "seen_at": str,
            "not_modified": int,  # 1: the page answered 304, its stored posts counted
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id"), ("content_hash", "posts", "content_hash")],
    )
    db.table("sightings").create_index(["content_hash", "run_id"])
    db.table("sightings").create_index(["run_id"])
    db.create_view("current_posts", CURRENT_POSTS_VIEW)


@migrations(transactional=False)  # sqlite-utils builds FTS with executescript
def m004_full_text_search(db: Database) -> None:
    """Search on title and excerpt; triggers keep the index current on every write."""
    db.table("posts").enable_fts(["title", "excerpt"], create_triggers=True)
    # sqlite-utils' update trigger fires on any update; every run updates last_seen and
    # times_seen, which would re-index each post's text for nothing. Only text changes.
    trigger = db.execute("select sql from sqlite_master where name = 'posts_au'").fetchone()[0]
    db.executescript(
        "drop trigger posts_au;\n"
        + trigger.replace(
            'AFTER UPDATE ON "posts"', 'AFTER UPDATE OF "title", "excerpt" ON "posts"'
        )
        + ";"
    )


SAME_CONTENT_VIEW = """
select
  p.fields_hash, g.posts, p.post_key, p.url, p.title, p.source, p.first_seen, p.content_hash
from posts p
join (
  select fields_hash, count(distinct post_key) as posts from posts
  group by fields_hash having count(distinct post_key) > 1
) g on g.fields_hash = p.fields_hash
order by p.fields_hash, p.first_seen, p.rowid
"""


@migrations()
def m005_hash_scheme_2(db: Database) -> None:
    """Hash scheme 2, a post is its URL (``archive.hashing``): every row rehashed in
    place (``archive.rehash``), ``fields_hash`` (the content alone) stored and indexed,
    and the ``same_content`` view listing posts that show identical content under
    different keys. Safe to run again: on a scheme-2 archive it changes nothing."""
    from .rehash import rehash_posts

    posts = db.table("posts")
    if "fields_hash" not in posts.columns_dict:
        posts.add_column("fields_hash", str)  # archive.hashing.fields_hash
    posts.create_index(["fields_hash"], if_not_exists=True)
    rehash_posts(db)
    db.create_view("same_content", SAME_CONTENT_VIEW, ignore=True)


@migrations()
def m006_learned_profiles(db: Database) -> None:
    """Site profiles learned on a source's first page, kept so later runs read the
    source with the same selectors (stable fields, stable hashes) without learning
    again; each re-learning after a drift alarm adds a row, whether it was kept or not."""
    db.table("learned_profiles").create(
        {
            "id": int,
            "source": str,
            "profile": str,  # the profile as TOML, the form of scraper/profiles/*.toml
            "learned_from": str,  # feed | structured | columns
            "page_url": str,  # the page it was learned on
            "evidence": str,  # JSON: per field, where its selector came from
            "learned_at": str,  # ISO 8601 UTC
            "run_id": int,  # the run that learned it
            "status": str,  # active | replaced | rejected (did not restore the fields)
            "replaced_at": str,
            "replaced_by": int,
        },
        pk="id",
        foreign_keys=[("run_id", "runs", "id")],
    )
    db.table("learned_profiles").create_index(["source", "status"])


@migrations()
def m007_current_state(db: Database) -> None:
    """Each post's current version kept as a flag on ``posts`` (``archive.current``):
    partial indexes for what Datasette sorts and facets, a full-text index over current
    versions, ``current_posts`` a view over the flag."""
    from .current import install

    install(db)


# Runs a year of hourly walks makes millions of: the start of a run asks for the source's
# previous run, and for runs left running (a handful: the partial index holds only them).
RUNS_INDEXES = (
    "create index runs_source_id on runs (source, id)",
    "create index runs_running on runs (id) where status = 'running'",
)


@migrations()
def m008_history_grows_with_news(db: Database) -> None:
    """Every question asked of ``runs`` at a run's start answered from an index, and the
    drift baseline kept as counts per source (``archive.drift``) rather than read from
    every post. From here on ``sightings`` holds a row only when a version is first
    seen or seen on another page; what it already holds is kept."""
    from .drift import install_counts

    for statement in RUNS_INDEXES:
        db.execute(statement)
    install_counts(db)


# The runs that found news, by source: "new in the latest run" asks each source for its
# latest such run, which without it read every run of the source (a year of hourly runs of
# 1,000 sources, 8.8M rows: 19 s); runs that found nothing, nearly all, are not in it.
RUNS_NEWS_INDEX = "create index runs_news on runs (source, id) where new_posts > 0"


@migrations()
def m009_leaner_writes(db: Database) -> None:
    """A page write updates one index fewer: ``idx_posts_source_date`` (m001, every
    version by source and date) answered only ``mark_removed``, which now reads the
    current rows' ``posts_current_source_date``; Datasette's pages and the export read
    current rows only. And ``runs_news`` for the canned query's news per source."""
    db.execute("drop index if exists idx_posts_source_date")
    db.execute(RUNS_NEWS_INDEX)


# Runs that say how far a walk got: failed, degraded or interrupted (cut short by an
# error), or ok and stopped anywhere but at known posts or an unchanged page (those
# joined what earlier runs had walked and say nothing new about the listing's depth).
# ``store.backfill_needed`` asks for a source's latest one; the partial index answers it
# at once, however many incremental runs stopped at known posts since.
WALK_EXTENT_RUNS = (
    "status in ('failed', 'degraded', 'interrupted')"
    " or stop_reason not in ('known', 'not_modified')"
)


@migrations()
def m010_walk_state(db: Database) -> None:
    """Whether a source's listing has been walked to its end (``store.backfill_needed``):
    derived from its runs, so an archive from before this migration is judged by its own
    history (a trial ``--max-pages`` run followed only by "unchanged" runs is not fully
    walked, and its next run backfills), and no state can drift from the runs."""
    db.execute(f"create index runs_walk_extent on runs (source, id) where {WALK_EXTENT_RUNS}")


@migrations()
def m011_merge_origin(db: Database) -> None:
    """Where a run merged in from another archive came from (``archive.merge``): the
    shard's path as given to ``merge`` and the run's id there. Null for a run made here."""
    runs = db.table("runs")
    runs.add_column("origin", str)
    runs.add_column("origin_id", int)


@migrations()
def m012_facet_counts(db: Database) -> None:
    """How many current posts each source, author and year holds (``archive.facet_counts``),
    filled from the archive as it stands and kept by triggers: ``current_posts``'s first
    page shows them without counting a million index entries three times."""
    from .facet_counts import install

    install(db)


# m013's same_content: the same rows as m005's, found without an index on fields_hash.
# CROSS JOIN keeps posts the outer loop, each row probing the few duplicated groups, so
# the view reads posts twice whatever the number of groups (at a million posts, 1.9 s);
# m005's, without its index, would read every post once per group.
SAME_CONTENT_UNINDEXED_VIEW = SAME_CONTENT_VIEW.replace("\njoin (", "\ncross join (")


@migrations()
def m013_fields_hash_unindexed(db: Database) -> None:
    """``posts.fields_hash`` loses its index, which only ``same_content`` read, and which
    was as slow with it as without (it read every row for its post_key too: 1.6 s against
    1.9 s at a million posts). Each new post took a random leaf of that index, a hash,
    rarely in cache at a million posts: a page of 10 new posts, written as
    ``python -m bench --scale`` writes them, cost 0.2-0.3 ms more there than at 10k.
    The index of the content hash itself stays (a version's identity, unique), and so
    does ``sightings``' (Datasette's row page of a version counts its sightings by it)."""
    db.execute("drop index if exists idx_posts_fields_hash")
    db.execute("drop view if exists same_content")
    db.execute(f"create view same_content as {SAME_CONTENT_UNINDEXED_VIEW}")


def open_archive(path: str) -> Database:
    """Open (creating if needed) the archive at ``path`` for writing, its schema up to date.

    A file that is not a listing-archiver archive, or is newer than this code, is refused
    before anything is written: see ``archive.opening``, which holds the open logic (and
    imports this module's migrations, hence the import here)."""
    from .opening import open_writer

    return open_writer(path)

"""The archive's tables, created and upgraded by sqlite-utils ``Migrations``.

Migrations are append-only: never edit one that has shipped, add the next.
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
    db.table("posts").create_index(["last_seen"])


def open_archive(path: str) -> Database:
    """Open (creating if needed) the archive at ``path`` with its schema up to date."""
    db = Database(path)
    migrations.apply(db)
    return db

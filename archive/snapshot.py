"""What a walk needs to know of its source, read from the archive before (or while)
it walks: the pages' validators, the versions already archived, and whether a page's
versions were all archived before the current run. Reads only: the writer's side of
the split between a source's walk and its archive (``listing_archiver.walk``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlite_utils import Database


def archived_before(db: Database, digests: Sequence[str], run_id: int) -> bool:
    """Every version in ``digests`` was archived by a run other than ``run_id``: what
    ``store.PageOutcome.all_known`` says once the page is written."""
    wanted = set(digests)
    if not wanted:
        return True
    marks = ", ".join("?" * len(wanted))
    rows = db.execute(
        f"select content_hash from posts where content_hash in ({marks}) and first_run != ?",
        [*wanted, run_id],
    ).fetchall()
    return len(rows) == len(wanted)


def source_versions(db: Database, source: str) -> list[str]:
    """The content hash of every version archived for ``source``."""
    return [
        row[0] for row in db.execute("select content_hash from posts where source = ?", [source])
    ]


def source_validators(db: Database, source: str) -> dict[str, dict[str, str]]:
    """Conditional-request headers of each of the source's pages, by page URL (as
    ``store.page_validators`` gives them one URL at a time)."""
    validators: dict[str, dict[str, str]] = {}
    rows = db.execute("select url, etag, last_modified from pages where source = ?", [source])
    for url, etag, last_modified in rows:
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        validators[url] = headers
    return validators

"""How far a source's listing has been walked: what keeps a trial run from hiding a backlog.

An incremental walk stops at the first page of known posts, which is right only if some
walk once went past them to the end of the listing. A walk cut short (``--max-pages``,
robots.txt, or an error: a failed page, layout drift, an interrupt) leaves older pages
that may never have been archived, so the source is *backfilling*: its next incremental
runs go on past the known posts until one reaches the end. Nothing is stored for this:
each source's latest run that says how far a walk got (``schema.WALK_EXTENT_RUNS``,
indexed) answers it, so an archive from before ``m010_walk_state`` is judged by its own
history, and no flag can disagree with the runs.

A backfilling walk does not fetch again what it walked before: from a page of known
posts (or one answered 304) it follows the next links the archive recorded for its pages
(table ``pages``) to the first page no run has fetched, and goes on from there. So a
backlog capped by ``--max-pages`` at every run still moves forward run by run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlite_utils import Database

from .schema import WALK_EXTENT_RUNS

# Stop reasons of an ok run that left the listing's end unreached.
CUT_SHORT = frozenset({"max_pages", "robots"})


def backfill_needed(db: Database, source: str) -> bool:
    """True when ``source`` has been run before but no walk has reached the end of its
    listing since the last one cut short. A source whose runs all predate stop reasons
    (before ``m002``) is walked to the end once: nothing says it ever was."""
    row = db.execute(
        f"select status, stop_reason from runs where source = ? and ({WALK_EXTENT_RUNS})"
        " order by id desc limit 1",
        [source],
    ).fetchone()
    if row is not None:
        status, stop_reason = row
        return status != "ok" or stop_reason in CUT_SHORT
    ran = db.execute(
        "select 1 from runs where source = ? and status != 'running' limit 1", [source]
    ).fetchone()
    return ran is not None


def unwalked_page_after(db: Database, url: str) -> str | None:
    """The first page after ``url`` that no run has fetched, following the next link
    recorded with each archived page; None when that chain ends (a last page, or a loop):
    the rest of the listing was walked before."""

    def recorded(page: str) -> tuple[bool, str | None]:
        row = db.execute("select next_url from pages where url = ?", [page]).fetchone()
        return (False, None) if row is None else (True, row[0])

    return first_unwalked(url, recorded)


def recorded_next_pages(db: Database, source: str) -> dict[str, str | None]:
    """Each of the source's archived pages and the next link recorded with it: what a
    walk on another machine follows instead of asking ``unwalked_page_after``."""
    rows = db.execute("select url, next_url from pages where source = ?", [source])
    return {url: next_url for url, next_url in rows}


def first_unwalked(url: str, recorded: Callable[[str], tuple[bool, str | None]]) -> str | None:
    """Follows ``recorded`` (is a page archived, and its next link) from ``url`` to the
    first page not archived; None where the chain ends or loops."""
    seen: set[str] = set()
    current = url
    while current not in seen:
        seen.add(current)
        archived, next_url = recorded(current)
        if not archived:
            return current
        if not next_url:
            return None
        current = next_url
    return None


def lookup_in(pages: Mapping[str, str | None]) -> Callable[[str], tuple[bool, str | None]]:
    """``first_unwalked``'s lookup over ``recorded_next_pages``, taken beforehand."""
    return lambda page: (page in pages, pages.get(page))

"""The main job: walk one source's listing and archive every page, recording the run.

This is where the walk (``walk``: fetch, robots, paginate, parse) meets the archive
(``archiver``); every archive call goes through a ``SerialWriter`` so many sources can
run at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from listing_archiver.archive import store
from listing_archiver.scraper.cancel import Cancellation
from listing_archiver.scraper.fetch import Fetcher, FetchSettings, Pacer
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import redact

from . import walk
from .archiver import ArchiveView, PageCallback, SourceArchiver, take_snapshot
from .pages import Snapshot, WalkEnd
from .sources import Source
from .walk import KNOWN, allowed_hosts, walk_source
from .writer import SerialWriter

__all__ = ["KNOWN", "PageCallback", "RunReport", "allowed_hosts", "fetch_settings", "scrape_source"]


@dataclass(frozen=True)
class RunReport:
    run_id: int
    source: str
    # ok | degraded (layout changed: no entries, or a field gone) | failed | interrupted
    # (a signal stopped the run); runs.status also has running, while a run is under way
    status: str
    mode: str  # incremental | full
    # Each count has the name of its runs column, in the --json summary as in the archive.
    pages_fetched: int  # pages fetched (200)
    not_modified: int  # pages answered 304
    entries_seen: int
    new_posts: int
    changed_posts: int = 0  # new versions of known posts
    removed_posts: int = 0  # no longer listed (full walks to the end only)
    stop_reason: str | None = None
    error: str | None = None
    # An earlier walk was cut short and none has reached the end since: this one goes on
    # past the known posts (archive.walk_state)
    backfilling: bool = False

    @property
    def duplicates_avoided(self) -> int:
        """Entries whose version was already archived (or repeated within the run)."""
        return self.entries_seen - self.new_posts - self.changed_posts

    def summary(self) -> str:
        line = (
            f"{self.source}: {self.status}, {_plural(self.pages_fetched, 'page')} fetched, "
            f"{self.not_modified} not modified, "
            f"{_plural(self.entries_seen, 'entry', 'entries')} seen, {self.new_posts} new"
        )
        if self.changed_posts:
            line += f", {self.changed_posts} changed"
        if self.removed_posts:
            line += f", {self.removed_posts} removed"
        walk = f"{self.mode}, backfilling" if self.backfilling else self.mode
        if self.stop_reason and self.status == "ok":
            line += f" ({walk}, stopped: {STOP_REASONS.get(self.stop_reason, self.stop_reason)})"
        elif self.backfilling:
            line += " (backfilling)"
        return f"{line}; error: {self.error}" if self.error else line


STOP_REASONS = {
    "end": "end of listing",
    KNOWN: "reached known posts",
    "not_modified": "unchanged since last run",
    "max_pages": "--max-pages reached",
    "robots": "robots.txt forbids the next page",
    "loop": "pagination loops back",
    walk.BACKFILLED: "reached known posts, and the pages after them were walked before",
    "no_next_link": "no next link found (page looks paginated: give the source a next selector)",
}


def fetch_settings(source: Source) -> FetchSettings:
    """The source's fetch settings (``FetchSettings`` looked up here, where a test may
    replace it with a slower backoff)."""
    return walk.fetch_settings(source, FetchSettings)


def scrape_source(
    writer: SerialWriter,
    source: Source,
    *,
    full: bool = False,
    robots: RobotsCache | None = None,
    pacer: Pacer | None = None,
    on_page: PageCallback | None = None,
    accept_drift: bool = False,
    cancel: Cancellation | None = None,
) -> RunReport:
    """Walk ``source`` and archive it page by page. A failure keeps the pages already
    committed and is reported in the run, never raised past here.

    The two halves meet here: the walk (``walk.walk_source``, no archive) yields page
    records from a snapshot of the source; the archiver (``archiver``, no requests)
    writes them. Incremental (the default) stops at the first page whose posts were all
    archived by earlier runs and sends conditional requests; ``full`` walks to the end,
    fetching every page afresh. Posts are marked seen, never pages: page 1 is always
    asked for. A page on which the layout seems to have changed is not archived, and the
    run is ``degraded``. A ``cancel`` stops the walk wherever it waits; the run is then
    ``interrupted``.
    """
    snapshot = take_snapshot(writer, source, full=full)
    run_id = writer.call(
        store.start_run, source=source.name, url=redact(source.url), mode=snapshot.mode
    )
    archiver = SourceArchiver(
        writer, source, run_id, full=not snapshot.incremental, on_page=on_page
    )
    fetcher = Fetcher(fetch_settings(source), pacer=pacer, cancel=cancel)
    view = ArchiveView(writer, snapshot, run_id)
    try:
        for record in walk_source(
            source, snapshot, view, fetcher, robots=robots, accept_drift=accept_drift
        ):
            if isinstance(record, WalkEnd):
                archiver.end(record)
                return report_of(run_id, source, snapshot, archiver.totals, record)
            # an incremental walk's next step depends on this page: it waits for it
            archiver.page(record, wait=snapshot.incremental)
    except BaseException:
        archiver.interrupted()
        raise
    finally:
        fetcher.close()
    raise AssertionError("a walk ends with its WalkEnd")  # pragma: no cover


def report_of(
    run_id: int, source: Source, snapshot: Snapshot, totals: dict[str, int], end: WalkEnd
) -> RunReport:
    """The run's report once the archiver has written its ``end``."""
    stop_reason = end.stop_reason if end.status == "ok" else None
    return _report(
        run_id,
        source,
        end.status,
        snapshot.mode,
        totals,
        stop_reason,
        end.error,
        snapshot.backfilling,
    )


def _report(
    run_id: int,
    source: Source,
    status: str,
    mode: str,
    totals: dict[str, int],
    stop_reason: str | None,
    error: str | None,
    backfilling: bool = False,
) -> RunReport:
    return RunReport(
        run_id=run_id,
        source=source.name,
        status=status,
        mode=mode,
        pages_fetched=totals["pages"],
        not_modified=totals["not_modified"],
        entries_seen=totals["seen"],
        new_posts=totals["new"],
        changed_posts=totals["changed"],
        removed_posts=totals["removed"],
        stop_reason=stop_reason,
        error=error,
        backfilling=backfilling,
    )


def report_from_row(source: Source, run: Mapping[str, Any]) -> RunReport:
    """A run's report from its ``runs`` row, as the pages it was written from left it:
    for a run written from records that came from elsewhere (``run --broker``)."""
    return _report(
        run["id"],
        source,
        run["status"],
        run["mode"],
        _row_totals(run),
        run["stop_reason"],
        run["error"],
    )


def _row_totals(run: Mapping[str, Any]) -> dict[str, int]:
    return {
        "pages": run["pages_fetched"],
        "not_modified": run["not_modified"],
        "seen": run["entries_seen"],
        "new": run["new_posts"],
        "changed": run["changed_posts"],
        "removed": run["removed_posts"],
    }


def interrupted_report(source: Source, run: Mapping[str, Any]) -> RunReport:
    """The report of a run stopped from outside its walk, from the counters each page
    added to its ``runs`` row."""
    return _report(
        run["id"], source, "interrupted", run["mode"], _row_totals(run), None, run["error"]
    )


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"

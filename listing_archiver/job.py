"""The main job: walk one source's listing and archive every page, recording the run.

This is where ``scraper`` (fetch, robots, paginate, parse) meets ``archive``; every
archive call goes through a ``SerialWriter`` so many sources can run at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from listing_archiver.archive import drift, store, walk_state
from listing_archiver.archive.store import PageOutcome
from listing_archiver.scraper.cancel import Cancellation
from listing_archiver.scraper.errors import Cancelled, LayoutDrift, NoEntriesError, ScraperError
from listing_archiver.scraper.fetch import Fetcher, FetchSettings, Pacer
from listing_archiver.scraper.paginate import END, ListingPage, Walk
from listing_archiver.scraper.profile import resolve_profile
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import host_key, redact

from . import learned
from .sources import Source
from .writer import SerialWriter

log = logging.getLogger(__name__)

KNOWN = "known"  # stop reason: an incremental walk reached a page of known posts
# Called once a page is archived, on the writer's thread (so it must be quick and
# thread-safe: several sources report to one display).
PageCallback = Callable[[Source, ListingPage, PageOutcome], None]


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
    walk_state.BACKFILLED: "reached known posts, and the pages after them were walked before",
    "no_next_link": "no next link found (page looks paginated: give the source a next selector)",
}


def fetch_settings(source: Source) -> FetchSettings:
    defaults = FetchSettings()
    timeout = source.timeout or defaults.read_timeout
    return FetchSettings(
        hosts=allowed_hosts(source),
        delay=source.delay,
        user_agent=source.user_agent or defaults.user_agent,
        read_timeout=timeout,
        connect_timeout=min(timeout, defaults.connect_timeout),
    )


def allowed_hosts(source: Source) -> frozenset[str]:
    """The source's own host, and any more its config lists."""
    return frozenset({(urlsplit(source.url).hostname or "").lower(), *source.hosts})


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

    Incremental (the default) stops at the first page whose posts were all archived by
    earlier runs and sends conditional requests; ``full`` walks to the end, fetching
    every page afresh. Posts are marked seen, never pages: page 1 is always asked for.
    A page on which the layout seems to have changed (no entries, or a field the source
    nearly always had gone missing) is not archived, and the run is ``degraded``.
    A ``cancel`` stops the walk wherever it waits; the run is then ``interrupted``.
    While an earlier walk cut short has not been followed by one that reached the end,
    the run is ``backfilling`` (``archive.walk_state``): known posts do not stop it.
    """
    incremental = not full and writer.call(store.incremental_allowed, source.name)
    backfilling = not full and writer.call(walk_state.backfill_needed, source.name)
    mode = "incremental" if incremental else "full"
    base = writer.call(drift.baseline, source.name)
    run_id = writer.call(store.start_run, source=source.name, url=redact(source.url), mode=mode)
    fetcher = Fetcher(fetch_settings(source), pacer=pacer, cancel=cancel)
    totals = {"pages": 0, "not_modified": 0, "seen": 0, "new": 0, "changed": 0, "removed": 0}
    written: list[tuple[ListingPage, Future[PageOutcome]]] = []

    def account(*, wait: bool) -> PageOutcome:
        """Count the pages the writer has archived, in order; the last outcome."""
        outcome = PageOutcome(0, 0, 0)
        while written and (wait or written[0][1].done()):
            page, future = written.pop(0)
            outcome = future.result()
            totals["not_modified" if page.not_modified else "pages"] += 1
            totals["seen"] += outcome.seen
            totals["new"] += outcome.new
            totals["changed"] += outcome.changed
        return outcome

    stop_reason = None
    kept = learned.stored(writer, source)
    try:
        walk = Walk(
            source.url,
            fetcher,
            profile=resolve_profile(source.profile) if source.profile else learned.as_profile(kept),
            max_pages=source.max_pages,
            conditional=(lambda url: writer.call(store.page_validators, url))
            if incremental
            else None,
            allow=_robots_gate(robots, fetcher) if robots else None,
            overrides=source.selectors or None,
            hosts=allowed_hosts(source),
            prefetch=not incremental,  # a full walk asks for every page: overlap them
        )
        for page in walk:
            problems = drift.drifted_fields(base, page.entries)
            if problems and not accept_drift:  # a learned profile may be learned again, once
                page, problems, kept = learned.relearn(
                    writer, walk, page, base, source.name, run_id, kept
                )
                if problems:
                    raise LayoutDrift(page.url, problems)
            kept = learned.remember(writer, walk, source.name, run_id, kept)
            future = _archive_page(writer, run_id, source.name, page)
            if on_page:
                _report_when_archived(future, on_page, source, page)
            written.append((page, future))
            if incremental:  # the next step depends on this page's outcome: wait for it
                outcome = account(wait=True)
                known = page.not_modified or (outcome.all_known and page.next_url is not None)
                if known and backfilling:
                    stop_reason = _skip_walked_pages(writer, walk, page)
                    if stop_reason:
                        break
                elif known and not page.not_modified:
                    stop_reason = KNOWN
                    break
            else:  # a full walk goes on fetching while the writer thread archives
                account(wait=False)
        account(wait=True)
        stop_reason = stop_reason or walk.stop_reason
        if mode == "full" and stop_reason == END:  # the whole listing was seen
            totals["removed"] = writer.call(store.mark_removed, run_id=run_id, source=source.name)
    except ScraperError as exc:
        account(wait=True)  # the pages already handed to the writer are archived
        status = _status_of(exc)
        writer.call(store.finish_run, run_id, status=status, error=str(exc))
        return _report(run_id, source, status, mode, totals, None, str(exc), backfilling)
    except BaseException:
        writer.call(store.finish_run, run_id, status="interrupted", error="interrupted")
        raise
    finally:
        fetcher.close()
    writer.call(store.finish_run, run_id, status="ok", stop_reason=stop_reason)
    return _report(run_id, source, "ok", mode, totals, stop_reason, None, backfilling)


def _skip_walked_pages(writer: SerialWriter, walk: Walk, page: ListingPage) -> str | None:
    """A backfilling walk at a page of known posts goes on at the first page after it
    that no run has fetched; ``BACKFILLED`` (stop here) when there is none."""
    unwalked = writer.call(walk_state.unwalked_page_after, page.requested_url)
    if unwalked is None:
        return walk_state.BACKFILLED
    if unwalked != page.next_url:  # the next page itself is unwalked: simply go on
        log.info("%s: backfilling from %s", redact(page.requested_url), redact(unwalked))
        walk.resume_at(unwalked)
    return None


def _status_of(exc: ScraperError) -> str:
    if isinstance(exc, Cancelled):
        return "interrupted"
    return "degraded" if isinstance(exc, NoEntriesError | LayoutDrift) else "failed"


def _archive_page(
    writer: SerialWriter, run_id: int, source: str, page: ListingPage
) -> Future[PageOutcome]:
    """Hand the page to the writer; the future holds its outcome once written."""
    if page.not_modified:
        return writer.submit(
            store.save_not_modified,
            run_id=run_id,
            page_url=page.requested_url,
            page_number=page.number,
        )
    if log.isEnabledFor(logging.INFO):  # redacting costs a URL parse: only when shown
        log.info(
            "%s page %d %s: %d entries", source, page.number, redact(page.url), len(page.entries)
        )
    return writer.submit(
        store.save_page,
        run_id=run_id,
        source=source,
        entries=page.entries,
        identified=store.identify(page.entries),  # here, off the writer's critical path
        page_url=page.requested_url,
        page_number=page.number,
        etag=page.etag,
        last_modified=page.last_modified,
        next_url=page.next_url,
    )


def _report_when_archived(
    future: Future[PageOutcome], on_page: PageCallback, source: Source, page: ListingPage
) -> None:
    """Call ``on_page`` the moment the writer has committed the page, on the writer's
    thread: by then a full walk's thread is busy fetching the next page, so a report it
    made itself would show page N only once page N+1 had arrived. One writer runs calls
    in order, so a source's pages are reported in order; a page that failed to archive
    is not reported, and an error in ``on_page`` (the display) is logged by the future,
    never fails the run."""

    def done(finished: Future[PageOutcome]) -> None:
        if not finished.cancelled() and finished.exception() is None:
            on_page(source, page, finished.result())

    future.add_done_callback(done)


def _robots_gate(robots: RobotsCache, fetcher: Fetcher) -> Callable[[str], None]:
    """Checks each URL against robots.txt and applies its Crawl-delay to the host."""
    agent = fetcher.settings.user_agent

    def allow(url: str) -> None:
        robots.check(url, agent)
        delay = robots.crawl_delay(url, agent)
        if delay:
            fetcher.pacer.raise_delay(host_key(url), delay)

    return allow


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


def interrupted_report(source: Source, run: Mapping[str, Any]) -> RunReport:
    """The report of a run stopped from outside its walk, from the counters each page
    added to its ``runs`` row."""
    totals = {
        "pages": run["pages_fetched"],
        "not_modified": run["not_modified"],
        "seen": run["entries_seen"],
        "new": run["new_posts"],
        "changed": run["changed_posts"],
        "removed": run["removed_posts"],
    }
    return _report(run["id"], source, "interrupted", run["mode"], totals, None, run["error"])


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"

"""Run many sources at once: one worker per host, the archive written by one thread.

Sources on different hosts run concurrently (``jobs`` workers); sources on the same
host (``host:port``) run one after another in one worker, sharing its robots.txt and
its politeness clock, so a host never sees two requests at once.

A ``Cancellation`` (the command line's, set by a signal) stops every walk where it
waits; each records its run ``interrupted``. A walk that cannot be woken (a connect or
a name lookup in progress) is not waited for past ``STOP_GRACE``: this thread records
its run itself, from the counters each page left in the archive.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from listing_archiver.archive import store
from listing_archiver.scraper.cancel import Cancellation
from listing_archiver.scraper.fetch import Fetcher, Pacer
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import host_key

from .job import PageCallback, RunReport, fetch_settings, interrupted_report, scrape_source
from .sources import Source
from .writer import SerialWriter

log = logging.getLogger(__name__)

DEFAULT_JOBS = 4
# Seconds the walks get to wind down after a cancel before this thread stops waiting:
# what they do then (record the run, archive a page already fetched) takes milliseconds.
STOP_GRACE = 1.5


def by_host(sources: Sequence[Source]) -> list[list[Source]]:
    """Sources grouped by ``host:port``, groups and members in file order."""
    groups: dict[str, list[Source]] = {}
    for source in sources:
        groups.setdefault(host_key(source.url), []).append(source)
    return list(groups.values())


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How every source of one run is walked (the run-wide command-line flags)."""

    full: bool = False  # walk to the end, unconditionally
    obey_robots: bool = True
    accept_drift: bool = False  # archive pages even when a field went missing


def run_sources(
    writer: SerialWriter,
    sources: Sequence[Source],
    *,
    jobs: int = DEFAULT_JOBS,
    options: RunOptions = RunOptions(),
    on_page: PageCallback | None = None,
    cancel: Cancellation | None = None,
) -> list[RunReport]:
    """Scrape every source; the calling thread writes the archive meanwhile. Reports
    come back in the order of ``sources``; after a cancel, only for the sources that
    had started."""
    cancel = cancel or Cancellation()
    pacer = Pacer(cancel.sleep)
    groups = by_host(sources)
    # Even one source walks in a worker thread: this thread writes the archive meanwhile,
    # so a full walk fetches and parses the next page while the last one is committed.
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="source")
    futures: list[Future[list[RunReport]]] = [
        pool.submit(_run_group, writer, group, options, pacer, on_page, cancel) for group in groups
    ]
    try:
        writer.serve(lambda: all(f.done() for f in futures) or _past_grace(cancel))
    finally:
        # A walk stuck past the grace is left behind (the caller exits without it).
        pool.shutdown(wait=all(f.done() for f in futures), cancel_futures=True)
    reports = [r for future in futures if future.done() for r in future.result()]
    if not all(f.done() for f in futures):
        reports += _record_stuck(writer, sources, cancel.reason or "interrupted")
    return _in_order(reports, sources)


def _past_grace(cancel: Cancellation) -> bool:
    return cancel.cancelled_at is not None and time.monotonic() > cancel.cancelled_at + STOP_GRACE


def _record_stuck(writer: SerialWriter, sources: Sequence[Source], reason: str) -> list[RunReport]:
    """Mark the runs still ``running`` interrupted (holding the archive lock, they are
    this process's) and report them from their counters."""
    by_name = {source.name: source for source in sources}
    rows = writer.call(store.interrupt_running, error=reason)
    log.warning(
        "%s: %s did not stop within %g s; recorded from what was archived",
        reason,
        ", ".join(row["source"] for row in rows) or "a walk",
        STOP_GRACE,
    )
    return [interrupted_report(by_name[row["source"]], row) for row in rows]


def _in_order(reports: list[RunReport], sources: Sequence[Source]) -> list[RunReport]:
    by_name = {report.source: report for report in reports}
    return [by_name[source.name] for source in sources if source.name in by_name]


def _run_group(
    writer: SerialWriter,
    group: list[Source],
    options: RunOptions,
    pacer: Pacer,
    on_page: PageCallback | None,
    cancel: Cancellation,
) -> list[RunReport]:
    # robots.txt may redirect to another host (RFC 9309 follows up to five redirects)
    robots_fetcher = Fetcher(
        replace(fetch_settings(group[0]), hosts=None), pacer=pacer, cancel=cancel
    )
    robots = RobotsCache(robots_fetcher) if options.obey_robots else None
    reports: list[RunReport] = []
    try:
        for source in group:
            if cancel.cancelled:  # not started: no run to record, nothing to report
                break
            reports.append(
                scrape_source(
                    writer,
                    source,
                    full=options.full,
                    robots=robots,
                    pacer=pacer,
                    on_page=on_page,
                    accept_drift=options.accept_drift,
                    cancel=cancel,
                )
            )
        return reports
    finally:
        robots_fetcher.close()

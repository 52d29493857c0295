"""Run many sources at once: one worker per host, the archive written by one thread.

Sources on different hosts run concurrently (``jobs`` workers); sources on the same
host (``host:port``) run one after another in one worker, sharing its robots.txt and
its politeness clock, so a host never sees two requests at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

from scraper.fetch import Fetcher, Pacer
from scraper.robots import RobotsCache
from scraper.urls import host_key

from .job import PageCallback, RunReport, fetch_settings, scrape_source
from .sources import Source
from .writer import SerialWriter

DEFAULT_JOBS = 4


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
) -> list[RunReport]:
    """Scrape every source; the calling thread writes the archive meanwhile. Reports
    come back in the order of ``sources``."""
    pacer = Pacer()
    groups = by_host(sources)
    # Even one source walks in a worker thread: this thread writes the archive meanwhile,
    # so a full walk fetches and parses the next page while the last one is committed.
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="source")
    futures: list[Future[list[RunReport]]] = [
        pool.submit(_run_group, writer, group, options, pacer, on_page) for group in groups
    ]
    try:
        writer.serve(lambda: all(f.done() for f in futures))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return _in_order([r for future in futures for r in future.result()], sources)


def _in_order(reports: list[RunReport], sources: Sequence[Source]) -> list[RunReport]:
    by_name = {report.source: report for report in reports}
    return [by_name[source.name] for source in sources]


def _run_group(
    writer: SerialWriter,
    group: list[Source],
    options: RunOptions,
    pacer: Pacer,
    on_page: PageCallback | None,
) -> list[RunReport]:
    # robots.txt may redirect to another host (RFC 9309 follows up to five redirects)
    robots_fetcher = Fetcher(replace(fetch_settings(group[0]), hosts=None), pacer=pacer)
    robots = RobotsCache(robots_fetcher) if options.obey_robots else None
    try:
        return [
            scrape_source(
                writer,
                source,
                full=options.full,
                robots=robots,
                pacer=pacer,
                on_page=on_page,
                accept_drift=options.accept_drift,
            )
            for source in group
        ]
    finally:
        robots_fetcher.close()

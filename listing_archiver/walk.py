"""A source's walk, apart from the archive: a snapshot of the source's state in, page
records out. It never opens the archive (nothing here imports it), so the same walk
runs on a thread beside the writer (``job``) or in a worker on another machine
(``worker``).

What the walk must ask of the archive as it goes (the validators of a page, whether a
page's posts are all archived, whether a field has gone missing) it asks a
``SourceView``: the local one reads the archive through the writer, the remote one reads
the snapshot the worker was sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol
from urllib.parse import urlsplit

from listing_archiver.scraper.errors import Cancelled, LayoutDrift, NoEntriesError, ScraperError
from listing_archiver.scraper.fetch import Fetcher, FetchSettings
from listing_archiver.scraper.paginate import ListingPage, Walk
from listing_archiver.scraper.profile import Profile, load_profile, profile_toml, resolve_profile
from listing_archiver.scraper.records import Entry
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import host_key, redact

from .pages import LearnedRecord, PageRecord, Snapshot, WalkEnd, WalkRecord
from .sources import Source

log = logging.getLogger(__name__)

KNOWN = "known"  # stop reason: an incremental walk reached a page of known posts
# Stop reason of a backfilling walk whose next unwalked page is none: from known posts,
# the pages archived before lead to the end of the listing.
BACKFILLED = "backfilled"


class SourceView(Protocol):
    """What a walk asks about its source's archived state, page by page."""

    def validators(self, url: str) -> Mapping[str, str]:
        """Conditional-request headers for ``url`` (incremental walks only)."""
        ...

    def all_known(self, entries: Sequence[Entry]) -> bool:
        """Every entry's version was archived before this run: the walk may stop."""
        ...

    def drifted(self, entries: Sequence[Entry]) -> list[str]:
        """One message per field gone missing on a page; empty when none."""
        ...

    def unwalked_page_after(self, url: str) -> str | None:
        """The first page after ``url`` no run has fetched (backfilling walks only);
        None when the pages archived before lead to the end of the listing."""
        ...


def walk_source(
    source: Source,
    snapshot: Snapshot,
    view: SourceView,
    fetcher: Fetcher,
    *,
    robots: RobotsCache | None = None,
    accept_drift: bool = False,
) -> Iterator[WalkRecord]:
    """Walk ``source``: a ``PageRecord`` per page, then one ``WalkEnd``. A failure of the
    walk is its ``WalkEnd`` (the pages before it were yielded), never raised.

    Incremental stops after the first page whose posts were all archived by earlier
    runs, asked once the consumer has taken the page (locally: queued it for the
    writer, so the answer counts the pages before it). A page on which the layout seems
    to have changed is not yielded: the walk ends ``degraded``, after one re-learning
    if a learned profile read it.
    """
    profiles = _Profiles(source, snapshot)
    try:
        walk = Walk(
            source.url,
            fetcher,
            profile=resolve_profile(source.profile) if source.profile else profiles.initial(),
            max_pages=source.max_pages,
            conditional=view.validators if snapshot.incremental else None,
            allow=_robots_gate(robots, fetcher) if robots else None,
            overrides=source.selectors or None,
            hosts=allowed_hosts(source),
            prefetch=not snapshot.incremental,  # a full walk asks for every page: overlap them
        )
        for page in walk:
            page, learned = _checked(walk, page, view, profiles, accept_drift)
            yield PageRecord(source.name, page, learned)
            if not snapshot.incremental:
                continue
            known = page.not_modified or (
                page.next_url is not None and view.all_known(page.entries)
            )
            stop = None
            if known and snapshot.backfilling:  # go on at the first page not walked before
                stop = _skip_walked_pages(view, walk, page)
            elif known and not page.not_modified:
                stop = KNOWN
            if stop:
                yield WalkEnd(source.name, "ok", stop_reason=stop)
                return
        yield WalkEnd(source.name, "ok", stop_reason=walk.stop_reason)
    except ScraperError as exc:
        yield WalkEnd(source.name, status_of(exc), error=str(exc), learned=profiles.pending)


def _skip_walked_pages(view: SourceView, walk: Walk, page: ListingPage) -> str | None:
    """A backfilling walk at a page of known posts (or one answered 304) goes on at the
    first page after it that no run has fetched; ``BACKFILLED`` (stop here) when there
    is none."""
    unwalked = view.unwalked_page_after(page.requested_url)
    if unwalked is None:
        return BACKFILLED
    if unwalked != page.next_url:  # the next page itself is unwalked: simply go on
        log.info("%s: backfilling from %s", redact(page.requested_url), redact(unwalked))
        walk.resume_at(unwalked)
    return None


def fetch_settings(
    source: Source, make: Callable[..., FetchSettings] = FetchSettings
) -> FetchSettings:
    """The source's fetch settings, built by ``make`` (a test's slower backoff)."""
    defaults = make()
    timeout = source.timeout or defaults.read_timeout
    return make(
        hosts=allowed_hosts(source),
        delay=source.delay,
        user_agent=source.user_agent or defaults.user_agent,
        read_timeout=timeout,
        connect_timeout=min(timeout, defaults.connect_timeout),
    )


def allowed_hosts(source: Source) -> frozenset[str]:
    """The source's own host, and any more its config lists."""
    return frozenset({(urlsplit(source.url).hostname or "").lower(), *source.hosts})


def status_of(exc: ScraperError) -> str:
    if isinstance(exc, Cancelled):
        return "interrupted"
    return "degraded" if isinstance(exc, NoEntriesError | LayoutDrift) else "failed"


def _checked(
    walk: Walk, page: ListingPage, view: SourceView, profiles: _Profiles, accept_drift: bool
) -> tuple[ListingPage, tuple[LearnedRecord, ...]]:
    """The page to archive and the learned profiles to store first; raises
    ``LayoutDrift`` when fields went missing and learning again did not bring them back."""
    problems = view.drifted(page.entries)
    if problems and not accept_drift:  # a learned profile may be learned again, once
        page, problems = profiles.relearn(walk, page, view)
        if problems:
            raise LayoutDrift(page.url, problems)
    profiles.remember(walk)
    return page, profiles.take()


class _Profiles:
    """The source's learned profile across the walk: the stored one read back, a newly
    learned one to keep, one re-learning after a drift alarm. The walk's half of the
    learned profiles; the archiver stores the ``LearnedRecord``s it hands out."""

    def __init__(self, source: Source, snapshot: Snapshot) -> None:
        given = bool(source.profile or source.selectors)  # a config's choice always wins
        self.kept = None if given else snapshot.learned_profile  # TOML, to compare with
        self.label = snapshot.learned_label or f"learned profile of {source.name}"
        self.source = source.name
        self.pending: tuple[LearnedRecord, ...] = ()

    def initial(self) -> Profile | None:
        """The stored TOML as a profile; None (learn afresh) if it no longer loads."""
        if self.kept is None:
            return None
        try:
            return load_profile(self.kept, self.label)
        except (ValueError, TypeError) as exc:  # tomllib.TOMLDecodeError is a ValueError
            log.warning(
                "%s: stored learned profile unreadable (%s): learning again", self.source, exc
            )
            return None

    def remember(self, walk: Walk) -> None:
        """Keep the profile the walk learned, once, as the source's active one."""
        learned = walk.learned_profile
        if learned is None or self.kept == profile_toml(learned.profile):
            return
        self._add(walk, keep=True)

    def relearn(
        self, walk: Walk, page: ListingPage, view: SourceView
    ) -> tuple[ListingPage, list[str]]:
        """After a drift alarm on ``page``: the page read by a profile learned again and
        what still drifted. The new profile is kept when nothing drifts any more, else
        recorded as rejected (and the page is not archived)."""
        again = walk.relearn(page)
        if again is None or walk.learned_profile is None:
            return page, view.drifted(page.entries)
        problems = view.drifted(again.entries)
        self._add(walk, keep=not problems)
        log.info(
            "%s: learned again on %s: %s", self.source, page.url, "rejected" if problems else "kept"
        )
        return again, problems

    def take(self) -> tuple[LearnedRecord, ...]:
        taken, self.pending = self.pending, ()
        return taken

    def _add(self, walk: Walk, *, keep: bool) -> None:
        learned = walk.learned_profile
        assert learned is not None
        toml = profile_toml(learned.profile)
        record = LearnedRecord(
            toml, learned.learned_from, learned.page_url, dict(learned.evidence), keep
        )
        self.pending += (record,)
        if keep:
            self.kept = toml


def _robots_gate(robots: RobotsCache, fetcher: Fetcher) -> Callable[[str], None]:
    """Checks each URL against robots.txt and applies its Crawl-delay to the host."""
    agent = fetcher.settings.user_agent

    def allow(url: str) -> None:
        robots.check(url, agent)
        delay = robots.crawl_delay(url, agent)
        if delay:
            fetcher.pacer.raise_delay(host_key(url), delay)

    return allow

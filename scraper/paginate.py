"""Walk a listing page by page: a generator with a loop guard, a host guard and a cap."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urldefrag, urlsplit

from .errors import Cancelled, InvalidURL, RobotsDisallowed, ScraperError
from .fetch import FetchedPage, Fetcher
from .profile import Profile
from .reader import LearnedProfile, ListingReader
from .records import Entry
from .urls import DEFAULT_PORTS, http_url_problem, redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ListingPage:
    number: int  # 1-based position in this walk
    url: str  # final URL, after redirects
    requested_url: str  # as linked; what conditional requests are keyed on
    profile: str | None  # None for a page answered 304 Not Modified
    entries: tuple[Entry, ...]
    next_url: str | None = None  # the next page this walk will fetch, if any
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


# Why a walk ended; recorded with each run.
END, MAX_PAGES, LOOP, ROBOTS, NOT_MODIFIED = "end", "max_pages", "loop", "robots", "not_modified"
# No next link found on a page that links to more pages of the listing, not yet walked:
# pagination the walk did not recognise, not the end (a full walk marks nothing removed).
NO_NEXT_LINK = "no_next_link"


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in: what "same host" compares."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    return scheme, (parts.hostname or "").lower(), port


def check_start_url(url: str) -> None:
    """Raise ``InvalidURL``, naming ``url`` and what is wrong, unless it can be fetched."""
    problem = http_url_problem(url)
    if problem is not None:
        raise InvalidURL(url, problem)


class Walk:
    """Iterate over the pages of the listing at ``start_url``, in order.

    Stops when there is no acceptable next link, after ``max_pages`` pages, when a URL
    comes round again, when robots.txt forbids the next page, or at a 304 (the page,
    and so the rest, is as last archived). ``stop_reason`` says which. The profile
    detected on the first page is kept for the rest. ``conditional(url)`` gives the
    validator headers to send; ``allow(url)`` raises ``RobotsDisallowed`` to refuse;
    ``overrides`` are a source's own selectors. ``resume_at`` sends the walk on elsewhere.
    """

    def __init__(
        self,
        start_url: str,
        fetcher: Fetcher,
        *,
        profile: Profile | None = None,
        max_pages: int | None = None,
        conditional: Callable[[str], Mapping[str, str]] | None = None,
        allow: Callable[[str], None] | None = None,
        overrides: Mapping[str, str] | None = None,
        hosts: Collection[str] | None = None,
        prefetch: bool = False,
    ) -> None:
        check_start_url(start_url)
        self.start_url = start_url
        self.fetcher = fetcher
        self.profile = profile
        self.max_pages = max_pages
        self.conditional = conditional
        self.allow = allow
        self.overrides = overrides
        # Fetch the next page while the caller archives this one. Only for walks that go
        # to the end anyway: an incremental walk must not ask for a page it will not use.
        self.prefetch = prefetch
        # Next links may lead to these hosts only: the start URL's, unless told more.
        self.hosts = frozenset(hosts or ()) | {origin(start_url)[1]}
        self.stop_reason: str | None = None
        self._resume: str | None = None  # set by resume_at: where to go on after this page
        self.reader = ListingReader(profile, overrides=overrides, fetch=self._feed_text)

    def __iter__(self) -> Iterator[ListingPage]:
        seen: set[str] = set()
        pool = ThreadPoolExecutor(1, "prefetch") if self.prefetch else None
        try:
            pending = self._request(self.start_url, 0, seen, pool)
            number = 0
            while pending is not None:
                requested, fetched = pending()
                number += 1
                if fetched.not_modified:  # the end, unless the caller resumes elsewhere
                    self.stop_reason = NOT_MODIFIED
                    yield ListingPage(number, requested, requested, None, (), not_modified=True)
                    pending = self._resumed(None, number, seen, pool)
                    continue
                if _key(fetched.url) != _key(requested):  # redirected (not just a "#")
                    if _key(fetched.url) in seen:
                        log.info(
                            "%s redirected back to %s, already walked",
                            redact(requested),
                            redact(fetched.url),
                        )
                        self.stop_reason = LOOP
                        return
                    seen.add(_key(fetched.url))
                parsed = self.reader.read(fetched.text, fetched.url, datetime.now(UTC))
                self.profile = self.reader.profile  # page 1's choice reads the rest
                url = choose_next(parsed.next_urls, self.hosts, seen)
                if url is None:
                    others = [u for u in parsed.page_links if origin(u)[1] in self.hosts]
                    self.stop_reason = _why_last(parsed.next_urls, others, seen)
                # Ask for the next page now: with prefetch, it downloads while this one
                # is archived by the caller.
                pending = self._request(url, number, seen, pool) if url else None
                yield ListingPage(
                    number,
                    fetched.url,
                    requested,
                    parsed.profile,
                    parsed.entries,
                    next_url=url,
                    etag=fetched.etag,
                    last_modified=fetched.last_modified,
                )
                pending = self._resumed(pending, number, seen, pool)
        finally:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    def resume_at(self, url: str) -> None:
        """After the page just yielded, go on at ``url`` instead of its next link (or,
        after a 304, instead of stopping): a backfilling run skips pages it walked
        before. The page cap, robots.txt and the host and loop guards still apply."""
        self._resume = url

    def _resumed(
        self,
        pending: Callable[[], tuple[str, FetchedPage]] | None,
        walked: int,
        seen: set[str],
        pool: ThreadPoolExecutor | None,
    ) -> Callable[[], tuple[str, FetchedPage]] | None:
        """The request for the page ``resume_at`` asked for; else (none asked, or one the
        host and loop guards refuse) ``pending``, the page's own next link."""
        resume, self._resume = self._resume, None
        url = choose_next([resume], self.hosts, seen) if resume is not None else None
        return pending if url is None else self._request(url, walked, seen, pool)

    @property
    def learned_profile(self) -> LearnedProfile | None:
        """The profile learned on this walk's first page, for the caller to keep with
        the source and hand back on later runs (None when a built-in profile, a given
        one or the generic extractor read the page)."""
        return self.reader.learned

    def relearn(self, page: ListingPage) -> ListingPage | None:
        """``page`` (the last one yielded) read by a profile learned afresh from it, for
        a caller whose drift alarm fired on a learned profile; the new profile reads the
        pages after it and is ``learned_profile``. None when there is nothing to learn
        again (not a learned profile, or re-learned once already on this walk)."""
        parsed = self.reader.relearn()
        if parsed is None:
            return None
        self.profile = self.reader.profile
        return dataclasses.replace(page, profile=parsed.profile, entries=parsed.entries)

    def _feed_text(self, url: str) -> str | None:
        """A feed's text for learning the site's profile; None when robots.txt forbids
        it or it cannot be fetched (a missing feed is no failure of the walk)."""
        try:
            if self.allow is not None:
                self.allow(url)
            return self.fetcher.get(url, accept_any=True).text
        except Cancelled:  # a signal stops the walk here too
            raise
        except ScraperError:
            return None

    def _request(
        self, url: str, walked: int, seen: set[str], pool: ThreadPoolExecutor | None
    ) -> Callable[[], tuple[str, FetchedPage]] | None:
        """Start fetching ``url`` as page ``walked + 1``, or None when the walk stops
        here (the page cap, or robots.txt). Gates and validators are taken on the
        walking thread; only the download itself may run ahead in ``pool``."""
        if self.max_pages is not None and walked >= self.max_pages:
            self.stop_reason = MAX_PAGES
            return None
        if self.allow is not None:
            try:
                self.allow(url)
            except RobotsDisallowed:
                if walked == 0:
                    raise
                log.warning("not following %s: robots.txt disallows it", redact(url))
                self.stop_reason = ROBOTS
                return None
        seen.add(_key(url))
        headers = self.conditional(url) if self.conditional else None
        if pool is None:
            return lambda: (url, self.fetcher.get(url, headers))
        future = pool.submit(self.fetcher.get, url, headers)
        return lambda: (url, future.result())


def choose_next(candidates: Iterable[str], hosts: Collection[str], seen: set[str]) -> str | None:
    """The first candidate that is a valid http(s) URL, on one of ``hosts`` and not walked
    yet."""
    for candidate in candidates:
        if problem := http_url_problem(candidate):  # the site's markup: skipped, never fatal
            log.info("not following %r: %s", redact(candidate), problem)
            continue
        _, candidate_host, _ = origin(candidate)
        if candidate_host not in hosts:
            log.info("not following %s: it leaves %s", redact(candidate), ", ".join(sorted(hosts)))
        elif _key(candidate) in seen:
            log.info("not following %s: already walked (pagination loop)", redact(candidate))
        else:
            return candidate
    return None


def _why_last(next_urls: Iterable[str], page_links: Iterable[str], seen: set[str]) -> str:
    """Why a page with no next link to follow ends the walk: a next link back to a
    walked page is a loop; links to listing pages not walked yet (a pager, /page/9/)
    mean pagination not recognised; else the end of the listing."""
    if any(_key(c) in seen for c in next_urls):
        return LOOP
    if any(_key(u) not in seen for u in page_links):
        return NO_NEXT_LINK
    return END


def _key(url: str) -> str:
    return urldefrag(url).url

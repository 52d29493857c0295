"""Walk a listing page by page: a generator with a loop guard, a host guard and a cap."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urldefrag, urlsplit

from .errors import ScraperError
from .fetch import Fetcher
from .parse import parse_page
from .profiles import PROFILES, Profile
from .records import Entry

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ListingPage:
    number: int  # 1-based position in this walk
    url: str  # final URL, after redirects
    profile: str
    entries: tuple[Entry, ...]


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) with the default port filled in: what "same host" compares."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    return scheme, (parts.hostname or "").lower(), port


def check_start_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ALLOWED_SCHEMES or not parts.hostname:
        raise ScraperError(f"{url!r} is not an http(s) URL")


def walk(
    start_url: str,
    fetcher: Fetcher,
    *,
    profile: Profile | None = None,
    max_pages: int | None = None,
) -> Iterator[ListingPage]:
    """Yield each page of the listing starting at ``start_url``, in order.

    Stops when there is no acceptable next link, after ``max_pages`` pages, or when a
    URL comes round again. The profile detected on the first page is kept for the rest.
    """
    check_start_url(start_url)
    _, host, _ = origin(start_url)
    seen: set[str] = set()
    url: str | None = start_url
    number = 0
    while url is not None and (max_pages is None or number < max_pages):
        seen.add(_key(url))
        fetched = fetcher.get(url)
        if fetched.url != url:
            if _key(fetched.url) in seen:
                log.info("%s redirected back to %s, already walked; stopping", url, fetched.url)
                return
            seen.add(_key(fetched.url))
        parsed = parse_page(fetched.text, fetched.url, profile)
        profile = profile or PROFILES[parsed.profile]
        number += 1
        yield ListingPage(number, fetched.url, parsed.profile, parsed.entries)
        url = choose_next(parsed.next_urls, host, seen)


def choose_next(candidates: Iterable[str], host: str, seen: set[str]) -> str | None:
    """The first candidate that is http(s), on ``host`` and not walked yet."""
    for candidate in candidates:
        scheme, candidate_host, _ = origin(candidate)
        if scheme not in ALLOWED_SCHEMES:
            log.debug("not following %s: not http(s)", candidate)
        elif candidate_host != host:
            log.info("not following %s: it leaves %s", candidate, host)
        elif _key(candidate) in seen:
            log.info("not following %s: already walked (pagination loop)", candidate)
        else:
            return candidate
    return None


def _key(url: str) -> str:
    return urldefrag(url).url

"""One source's pages read as a walk reads them: page 1 decides, the pages after reuse.

On first contact the profile is chosen on page 1 (``parse_page``: a learned profile
against the built-in one detected). The site's own feed is fetched only when that
choice is not a built-in profile and leaves a field empty somewhere, and at most once
per walk; the page is then learned again with the feed's items as labels. Whatever
read page 1 (built-in, learned or given) reads every page after it, through the
compiled fast path, and a page 1 read by the generic extractor leaves the pages after
it to the generic extractor: learning happens once per walk, never per page.

A learned profile is handed to the caller (``learned``) so it can be kept with the
source and given back on later runs (``LearnedProfile`` in, no learning, no feed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .feeds import discover
from .learn import LEARNED
from .parse import ParsedPage, parse_generic, parse_page
from .profile import PROFILES, Profile
from .records import ENTRY_FIELDS
from .select import parse_html

FeedFetch = Callable[[str], str | None]  # a URL's text, or None when it cannot be had


@dataclass(frozen=True)
class LearnedProfile:
    """A profile learned on a source's first page, and what taught it: ``learned_from``
    is "feed" when the site's feed labelled the fields, "structured" for structured
    data on the page, "columns" for the column heuristics alone."""

    profile: Profile
    learned_from: str
    page_url: str
    evidence: Mapping[str, str] = field(default_factory=dict)  # per field, where from


class ListingReader:
    """Parses one walk's pages, keeping what page 1 chose."""

    def __init__(
        self,
        profile: Profile | None = None,
        *,
        overrides: Mapping[str, str] | None = None,
        fetch: FeedFetch | None = None,
    ) -> None:
        self.profile = profile
        self.overrides = overrides
        self.fetch = fetch
        self.evidence: dict[str, str] = {}
        self.why = ""  # why page 1's choice was made, when the reader made it
        self.learned: LearnedProfile | None = None
        self.feed_fetched = False
        self.relearned = False
        self._decided = profile is not None
        self._last: tuple[str, str, datetime | None] | None = None

    def read(self, html: str, url: str, fetched_at: datetime | None = None) -> ParsedPage:
        self._last = (html, url, fetched_at)
        if self._decided and self.profile is None and not self.overrides:
            return parse_generic(html, url, fetched_at)
        if self._decided:
            return parse_page(
                html,
                url,
                self.profile,
                overrides=self.overrides,
                fetched_at=fetched_at,
                learn=False,
            )
        self._decided = True
        return self._learn(html, url, fetched_at)

    def relearn(self) -> ParsedPage | None:
        """The last page read again by a profile learned afresh from it, which then
        reads the pages after it; None unless a learned profile read that page and
        none was learned again on this walk (re-learning happens once, on a drift
        alarm: the site's layout changed under the selectors learned before)."""
        if self.relearned or self._last is None or self.overrides:
            return None
        if self.profile is None or self.profile.name != LEARNED:
            return None
        self.relearned = True
        html, url, fetched_at = self._last
        parsed = self._learn(html, url, fetched_at)
        return parsed if parsed.used is not None and parsed.used.name == LEARNED else None

    def _learn(self, html: str, url: str, fetched_at: datetime | None) -> ParsedPage:
        parsed = parse_page(html, url, overrides=self.overrides, fetched_at=fetched_at)
        from_feed = False
        if self._wants_feed(parsed):
            self.feed_fetched = True
            tree, _ = parse_html(html)
            feed = discover(tree, url, self.fetch) if tree is not None and self.fetch else ()
            if feed:
                parsed = parse_page(html, url, fetched_at=fetched_at, feed=feed)
                from_feed = True
        self.profile = parsed.used
        self.evidence = parsed.evidence
        self.why = parsed.why
        if parsed.used is not None and parsed.used.name == LEARNED:
            source = "feed" if from_feed and "feed" in parsed.evidence.values() else "columns"
            self.learned = LearnedProfile(parsed.used, source, url, dict(parsed.evidence))
        return parsed

    def _wants_feed(self, parsed: ParsedPage) -> bool:
        """Whether the feed may teach what page 1 could not: never for a built-in
        profile that won on the page, nor for a source's own selectors; only when some
        entry lacks a field."""
        if self.overrides or self.fetch is None or self.feed_fetched:
            return False
        if parsed.profile in PROFILES:
            return False
        return any(not getattr(e, name) for e in parsed.entries for name in ENTRY_FIELDS)

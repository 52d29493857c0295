"""One source's pages read as a walk reads them: page 1 decides, the pages after reuse.

On first contact the profile is chosen on page 1 (``parse_page``: a learned profile
against the built-in one detected). When that leaves a field empty somewhere, the
site's own feed is fetched once and the page learned again with the feed's items as
labels. Whatever read page 1 (built-in, learned or given) reads every page after it,
through the compiled fast path: learning happens once per walk, never per page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from .feeds import discover
from .parse import ParsedPage, parse_page
from .profile import Profile
from .records import ENTRY_FIELDS
from .select import parse_html

FeedFetch = Callable[[str], str | None]  # a URL's text, or None when it cannot be had


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

    def read(self, html: str, url: str, fetched_at: datetime | None = None) -> ParsedPage:
        first = self.profile is None
        parsed = parse_page(
            html, url, self.profile, overrides=self.overrides, fetched_at=fetched_at
        )
        if first and not self.overrides and self.fetch is not None and _has_gaps(parsed):
            tree, _ = parse_html(html)
            feed = discover(tree, url, self.fetch) if tree is not None else ()
            if feed:
                parsed = parse_page(html, url, fetched_at=fetched_at, feed=feed)
        if first and parsed.used is not None:
            self.profile = parsed.used
            self.evidence = parsed.evidence
        return parsed


def _has_gaps(parsed: ParsedPage) -> bool:
    """Whether some entry lacks a field: what the feed's labels may fill."""
    return any(not getattr(e, name) for e in parsed.entries for name in ENTRY_FIELDS)

"""Site profiles: the CSS selectors that read one engine/theme's listing markup.

A profile is data, so supporting a new site means adding an entry here, not code.
Each field holds selectors tried in order, the first match winning. Dates are read
from a machine-readable attribute (``datetime``, ``content``, ``title``) when the
matched element has one, else from its visible text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import UnknownProfileError


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    description: str
    item: str  # one entry block; use :not() to leave out blocks that are not posts
    title: tuple[str, ...]
    url: tuple[str, ...]  # the element whose href is the post's URL
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    excerpt: tuple[str, ...] = ()
    next: tuple[str, ...] = ()  # the "older posts" link, besides rel=next and link text
    author_exclude: str | None = None  # regex: a match is not an author (e.g. "5 min")
    generator: str | None = None  # regex on <meta name="generator"> for detection
    signature: str = ""  # selector present on this engine's listing pages

    def __post_init__(self) -> None:
        if self.author_exclude:
            re.compile(self.author_exclude)


PAPERMOD = Profile(
    name="papermod",
    description="Hugo with the PaperMod theme",
    # The home-info / profile block on page 1 is an <article> too, but not a post.
    item="main article.post-entry:not(.first-entry):not(.home-info)",
    title=(".entry-header h2", ".entry-header h1", ".entry-header"),
    url=("a.entry-link[href]", ".entry-header a[href]"),
    date=(".entry-footer span[title]", ".entry-footer time"),
    # The footer reads "date · [N min ·] [N words ·] author"; the author is the last span.
    author=(".entry-footer > span:not([title]):last-of-type",),
    author_exclude=r"^\d[\d,.]*\s*(min|mins|minutes?|words?)\b",
    excerpt=(".entry-content",),
    next=("nav.pagination a.next",),
    generator=r"^Hugo\b",
    signature="article.post-entry",
)

PROFILES: dict[str, Profile] = {p.name: p for p in (PAPERMOD,)}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UnknownProfileError(f"no profile named {name!r} (known: {known})") from None

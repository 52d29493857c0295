"""Listing HTML in, entries and next-page candidates out. Pure: no I/O, no clock.

Pages are read with lxml: parsed once, profile selectors compiled once to XPath
(``scraper.select``), text and dates read from lxml elements. Two cases still build a
BeautifulSoup tree from the same text, and produce exactly what they did before:
the generic extractor (no profile matches the page), and a profile using a selector only
soupsieve can evaluate exactly (``fast_path_supports``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .entry import extract_entry
from .errors import NoEntriesError, NoProfileMatch
from .feeds import FeedItem
from .nextpage import NextLinks
from .nextpage import next_page_tiers as next_page_tiers  # its home before nextpage.py
from .profile import PROFILES, SELECTOR_FIELDS, Profile, custom_profile
from .records import ENTRY_FIELDS, Entry
from .runs import wrap_runs
from .select import (
    LxmlDocument,
    compile_selector,
    is_lxml,
    parse_html,
    select,
    select_one,
)

# For pages read by the generic extractor: rel=next and link text only.
GENERIC_NEXT = Profile(name="generic", description="", item="", title=(), url=())

# What the generic extractor reads from markup made to be read (schema.org, mf2).
STRUCTURED = frozenset({"generic:json-ld", "generic:microdata", "generic:h-entry"})


@dataclass(frozen=True)
class ParsedPage:
    profile: str
    entries: tuple[Entry, ...]
    next_urls: tuple[str, ...]  # absolute candidates, best first; the walker picks one
    used: Profile | None = None  # what read the page, for the walk's next pages
    evidence: dict[str, str] = field(default_factory=dict)  # per field, where it came from
    # On a first contact, why this profile read the page (``probe --explain``): words
    # about the choice, not part of what was read, so two readings compare without it.
    why: str = field(default="", compare=False)
    # Without next_urls: links that look like more pages of the listing (/page/3/, a
    # pager's numbers), for the walk to tell "the end" from "a next link not recognised".
    page_links: tuple[str, ...] = ()


def parse_page(
    html: str,
    url: str,
    profile: Profile | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    fetched_at: datetime | None = None,
    feed: Sequence[FeedItem] = (),
    learn: bool = True,
) -> ParsedPage:
    """Extract a listing page's entries with ``profile``. When None (a source's first
    page), a profile is learned from the page (``feed``: the site's own feed items, as
    labels) and scored against the built-in profile detected, if any: the built-in one
    is used only when it fills at least as many fields. When neither reads a listing,
    the generic extractor looks for one. ``overrides`` are a source's own selectors, put
    before the profile's (and then nothing is learned). ``learn=False``: the pages after
    a walk's first, which page 1's choice reads (a built-in profile detected again, or
    the generic extractor), never learned again.

    Raises ``NoEntriesError`` when nothing is found: an empty listing almost always
    means the layout changed.
    """
    page = PageTrees(html)
    if profile is None and not overrides and learn:
        return _first_contact(page, url, fetched_at, feed)
    profile = profile or detect_profile(page)
    if overrides:
        profile = profile.with_overrides(overrides) if profile else _custom(overrides, url)
    if profile is None:
        return _generic(page, url, fetched_at)
    entries = _profile_entries(page, url, profile, fetched_at)
    if not entries:
        raise NoEntriesError(url, profile.name, _nothing_read(page, profile, overrides or {}))
    return _finish(page, url, profile, entries)


def _nothing_read(page: PageTrees, profile: Profile, overrides: Mapping[str, str]) -> str:
    """What to do about a profile that read no entry on the page: which selector found
    nothing, and the built-in profile the page does match. A wrong profile named for a
    site is a choice to undo, not the site's layout drifting."""
    blocks = len(select(page.document(fast=fast_path_supports(profile)), profile.item))
    found = f"its item selector {profile.item!r} " + (
        f"matches {blocks} blocks, none with a title or a link" if blocks else "matches nothing"
    )
    fits = detect_profile(page)
    base = profile.name.removesuffix("+custom")
    if "item" in overrides:
        named = f", or drop it and name the profile {fits.name!r}, which matches" if fits else ""
        return f"{found} on this page: fix item under [source.selectors]{named}"
    if fits is not None and fits.name != base:  # (selectors without item need a profile)
        leave = "" if overrides else ", or leave the profile out to detect it"
        return (
            f"{found} on this page, which matches the built-in profile {fits.name!r}: "
            f"use that profile{leave}"
        )
    if fits is None and base in PROFILES:
        leave = "" if overrides else "leave the profile out to learn one from the page, or "
        return (
            f"{found} and no built-in profile matches this page: {leave}give the source "
            "its own selectors (item, title) under [source.selectors]"
        )
    return f"{found} on this page: the site's layout may have changed"


def _profile_entries(
    page: PageTrees, url: str, profile: Profile, fetched_at: datetime | None
) -> tuple[Entry, ...]:
    document = page.document(fast=fast_path_supports(profile))
    blocks = select(document, profile.item)
    if profile.item_run and blocks and is_lxml(blocks[0]):
        blocks = wrap_runs(blocks)
    return tuple(
        entry
        for block in blocks
        if (entry := extract_entry(block, profile, url, fetched_at)) is not None
    )


def _first_contact(
    page: PageTrees, url: str, fetched_at: datetime | None, feed: Sequence[FeedItem]
) -> ParsedPage:
    """The better of the built-in profile detected and a profile learned from the page;
    the generic extractor where neither finds entries, or finds fewer fields."""
    from .learn import learn

    builtin = detect_profile(page)
    options: list[tuple[int, int, Profile, tuple[Entry, ...], dict[str, str]]] = []
    builtin_entries: tuple[Entry, ...] = ()
    if builtin is not None:
        builtin_entries = entries = _profile_entries(page, url, builtin, fetched_at)
        evidence = dict.fromkeys(("item", *ENTRY_FIELDS), "built-in profile")
        if entries and fit(entries) == len(entries) * len(ENTRY_FIELDS):
            why = f"{_detected(builtin)}, and it fills every field of every entry"
            return _because(_finish(page, url, builtin, entries, evidence), why)
        options.append((fit(entries), 1, builtin, entries, evidence))
    if page.tree is not None and not _is_post(page, url):
        learned = learn(page.tree, url, feed, fetched_at)
    else:
        learned = None
    learned_entries: tuple[Entry, ...] | None = None
    if learned is not None:
        learned_entries = entries = _profile_entries(page, url, learned.profile, fetched_at)
        options.append((fit(entries), 0, learned.profile, entries, learned.evidence))
    if options:
        score, _, profile, entries, evidence = max(options, key=lambda o: o[:2])
        if builtin is not None and profile is builtin:
            rival = "none could be" if learned_entries is None else _filled(learned_entries)
            why = f"{_detected(builtin)}; it fills {_filled(entries)}, no fewer than a profile"
            why += f" learned from the page ({rival})"
            return _because(_finish(page, url, profile, entries, evidence), why)
        generic = _generic_or_none(page, url, fetched_at) if _may_lose(page, entries) else None
        if generic is not None and _generic_wins(generic, entries, score):
            why = f"the generic extractor reads the page better: {_filled(generic.entries)}, "
            return _because(generic, why + f"against {_filled(entries)} for a learned profile")
        why = _learned_why(entries, builtin, builtin_entries)
        return _because(_finish(page, url, profile, entries, evidence), why)
    why = "no built-in profile matches the page and no listing could be learned from it"
    return _because(_generic(page, url, fetched_at), why)


def _because(parsed: ParsedPage, why: str) -> ParsedPage:
    return replace(parsed, why=why)


def _detected(builtin: Profile) -> str:
    marks = "generator tag and markup match" if builtin.generator else "markup matches"
    return f"detected: the page's {marks} the built-in profile {builtin.name!r}"


def _filled(entries: Sequence[Entry]) -> str:
    """How much a choice read, in words: "23 of 25 fields in 5 entries"."""
    if not entries:
        return "no entries"
    return f"{fit(entries)} of {len(entries) * len(ENTRY_FIELDS)} fields in {len(entries)} entries"


def _learned_why(
    entries: Sequence[Entry], builtin: Profile | None, builtin_entries: Sequence[Entry]
) -> str:
    filled = f"a profile learned from the page fills {_filled(entries)}"
    if builtin is None:
        return f"no built-in profile matches the page; {filled}"
    rival = _filled(builtin_entries)
    return f"{filled}, more than the built-in profile {builtin.name!r} detected ({rival})"


STRUCTURED_MARKS = ("ld+json", "itemscope", "h-entry")
FEW_ENTRIES = 5


def _may_lose(page: PageTrees, learned: Sequence[Entry]) -> bool:
    """Whether the generic extractor (a BeautifulSoup tree, several times a learned
    profile's cost) may read the page better: only where the page carries structured
    data, or the learned profile found few entries."""
    return len(learned) < FEW_ENTRIES or any(mark in page.html for mark in STRUCTURED_MARKS)


def _generic_wins(generic: ParsedPage, learned: Sequence[Entry], score: int) -> bool:
    """Whether the generic extractor reads the page better than the learned profile:
    structured data on the page when it fills more fields, else only when it finds
    more posts and more fields. Its block-by-block first matches fill more cells than
    a learned column (a "Tags: x" line read as an excerpt) without reading them better,
    so filling more fields alone is no reason; and a tie goes to the learned profile,
    which reads the pages after it through the fast path."""
    found = fit(generic.entries)
    if generic.profile in STRUCTURED:
        return found > score
    return len(generic.entries) > len(learned) and found > score


def _is_post(page: PageTrees, url: str) -> bool:
    if "ld+json" not in page.html:  # no JSON-LD: no BeautifulSoup tree either
        return False
    from .generic import is_post_page

    return is_post_page(page.soup, url)


def fit(entries: Sequence[Entry]) -> int:
    """How well a profile reads a page: the fields it fills, over all entries."""
    return sum(1 for entry in entries for name in ENTRY_FIELDS if getattr(entry, name))


def _generic_or_none(page: PageTrees, url: str, fetched_at: datetime | None) -> ParsedPage | None:
    try:
        return _generic(page, url, fetched_at)
    except NoEntriesError:
        return None


def parse_generic(html: str, url: str, fetched_at: datetime | None = None) -> ParsedPage:
    """A page read by the generic extractor alone: the pages of a walk whose first page
    it read (so that every page of the walk is read the same way)."""
    return _generic(PageTrees(html), url, fetched_at)


def _generic(page: PageTrees, url: str, fetched_at: datetime | None) -> ParsedPage:
    from .generic import extract_generic  # only for sites no profile reads

    name, found = extract_generic(page.soup, url, fetched_at)
    evidence = dict.fromkeys(ENTRY_FIELDS, "structured data" if "json" in name else "generic")
    return _finish(page, url, GENERIC_NEXT, tuple(found), evidence, name=name)


def _finish(
    page: PageTrees,
    url: str,
    profile: Profile,
    entries: tuple[Entry, ...],
    evidence: Mapping[str, str] | None = None,
    *,
    name: str | None = None,
) -> ParsedPage:
    name = name or profile.name
    if not entries:
        raise NoEntriesError(url, name)
    document = page.document(fast=fast_path_supports(profile))
    # The walk follows the first candidate it accepts (same host, not yet walked), so
    # only the best tier that has candidates is read (``nextpage``): the profile's own
    # link, else rel=next, else labels, numbers, "Load more". Later tiers are skipped.
    finder = NextLinks(document, url, profile, tree=page.tree)
    posts = {entry.url for entry in entries if entry.url}
    tiers = finder.tiers()
    next_urls = next((found for urls in tiers if (found := _pages(urls, posts, url))), ())
    used = None if profile is GENERIC_NEXT else profile
    hints = () if next_urls else finder.page_links()  # on a listing's last page only
    return ParsedPage(name, entries, next_urls, used, dict(evidence or {}), page_links=hints)


def _pages(urls: Sequence[str], posts: Collection[str], page_url: str) -> tuple[str, ...]:
    """A tier's candidates that are no entry's own link (an aggregator's story titled
    "Next.js 15 is out" is an entry), those on the page's host first: its titles lead
    off-site while its pages stay on it."""
    host = urlsplit(page_url).hostname
    kept = [u for u in urls if u not in posts]
    return tuple(sorted(kept, key=lambda u: urlsplit(u).hostname != host))


if TYPE_CHECKING:
    from bs4 import BeautifulSoup

    # What selectors run on: an lxml document (ElementTree) or a BeautifulSoup.
    Document = LxmlDocument | BeautifulSoup


class PageTrees:
    """A page's text, its lxml tree (None when lxml finds no document in it), and the
    BeautifulSoup tree of the same text, made on first use."""

    def __init__(self, html: str) -> None:
        self.tree, self.html = parse_html(html)
        self._soup: BeautifulSoup | None = None

    @property
    def soup(self) -> BeautifulSoup:
        if self._soup is None:
            from bs4 import BeautifulSoup  # only for pages the fast path does not read

            self._soup = BeautifulSoup(self.html, "lxml")
        return self._soup

    def document(self, *, fast: bool) -> Document:
        """The lxml tree when ``fast`` and there is one, else the BeautifulSoup."""
        return self.tree if fast and self.tree is not None else self.soup


@lru_cache(maxsize=256)
def fast_path_supports(profile: Profile) -> bool:
    """Whether every selector ``profile`` extracts with compiles for lxml (see
    ``scraper.select``); when one does not, the page is read with BeautifulSoup and
    soupsieve instead. (The signature is for detection, which checks it on its own.)"""
    selectors: list[str] = []
    for name in (*SELECTOR_FIELDS, "excerpt_exclude"):
        value = getattr(profile, name)
        selectors.extend([value] if isinstance(value, str) else value)
    return all(compile_selector(selector) is not None for selector in selectors)


def _custom(overrides: Mapping[str, str], url: str) -> Profile:
    if "item" not in overrides:
        raise NoProfileMatch(url, "custom selectors without `item` need a profile to extend")
    return custom_profile(overrides)


def detect_profile(page: PageTrees) -> Profile | None:
    """The first built-in profile whose generator and markup signature both match."""
    document = page.document(fast=True)
    generator_tag = select_one(document, 'meta[name="generator"]')
    generator = str(generator_tag.get("content", "")) if generator_tag is not None else ""
    for profile in PROFILES.values():
        if profile.generator and not re.search(profile.generator, generator):
            continue
        fast = compile_selector(profile.signature) is not None
        if (
            profile.signature
            and select_one(page.document(fast=fast), profile.signature) is not None
        ):
            return profile
    return None

"""Listing HTML in, entries and next-page candidates out. Pure: no I/O, no clock."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bs4 import BeautifulSoup
from bs4.element import Tag

from .dates import extract_date
from .errors import NoEntriesError, NoProfileMatch
from .generic import extract_generic
from .profile import PROFILES, Profile, custom_profile
from .records import Entry
from .text import clean_excerpt, clean_text
from .urls import absolute_http_url

# For pages read by the generic extractor: rel=next and link text only.
GENERIC_NEXT = Profile(name="generic", description="", item="", title=(), url=())

# Link text that reads as "the next, older page" and not as "the previous, newer one".
NEXT_TEXT = re.compile(r"\b(next|older)\b|^[»›→⟩❯>\s]+$", re.IGNORECASE)
PREV_TEXT = re.compile(r"\b(prev|previous|newer)\b|[«‹←⟨❮]", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedPage:
    profile: str
    entries: tuple[Entry, ...]
    next_urls: tuple[str, ...]  # absolute candidates, best first; the walker picks one


def parse_page(
    html: str,
    url: str,
    profile: Profile | None = None,
    *,
    overrides: Mapping[str, str] | None = None,
    fetched_at: datetime | None = None,
) -> ParsedPage:
    """Extract a listing page's entries with ``profile``: detected when None, and when
    no built-in profile matches, the generic extractor finds the repeated entries.
    ``overrides`` are a source's own selectors, put before the profile's.

    Raises ``NoEntriesError`` when nothing is found: an empty listing almost always
    means the layout changed.
    """
    soup = BeautifulSoup(html, "lxml")
    profile = profile or detect_profile(soup)
    if overrides:
        profile = profile.with_overrides(overrides) if profile else _custom(overrides, url)
    if profile is None:
        name, found = extract_generic(soup, url, fetched_at)
        entries = tuple(found)
        next_profile = GENERIC_NEXT
    else:
        name, next_profile = profile.name, profile
        entries = tuple(
            entry
            for block in soup.select(profile.item)
            if (entry := extract_entry(block, profile, url, fetched_at)) is not None
        )
    if not entries:
        raise NoEntriesError(url, name)
    return ParsedPage(name, entries, tuple(next_page_urls(soup, url, next_profile)))


def _custom(overrides: Mapping[str, str], url: str) -> Profile:
    if "item" not in overrides:
        raise NoProfileMatch(url, "custom selectors without `item` need a profile to extend")
    return custom_profile(overrides)


def detect_profile(soup: BeautifulSoup) -> Profile | None:
    """The first built-in profile whose generator and markup signature both match."""
    generator_tag = soup.find("meta", attrs={"name": "generator"})
    generator = str(generator_tag.get("content", "")) if isinstance(generator_tag, Tag) else ""
    for profile in PROFILES.values():
        if profile.generator and not re.search(profile.generator, generator):
            continue
        if profile.signature and soup.select_one(profile.signature):
            return profile
    return None


def extract_entry(
    block: Tag, profile: Profile, page_url: str, fetched_at: datetime | None = None
) -> Entry | None:
    """One entry block to an ``Entry``; None for a block with neither title nor link."""
    title = clean_text(_first(block, profile.title))
    link = _first(block, profile.url)
    href = link.get("href") if link is not None else None
    url = absolute_http_url(href if isinstance(href, str) else None, page_url)
    if not title and not url:
        return None
    author = _author(_first(block, profile.author))
    if author and profile.author_exclude and re.search(profile.author_exclude, author, re.I):
        author = None
    return Entry(
        title=title,
        url=url,
        date=extract_date(
            _first(block, profile.date), fetched_at=fetched_at, date_format=profile.date_format
        ),
        author=author,
        excerpt=clean_excerpt(
            _first(block, profile.excerpt), title=title, exclude=profile.excerpt_exclude
        ),
    )


def next_page_urls(soup: BeautifulSoup, page_url: str, profile: Profile) -> Iterator[str]:
    """Candidate next-page URLs, best first: the profile's link (it knows the theme:
    MkDocs, say, points rel=next at the next page of the *site*), rel=next, link text."""
    seen: set[str] = set()
    candidates: list[Tag] = [tag for selector in profile.next for tag in soup.select(selector)]
    candidates.extend(soup.select("link[rel~=next][href], a[rel~=next][href]"))
    candidates.extend(a for a in soup.select("a[href]") if _reads_as_next(a))
    for tag in candidates:
        href = tag.get("href")
        absolute = absolute_http_url(href if isinstance(href, str) else None, page_url)
        if absolute and absolute not in seen:
            seen.add(absolute)
            yield absolute


def _reads_as_next(link: Tag) -> bool:
    label = clean_text(link) or str(link.get("aria-label") or "")
    return bool(label) and bool(NEXT_TEXT.search(label)) and not PREV_TEXT.search(label)


def _author(element: Tag | None) -> str | None:
    """The author's name as text, else as the alt text of an avatar (MkDocs Material
    shows authors only as pictures; the alt text is their accessible name)."""
    if element is None:
        return None
    if text := clean_text(element):
        return text
    avatar = element if element.name == "img" else element.find("img", alt=True)
    alt = avatar.get("alt") if isinstance(avatar, Tag) else None
    return clean_text(BeautifulSoup(alt, "lxml")) if isinstance(alt, str) and alt.strip() else None


def _first(block: Tag, selectors: Sequence[str]) -> Tag | None:
    for selector in selectors:
        found = block.select_one(selector)
        if found is not None:
            return found
    return None

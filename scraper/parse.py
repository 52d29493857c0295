"""Listing HTML in, entries and next-page candidates out. Pure: no I/O, no clock."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag
from dateutil import parser as dateparser

from .errors import NoEntriesError, NoProfileMatch
from .profiles import PROFILES, Profile
from .records import Entry

# Text in these elements is never visible.
HIDDEN_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "title"})
# Elements that break a line when rendered: text on either side must not run together.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
MACHINE_DATE_ATTRS = ("datetime", "content", "title")
ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
WHITESPACE = re.compile(r"\s+")
# Link text that reads as "the next, older page" and not as "the previous, newer one".
NEXT_TEXT = re.compile(r"\b(next|older)\b|^[»›→>\s]+$", re.IGNORECASE)
PREV_TEXT = re.compile(r"\b(prev|previous|newer)\b|[«‹←]", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedPage:
    profile: str
    entries: tuple[Entry, ...]
    next_urls: tuple[str, ...]  # absolute candidates, best first; the walker picks one


def parse_page(html: str, url: str, profile: Profile | None = None) -> ParsedPage:
    """Extract a listing page's entries with ``profile`` (detected when None).

    Raises ``NoProfileMatch`` when detection fails and ``NoEntriesError`` when the
    profile finds nothing: an empty listing almost always means the layout changed.
    """
    soup = BeautifulSoup(html, "lxml")
    profile = profile or detect_profile(soup, url)
    entries = tuple(
        entry
        for block in soup.select(profile.item)
        if (entry := extract_entry(block, profile, url)) is not None
    )
    if not entries:
        raise NoEntriesError(url, profile.name)
    return ParsedPage(profile.name, entries, tuple(next_page_urls(soup, url, profile)))


def detect_profile(soup: BeautifulSoup, url: str) -> Profile:
    """The first built-in profile whose generator and markup signature both match."""
    generator_tag = soup.find("meta", attrs={"name": "generator"})
    generator = str(generator_tag.get("content", "")) if isinstance(generator_tag, Tag) else ""
    for profile in PROFILES.values():
        if profile.generator and not re.search(profile.generator, generator):
            continue
        if soup.select_one(profile.signature):
            return profile
    known = ", ".join(sorted(PROFILES))
    raise NoProfileMatch(
        url, f"no built-in profile recognises this page (known: {known}); name one with --profile"
    )


def extract_entry(block: Tag, profile: Profile, page_url: str) -> Entry | None:
    """One entry block to an ``Entry``; None for a block with neither title nor link."""
    title = clean_text(_first(block, profile.title))
    link = _first(block, profile.url)
    href = link.get("href") if link is not None else None
    url = urljoin(page_url, href.strip()) if isinstance(href, str) and href.strip() else None
    if not title and not url:
        return None
    author = clean_text(_first(block, profile.author))
    if author and profile.author_exclude and re.search(profile.author_exclude, author, re.I):
        author = None
    return Entry(
        title=title,
        url=url,
        date=extract_date(_first(block, profile.date)),
        author=author,
        excerpt=clean_text(_first(block, profile.excerpt)),
    )


def extract_date(element: Tag | None) -> str | None:
    """ISO ``YYYY-MM-DD``: the calendar date written in a machine-readable attribute
    (the date the listing shows, whatever the time zone), else parsed from the text."""
    if element is None:
        return None
    for attr in MACHINE_DATE_ATTRS:
        value = element.get(attr)
        if isinstance(value, str) and (match := ISO_DATE.match(value)):
            return "-".join(match.groups())
    text = clean_text(element)
    if not text:
        return None
    try:
        parsed = dateparser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.date().isoformat() if parsed else None


def next_page_urls(soup: BeautifulSoup, page_url: str, profile: Profile) -> Iterator[str]:
    """Candidate next-page URLs, best first: rel=next, the profile's link, link text."""
    seen: set[str] = set()
    candidates: list[Tag] = [*soup.select("link[rel~=next][href], a[rel~=next][href]")]
    for selector in profile.next:
        candidates.extend(soup.select(selector))
    candidates.extend(a for a in soup.select("a[href]") if _reads_as_next(a))
    for tag in candidates:
        href = tag.get("href")
        if not isinstance(href, str) or not href.strip():
            continue
        absolute = urljoin(page_url, href.strip())
        if absolute not in seen:
            seen.add(absolute)
            yield absolute


def _reads_as_next(link: Tag) -> bool:
    label = clean_text(link) or str(link.get("aria-label") or "")
    return bool(label) and bool(NEXT_TEXT.search(label)) and not PREV_TEXT.search(label)


def _first(block: Tag, selectors: Sequence[str]) -> Tag | None:
    for selector in selectors:
        found = block.select_one(selector)
        if found is not None:
            return found
    return None


def clean_text(element: Tag | None) -> str | None:
    """Visible text: hidden elements dropped, blocks separated, whitespace collapsed, NFC."""
    if element is None:
        return None
    text = WHITESPACE.sub(" ", "".join(_visible_strings(element))).strip()
    return unicodedata.normalize("NFC", text) or None


def _visible_strings(root: Tag) -> Iterator[str]:
    # Iterative, so deeply nested (or malformed) markup cannot exhaust the stack.
    stack: list[PageElement | str] = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, str):  # a block boundary pushed below, or page text
            if isinstance(node, NavigableString) and isinstance(node, PreformattedString):
                continue  # comments, CDATA, doctype
            yield str(node)
        elif isinstance(node, Tag) and node.name not in HIDDEN_TAGS:
            block = node.name in BLOCK_TAGS
            if block:
                stack.append(" ")
            stack.extend(reversed(node.contents))
            if block:
                stack.append(" ")

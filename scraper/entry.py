"""One entry block read with a profile's selectors: title, URL, date, author and
excerpt, on either tree (lxml on the fast path, BeautifulSoup where a selector needs
soupsieve). Field by field, the first selector that finds an element wins, except for
learned profiles, which read every element their author or excerpt selector finds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .dates import extract_date
from .profile import Profile
from .records import Entry
from .select import LxmlElement, is_lxml, parse_html, select, select_one
from .text import clean_excerpt, clean_text, lxml_visible_strings, normalise_text
from .urls import absolute_http_url

if TYPE_CHECKING:
    from bs4.element import Tag


def extract_entry(
    block: Tag | LxmlElement, profile: Profile, page_url: str, fetched_at: datetime | None = None
) -> Entry | None:
    """One entry block to an ``Entry``; None for a block with neither title nor link."""
    title = clean_text(_first(block, profile.title))
    link = _first(block, profile.url)
    href = link.get("href") if link is not None else None
    url = absolute_http_url(href if isinstance(href, str) else None, page_url)
    if not title and not url:
        return None
    author = (
        _authors(block, profile) if profile.author_join else _author(_first(block, profile.author))
    )
    if author and profile.author_exclude and re.search(profile.author_exclude, author, re.I):
        author = None
    return Entry(
        title=title,
        url=url,
        date=extract_date(
            _first(block, profile.date), fetched_at=fetched_at, date_format=profile.date_format
        ),
        author=author,
        excerpt=_excerpts(block, profile, title)
        if profile.excerpt_join
        else clean_excerpt(
            _first(block, profile.excerpt), title=title, exclude=profile.excerpt_exclude
        ),
    )


def _author(element: Tag | LxmlElement | None) -> str | None:
    """The author's name as text, else as the alt text of an avatar (MkDocs Material
    shows authors only as pictures; the alt text is their accessible name)."""
    if element is None:
        return None
    if text := clean_text(element):
        return text
    alt = _avatar_alt(element)
    return _markup_text(alt) if isinstance(alt, str) and alt.strip() else None


def _authors(block: Tag | LxmlElement, profile: Profile) -> str | None:
    """Every name the first matching author selector finds, joined (learned profiles)."""
    from .fields import read_authors

    for selector in profile.author:
        if found := select(block, selector):
            return read_authors(found)
    return None


def _excerpts(block: Tag | LxmlElement, profile: Profile, title: str | None) -> str | None:
    """The text of every element the first matching excerpt selector finds, joined with
    a space (learned profiles: a summary of several paragraphs)."""
    for selector in profile.excerpt:
        if found := select(block, selector):
            outer = _outermost(found) if len(found) > 1 else found
            parts = (clean_excerpt(e, title=title, exclude=profile.excerpt_exclude) for e in outer)
            return " ".join(p for p in parts if p) or None
    return None


def _outermost(found: Sequence[Tag | LxmlElement]) -> list[Tag | LxmlElement]:
    """The found elements not inside another of them: a block is read once, not again
    for each block nested in it (either tree)."""
    chosen = {id(e) for e in found}

    def ancestors(element: Tag | LxmlElement) -> Iterator[Tag | LxmlElement]:
        if is_lxml(element):
            yield from element.iterancestors()
        else:
            yield from element.parents

    return [e for e in found if not any(id(a) in chosen for a in ancestors(e))]


def _avatar_alt(element: Tag | LxmlElement) -> Any:
    """The alt text of ``element`` if it is an image, else of the first image inside
    it that has one (even empty)."""
    if is_lxml(element):
        if element.tag == "img":
            return element.get("alt")
        images = element.iterdescendants("img")
        return next((img.get("alt") for img in images if "alt" in img.attrib), None)
    from bs4.element import Tag

    avatar = element if element.name == "img" else element.find("img", alt=True)
    return avatar.get("alt") if isinstance(avatar, Tag) else None


def _markup_text(markup: str) -> str | None:
    """The visible text of ``markup`` read as a page of its own: what
    ``clean_text(BeautifulSoup(markup, "lxml"))`` gives, without building the soup."""
    tree, _ = parse_html(markup)
    if tree is None:
        return None
    roots = [tree.getroot(), *tree.getroot().itersiblings()]
    return normalise_text("".join(s for root in roots for s in lxml_visible_strings(root)))


def _first(block: Tag | LxmlElement, selectors: Sequence[str]) -> Any | None:
    for selector in selectors:
        found = select_one(block, selector)
        if found is not None:
            return found
    return None

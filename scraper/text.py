"""Visible text out of markup: what a reader sees, not what the source holds.

The public functions take a BeautifulSoup ``Tag`` (the generic extractor's tree) or an
lxml element (the profile fast path's), with the same rules for both: the hidden and
block element sets, the skipped elements, and the final normalisation are shared; only
the walk over the tree differs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lxml import etree  # type: ignore[import-untyped]

from .select import LxmlElement, is_lxml, select
from .words import READ_MORE as READ_MORE  # where the extractors have always found it
from .words import read_more_start

if TYPE_CHECKING:
    from bs4.element import PageElement, Tag

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
WHITESPACE = re.compile(r"\s+")


def clean_text(element: Tag | LxmlElement | None, skip: Sequence[Any] = ()) -> str | None:
    """Visible text: hidden elements (and ``skip``) dropped, blocks separated, whitespace
    collapsed, Unicode NFC. None when nothing is left."""
    if element is None:
        return None
    skip_ids = {id(tag) for tag in skip}
    if is_lxml(element):
        raw = "".join(lxml_visible_strings(element, skip_ids))
    else:
        raw = "".join(visible_strings(element, skip_ids))
    return normalise_text(raw)


def normalise_text(raw: str) -> str | None:
    """Whitespace collapsed and trimmed, Unicode NFC; None when nothing is left.
    ``str.split()`` splits at exactly the characters ``WHITESPACE`` matches, and is
    several times faster than the regular expression."""
    return unicodedata.normalize("NFC", " ".join(raw.split())) or None


def clean_excerpt(
    element: Tag | LxmlElement | None, *, title: str | None = None, exclude: Sequence[str] = ()
) -> str | None:
    """The summary as a reader sees it, without "Read more" links, the profile's
    ``exclude`` elements, or the title repeated at its start. A full post shown on the
    listing is kept whole."""
    if element is None:
        return None
    skip = [tag for selector in exclude for tag in select(element, selector)]
    links = element.iterdescendants("a") if is_lxml(element) else element.find_all("a")
    skip += [a for a in links if READ_MORE.match(clean_text(a) or "")]
    text = drop_read_more(clean_text(element, skip))
    if text and title and text.startswith(title) and len(text) > len(title):
        text = text[len(title) :].lstrip(" :–—-|")
    return text or None


def drop_read_more(text: str | None) -> str | None:
    """``text`` without a read-more label at its end that is no link ("… Weiterlesen »"
    in a span, or written into the summary by the theme)."""
    if not text:
        return text
    start = read_more_start(text)
    return text if start is None else text[:start].rstrip() or None


def visible_strings(root: Tag, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[str]:
    """Iterative, so deeply nested (or malformed) markup cannot exhaust the stack."""
    from bs4.element import NavigableString, PreformattedString, Tag

    stack: list[PageElement | str] = list(reversed(root.contents))
    while stack:
        node = stack.pop()
        if isinstance(node, str):  # a block boundary pushed below, or page text
            if isinstance(node, NavigableString) and isinstance(node, PreformattedString):
                continue  # comments, CDATA, doctype
            yield str(node)
        elif isinstance(node, Tag) and node.name not in HIDDEN_TAGS and id(node) not in skip:
            block = node.name in BLOCK_TAGS
            if block:
                stack.append(" ")
            stack.extend(reversed(node.contents))
            if block:
                stack.append(" ")


def lxml_visible_strings(
    root: LxmlElement, skip: set[int] | frozenset[int] = frozenset()
) -> list[str]:
    """``visible_strings`` for an lxml element: its text, each child's content and then
    the child's tail (text after it, which belongs to ``root``). Comments and processing
    instructions are skipped but not their tails. Iterative, like ``visible_strings``."""
    out: list[str] = []
    if root.text and isinstance(root.tag, str):
        out.append(root.text)
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, node in walker:
        if node is root:
            continue
        tag = node.tag
        if event == "start":
            if tag in HIDDEN_TAGS or id(node) in skip:
                walker.skip_subtree()  # its "end" still comes, and adds the tail
                continue
            if tag in BLOCK_TAGS:
                out.append(" ")
            if node.text:
                out.append(node.text)
        elif event == "end":
            if tag in BLOCK_TAGS and tag not in HIDDEN_TAGS and id(node) not in skip:
                out.append(" ")
            if node.tail:
                out.append(node.tail)
        elif node.tail:  # a comment or processing instruction: only what follows it
            out.append(node.tail)
    return out

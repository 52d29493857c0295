"""Visible text out of markup: what a reader sees, not what the source holds."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from bs4.element import NavigableString, PageElement, PreformattedString, Tag

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
# Links that invite you to the post rather than summarise it, in the languages themes ship.
READ_MORE = re.compile(
    r"^\W*(read more|read the (rest|full (post|article|story))|continue reading|keep reading|"
    r"more|full (post|article)|weiterlesen|mehr lesen|lire la suite|en savoir plus|leer m[aá]s|"
    r"seguir leyendo|continua a leggere|leggi tutto|continuar lendo|leia mais|lees meer|"
    r"verder lezen|続きを読む|阅读全文|阅读更多|继续阅读|더 보기|читать далее|подробнее)\b.*$",
    re.IGNORECASE,
)


def clean_text(element: Tag | None, skip: Sequence[Tag] = ()) -> str | None:
    """Visible text: hidden elements (and ``skip``) dropped, blocks separated, whitespace
    collapsed, Unicode NFC. None when nothing is left."""
    if element is None:
        return None
    raw = "".join(visible_strings(element, {id(tag) for tag in skip}))
    text = WHITESPACE.sub(" ", raw).strip()
    return unicodedata.normalize("NFC", text) or None


def clean_excerpt(
    element: Tag | None, *, title: str | None = None, exclude: Sequence[str] = ()
) -> str | None:
    """The summary as a reader sees it, without "Read more" links, the profile's
    ``exclude`` elements, or the title repeated at its start. A full post shown on the
    listing is kept whole."""
    if element is None:
        return None
    skip = [tag for selector in exclude for tag in element.select(selector)]
    skip += [a for a in element.find_all("a") if READ_MORE.match(clean_text(a) or "")]
    text = clean_text(element, skip)
    if text and title and text.startswith(title) and len(text) > len(title):
        text = text[len(title) :].lstrip(" :–—-|")
    return text or None


def visible_strings(root: Tag, skip: set[int] | frozenset[int] = frozenset()) -> Iterator[str]:
    """Iterative, so deeply nested (or malformed) markup cannot exhaust the stack."""
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

"""Small judgements the learner makes about a group of links and the blocks around
them: whether a link leads to a tag, category, author or year page, whether a block
shows a date, whether two groups link to the same kind of page, whether a header or
footer is a post's own.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from .feeds import url_key
from .fields import DATE_LIKE
from .noise import CLASS_WORDS, is_noise, styled_only
from .select import LxmlElement
from .text import clean_text

LISTS = frozenset({"ul", "ol"})
MIN_POSTS = 2  # list items that read as posts before a menu-styled list is content
MIN_UNLINKED = 12  # characters of text outside links: a company's name, a place
TAXONOMY = frozenset(
    {"tag", "tags", "category", "categories", "topic", "topics", "label", "labels"}
    | {"author", "authors", "archive", "archives"}
    | {"location", "locations", "region", "regions"}  # a job board's filter pages
)


def post_part(element: LxmlElement) -> bool:
    """A header or footer inside a post (``article > header``, ``.post-header``) is
    the post's own."""
    named = {w.lower() for w in CLASS_WORDS.findall(str(element.get("class") or ""))}
    if element.tag not in ("header", "footer") and not named & {"header", "footer"}:
        return False
    return any(a.tag in ("article", "li") for a in element.iterancestors())


def taxonomy(href: str) -> bool:
    """A link to a tag, category, author, location or archive page, or to a year's
    posts (a year this century or late last: ``/jobs/7741/`` is a job's number)."""
    segments = [s.lower() for s in url_key(href).split("/") if s]
    return bool(TAXONOMY.intersection(segments)) or bool(
        segments and re.fullmatch(r"(?:19[89]|20\d)\d", segments[-1])
    )


def has_date(item: LxmlElement) -> bool:
    if item.find(".//time") is not None:
        return True
    return bool(DATE_LIKE.search(clean_text(item) or ""))


def same_kind(anchors: Sequence[LxmlElement], others: Sequence[LxmlElement]) -> bool:
    """Whether two groups link to the same kind of page: the same first path segment."""

    def heads(group: Sequence[LxmlElement]) -> Counter[str]:
        return Counter(url_key(a.get("href") or "").strip("/").split("/")[0] for a in group)

    mine, theirs = heads(anchors), heads(others)
    return mine.most_common(1)[0][0] == theirs.most_common(1)[0][0]


def is_chrome(node: LxmlElement) -> bool:
    """Navigation or chrome by tag, role, label or class; but a list styled as a menu
    whose items read as posts (``_reads_as_posts``) is content, whatever its class says."""
    tokens = [*str(node.get("class") or "").split(), *str(node.get("id") or "").split()]
    name, role, label = (
        str(node.tag),
        str(node.get("role") or ""),
        str(node.get("aria-label") or ""),
    )
    if not is_noise(name, role, label, tokens, inside=False, promo=False):
        return False
    return not (name in LISTS and styled_only(name, role, label, tokens) and _reads_as_posts(node))


def _reads_as_posts(listing: LxmlElement) -> bool:
    """Whether most of a list's items each hold a link and show a date or text beyond
    their links (a company, a place, a summary): a menu's items are links and nothing
    else, even where they nest a submenu."""
    items = [child for child in listing if child.tag == "li"]
    if len(items) < MIN_POSTS:
        return False
    posts = sum(
        1
        for item in items
        if item.find(".//a[@href]") is not None
        and (has_date(item) or len(_unlinked_text(item)) >= MIN_UNLINKED)
    )
    return posts > len(items) / 2


def _unlinked_text(element: LxmlElement) -> str:
    """The element's text outside its links."""
    parts = [element.text or ""]
    for child in element:
        if child.tag != "a" and isinstance(child.tag, str):  # not a comment
            parts.append(_unlinked_text(child))
        parts.append(child.tail or "")
    return " ".join(" ".join(parts).split())

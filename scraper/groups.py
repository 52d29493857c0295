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
from .noise import CLASS_WORDS
from .select import LxmlElement
from .text import clean_text

TAXONOMY = frozenset(
    {"tag", "tags", "category", "categories", "topic", "topics", "label", "labels"}
    | {"author", "authors", "archive", "archives"}
)


def post_part(element: LxmlElement) -> bool:
    """A header or footer inside a post (``article > header``, ``.post-header``) is
    the post's own."""
    named = {w.lower() for w in CLASS_WORDS.findall(str(element.get("class") or ""))}
    if element.tag not in ("header", "footer") and not named & {"header", "footer"}:
        return False
    return any(a.tag in ("article", "li") for a in element.iterancestors())


def taxonomy(href: str) -> bool:
    """A link to a tag, category, author or archive page, or to a year's posts."""
    segments = [s.lower() for s in url_key(href).split("/") if s]
    return bool(TAXONOMY.intersection(segments)) or bool(
        segments and re.fullmatch(r"\d{4}", segments[-1])
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

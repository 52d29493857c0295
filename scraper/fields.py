"""Reading one field from one element, and the elements of a post block that may show
a field: what the learner compares across a listing's items to choose its columns, and
what a learned profile reads with on every page after (so learned and applied agree).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from .feeds import FeedItem
from .noise import CLASS_WORDS
from .select import LxmlElement
from .text import READ_MORE, clean_excerpt, clean_text

MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE_LIKE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\.?\s+{MONTH}\.?,?\s+\d{{4}}\b|\b\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}\b",
    re.IGNORECASE,
)
AUTHOR_PREFIX = re.compile(r"^(?:(?:written|posted|published)\s+)?by\b[\s:]*", re.IGNORECASE)
# What follows a name in a byline: "by Ann on May 2", "Ann · 5 min read", "Ann | News".
AFTER_NAME = re.compile(r"\s+(?:on|in|at|el|le|am|il)\s+|\s*[·|•—–,]\s*|\s+-\s+", re.IGNORECASE)
AND = re.compile(r"\s+(?:and|&)\s+|\s*&\s*", re.IGNORECASE)
AUTHOR_WORDS = frozenset({"author", "authors", "byline", "writer", "creator"})
AVATAR_WORDS = frozenset({"avatar", "author", "authors", "byline", "profile"})
MAX_NAME_WORDS = 6
MAX_NAME = 60
# A job ad's facts: the company (and its tagline) and where, not what the ad says.
JOB_FACTS = frozenset({"company", "employer", "location", "salary"})
NOT_EXCERPT_WORDS = frozenset(
    {"meta", "byline", "tags", "tag", "categories", "category", "date", "author", "authors"}
    | {"share", "comments", "readmore", "more", "footer", "title", "heading", "header"}
    | JOB_FACTS
)
# A block inside one of these is part of a meta line, whatever its own class says.
META_LINE_WORDS = (
    frozenset({"meta", "byline", "tags", "categories", "share", "comments"}) | JOB_FACTS
)
# A class that says summary wins over one that says meta ("post-meta-description").
SUMMARY_WORDS = frozenset({"description", "summary", "excerpt", "teaser", "abstract", "lead"})
MIN_EXCERPT = 3
META_LINE = 80
SUMMARY_MATCH = 0.6  # difflib ratio of a block's opening to the feed summary's


def read_title(element: LxmlElement | None) -> str | None:
    return clean_text(element)


def read_excerpt(element: LxmlElement | None, title: str | None = None) -> str | None:
    text = clean_excerpt(element, title=title, exclude=EXCLUDE)
    if not text or len(text) < MIN_EXCERPT or DATE_LIKE.fullmatch(text):
        return None
    if len(text) < META_LINE and DATE_LIKE.search(text):
        return None  # "Posted April 21, 2021 - 3 min read": a meta line, not a summary
    return text


EXCLUDE = (".tags", ".post-tags", ".tag-list", ".categories", ".post-categories")


def read_author(element: LxmlElement | None) -> str | None:
    """A name: the element's text without "by" and what follows the name, else an
    avatar's alt text; None for text that is no name (a date, "5 min read", a bio)."""
    if element is None:
        return None
    text = clean_text(element)
    if not text:
        image = element if element.tag == "img" else element.find(".//img[@alt]")
        text = clean_text_of(image.get("alt")) if image is not None else None
    if not text:
        return None
    name = AFTER_NAME.split(AUTHOR_PREFIX.sub("", text).strip(), maxsplit=1)[0].strip()
    words = name.split()
    if not name or len(name) > MAX_NAME or len(words) > MAX_NAME_WORDS:
        return None
    if any(ch.isdigit() for ch in name) or READ_MORE.match(name):
        return None  # (every date pattern has a digit)
    # "Dev Patel and Lena Hoff": several authors, joined as the rest are.
    return ", ".join(part.strip() for part in AND.split(name) if part.strip())


def read_authors(elements: Sequence[LxmlElement]) -> str | None:
    """Several authors, each once, joined with ", " in page order."""
    names = [n for e in elements if (n := read_author(e))]
    return ", ".join(dict.fromkeys(names)) or None


def outermost(elements: Sequence[LxmlElement]) -> list[LxmlElement]:
    """The elements that are not inside another of them: what a joined field reads, so
    that a block and the blocks nested in it are read once."""
    chosen = set(elements)
    return [e for e in elements if not any(a in chosen for a in e.iterancestors())]


def clean_text_of(value: object) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


def author_candidates(
    item: LxmlElement,
    title: LxmlElement,
    label: FeedItem | None,
    date: LxmlElement | None = None,
) -> Iterator[LxmlElement]:
    """Elements that may show the author, best first: the feed's author where the feed
    names one, then rel/itemprop/class marks, a "by X" text, an avatar's alt text, and
    last a bare name in the date's meta line ("May 2, 2024 · Ann Lee")."""
    elements = [e for e in item.iter() if isinstance(e.tag, str) and not _inside(e, title)]
    if label is not None and label.authors:
        names = set(label.authors)
        yield from (e for e in elements if read_author(e) in names)
    marked = [e for e in elements if _marked_author(e)]
    # The names, not the box around them: a marked element holding marked ones is skipped.
    yield from (e for e in marked if not any(_inside(m, e) for m in marked if m is not e))
    for element in elements:
        own = (element.text or "").strip()
        if own and AUTHOR_PREFIX.match(own) and len(own) > 3:
            yield element
    for element in elements:
        if element.tag == "img" and element.get("alt") and AVATAR_WORDS & _near_words(element):
            beside = element.getnext()  # the name shown next to the picture, if any
            if beside is not None and isinstance(beside.tag, str) and clean_text(beside):
                yield beside
            yield element
    parent = date.getparent() if date is not None else None
    if parent is not None:
        yield from (e for e in parent if e is not date and _bare_name(e))


def _bare_name(element: LxmlElement) -> bool:
    """Text that reads as a person's name on its own: two to four capitalised words."""
    if not isinstance(element.tag, str) or len(element):
        return False
    words = (clean_text(element) or "").split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() and w.isalpha() for w in words)


def _marked_author(element: LxmlElement) -> bool:
    marks = str(element.get("rel") or "") + " " + str(element.get("itemprop") or "")
    return "author" in marks.split() or bool(AUTHOR_WORDS & _class_words(element))


def excerpt_candidates(
    item: LxmlElement,
    title: LxmlElement,
    used: Sequence[LxmlElement | None],
    title_text: str | None,
    label: FeedItem | None,
) -> Iterator[LxmlElement]:
    """Blocks that may be the summary, best first: the one that opens like the feed's
    summary, then the largest block that is not title, meta, tags or read-more."""
    blocks = []
    hidden = [e for e in item.iter() if isinstance(e.tag, str) and _hidden(e)]
    for element in item.iter():
        if not isinstance(element.tag, str) or element.tag in ("a", "img", "time"):
            continue
        if any(_inside(element, h) for h in hidden):
            continue  # what a reader never sees (structured-data copies, screen-reader text)
        if _inside(title, element) or _inside(element, title):
            continue
        if any(u is not None and (_inside(u, element)) for u in used):
            continue
        words = _class_words(element)
        if (NOT_EXCERPT_WORDS & words and not SUMMARY_WORDS & words) or _mostly_links(element):
            continue
        if _in_meta_line(element, item):
            continue
        text = read_excerpt(element, title_text)
        if text:
            blocks.append((element, text))
    if label is not None and label.summary:
        want = label.summary[:200]
        scored = [
            (difflib.SequenceMatcher(None, want, text[: len(want)], autojunk=False).ratio(), e)
            for e, text in blocks
        ]
        yield from (e for ratio, e in sorted(scored, key=lambda s: -s[0]) if ratio >= SUMMARY_MATCH)
    for element, _ in sorted(blocks, key=lambda b: -len(b[1])):
        yield _narrowest(element)


def _in_meta_line(element: LxmlElement, item: LxmlElement) -> bool:
    """Whether the element sits in a byline or meta line (lobste.rs's "via" in
    ``div.byline``) or a job ad's facts (WP Job Manager's ``div.company > strong``):
    its words are the byline's or the ad's facts, never a summary."""
    for ancestor in element.iterancestors():
        if ancestor is item:
            return False
        words = _class_words(ancestor)
        if META_LINE_WORDS & words and not SUMMARY_WORDS & words:
            return True
    return False


def _narrowest(element: LxmlElement) -> LxmlElement:
    """A block whose text is nearly all one child's is that child: a summary wrapped
    with its tags line or a "Read more" is the summary alone."""
    total = len(clean_text(element) or "")
    for child in element:
        if isinstance(child.tag, str) and len(clean_text(child) or "") >= 0.85 * total:
            return _narrowest(child) if child.tag not in ("a",) else element
    return element


def _hidden(element: LxmlElement) -> bool:
    words = _class_words(element)
    style = str(element.get("style") or "").replace(" ", "").lower()
    return (
        element.get("hidden") is not None
        or str(element.get("aria-hidden") or "") == "true"
        or "display:none" in style
        or "hidden" in words
        or {"sr", "only"} <= words
        or {"screen", "reader"} <= words
    )


def _mostly_links(element: LxmlElement) -> bool:
    text = len(clean_text(element) or "")
    linked = sum(len(clean_text(a) or "") for a in element.iter("a"))
    return text > 0 and linked >= 0.7 * text


def _inside(element: LxmlElement, outer: LxmlElement) -> bool:
    return element is outer or any(a is outer for a in element.iterancestors())


def _class_words(element: LxmlElement) -> set[str]:
    return {w.lower() for w in CLASS_WORDS.findall(str(element.get("class") or ""))}


def _near_words(element: LxmlElement) -> set[str]:
    words = _class_words(element)
    parent = element.getparent()
    return words | (_class_words(parent) if parent is not None else set())

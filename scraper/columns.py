"""Fields as columns: for each field, the relative selectors that read the same
element in most of a listing's items, and the element in one item that best shows a
date. What ``scraper.learn`` compares across items once it has found them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta

from .dates import extract_date
from .feeds import FeedItem
from .fields import DATE_LIKE, outermost
from .paths import relative, step
from .select import LxmlElement, select, select_one
from .text import clean_text

# A byline holding the date among name, categories and tags ("Posted by A on 30 October
# 2025 in B • Tagged with C"); the shortest element that reads as a date wins.
MAX_DATE_LINE = 200

Reader = Callable[[LxmlElement | None], str | None]


MAX_FALLBACKS = 3  # selectors per field: the column's, then for items it finds nothing in


def column(
    items: Sequence[LxmlElement],
    wanted: Sequence[LxmlElement | None],
    read: Reader,
    *,
    every: bool = False,
) -> tuple[tuple[str, ...], int]:
    """The relative selectors that read, in most items, the value of that item's wanted
    element, and in how many items they do: the one that reads most (shortest first
    among equals), then for the items where it finds nothing (a release dated in a
    meta line where the others have a ``<time>``), the next, as a profile's selectors
    are tried in order. A fallback must read more wanted values than it finds where
    an item shows none. ``every``: all the selector finds is read (co-authors, a
    summary of several paragraphs), so it may find only the wanted element and its
    like beside it."""
    values = [read(w) if w is not None else None for w in wanted]
    options = list(
        dict.fromkeys(
            s
            for item, w in zip(items, wanted, strict=True)
            if w is not None
            for s in relative(w, item)
        )
    )
    open_rows = list(range(len(items)))
    chosen: list[str] = []
    total = 0
    while open_rows and len(chosen) < MAX_FALLBACKS:
        best: tuple[int, int, int, str] | None = None
        for selector in options:
            reads = [
                _reads(items[i], selector, w, v, read, every)
                for i in open_rows
                if (w := wanted[i]) is not None and (v := values[i]) is not None
            ]
            hits = sum(1 for r in reads if r)
            if chosen and hits <= sum(
                1
                for i in open_rows
                if values[i] is None and select_one(items[i], selector) is not None
            ):
                continue
            # The very elements wanted before the same values read from elsewhere.
            key = (hits, sum(reads), -len(selector), selector)
            if best is None or key[:3] > best[:3]:
                best = key
        if best is None or best[0] == 0:
            break
        chosen.append(best[3])
        total += best[0]
        open_rows = [i for i in open_rows if select_one(items[i], best[3]) is None]
    return tuple(chosen), total


def _reads(
    item: LxmlElement, selector: str, wanted: LxmlElement, value: str, read: Reader, every: bool
) -> int:
    """Whether the selector reads the wanted element's value in this item: 2 when it
    finds that very element, 1 when it reads the same value from another, 0 when not.
    With ``every``, it finds the element when all it finds are the wanted element and
    its like beside it (the co-authors of one byline, not every paragraph)."""
    if not every:
        found = select_one(item, selector)
        return 2 if found is wanted else int(read(found) == value)
    found = outermost(select(item, selector))
    parent, kind = wanted.getparent(), step(wanted)
    if wanted in found and all(
        f.getparent() is parent and step(f) == kind and (f is wanted or read(f) is not None)
        for f in found
    ):
        return 2
    return int(" ".join(v for f in found if (v := read(f))) == value)


def read_href(element: LxmlElement | None) -> str | None:
    return str(element.get("href")) if element is not None and element.get("href") else None


def date_reader(fetched_at: datetime | None) -> Reader:
    def read(element: LxmlElement | None) -> str | None:
        return extract_date(element, fetched_at=fetched_at)

    return read


def best_date(
    item: LxmlElement, title: LxmlElement, label: FeedItem | None, read: Reader
) -> LxmlElement | None:
    """The element showing the item's date: the feed's day (a day either side, for
    time zones) where the feed labels it, else a machine-readable date, else the first
    short text that reads as a date, outside the title."""
    found: list[tuple[tuple[int, int, int], LxmlElement]] = []
    for element in item.iter():
        if not isinstance(element.tag, str) or _inside(element, title):
            continue
        machine = element.tag == "time" or element.get("datetime") is not None
        text = clean_text(element) or ""
        if not machine and (len(text) > MAX_DATE_LINE or not DATE_LIKE.search(text)):
            continue
        if (day := read(element)) is None:
            continue
        agrees = 0
        if label is not None and label.day is not None:
            shown = datetime.strptime(day, "%Y-%m-%d").date()
            agrees = -1 if abs(shown - label.day) <= timedelta(days=1) else 0
        depth = sum(1 for _ in element.iterancestors())
        found.append(((agrees, 0 if machine else 1, len(text) - depth), element))
    return min(found, key=lambda f: f[0])[1] if found else None


def first_reading(candidates: Iterable[LxmlElement], read: Reader) -> LxmlElement | None:
    """The first candidate (they come best first) that reads as a value."""
    return next((c for c in candidates if read(c) is not None), None)


def _inside(element: LxmlElement, outer: LxmlElement) -> bool:
    return element is outer or any(a is outer for a in element.iterancestors())

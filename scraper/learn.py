"""Learned site profiles: a listing's item selector and field selectors, induced from its
first page and compiled to the same lxml fast path as the built-in profiles.

Items: links are grouped by where they sit (the tag and class path from <body>); for a
group, each link's item is its highest ancestor that holds no other link of the group.
That is the block holding one post each, not the group's largest inner repetition (a
``ul > li > a + span.date`` list is a list of ``li``, whose dates belong to the item).
Groups are ranked by how post-like their items read (titles of several words, a date,
some text besides the title) and by how many of their links the site's own feed lists.

Fields are chosen as columns: in each item the element that best shows a field (the
feed's value where the feed labels the item, else the field's heuristic) gives relative
selectors, and the selector that reads the same value in most items is kept. What comes
out is a ``Profile``, data like ``scraper/profiles/*.toml``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from math import ceil

from .dates import extract_date
from .feeds import FeedItem, url_key
from .fields import (
    DATE_LIKE,
    EXCLUDE,
    author_candidates,
    excerpt_candidates,
    read_author,
    read_excerpt,
    read_title,
)
from .noise import CLASS_WORDS, is_noise
from .profile import Profile
from .select import LxmlDocument, LxmlElement, compile_selector, select, select_one
from .text import READ_MORE, clean_text
from .urls import absolute_http_url

LEARNED = "learned"
MIN_ITEMS = 3  # without a feed to confirm them, fewer same-looking blocks are no listing
MIN_LABELLED = 2  # items the feed lists: enough to call a group the listing
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
CSS_IDENT = re.compile(r"^-?[_a-zA-Z][_a-zA-Z0-9-]*$")
VARYING_PREFIXES = ("is-", "has-", "category-", "tag-", "format-", "status-", "type-")


@dataclass(frozen=True)
class Candidate:
    """One group of links read as a listing: each link's item block and title element."""

    items: tuple[LxmlElement, ...]
    anchors: tuple[LxmlElement, ...]
    titles: tuple[LxmlElement, ...]


@dataclass(frozen=True)
class Learned:
    """A learned profile and, per field, where its selector came from."""

    profile: Profile
    evidence: dict[str, str]  # field: "feed" | "columns"
    score: float


def learn(
    document: LxmlDocument,
    page_url: str,
    feed: Sequence[FeedItem] = (),
    fetched_at: datetime | None = None,
) -> Learned | None:
    """The best profile induced from this page, or None when no group reads as a list."""
    labels = {item.key: item for item in feed}
    page = _Page(document, page_url, labels, fetched_at)
    ranked = sorted((c for c in page.candidates() if page.enough(c)), key=page.rank, reverse=True)
    if not ranked:
        return None
    for best in ranked:
        learned = _profile(page, best)
        if learned is None:
            continue
        for featured in (c for c in ranked if c is not best and page.leads(c, best)):
            if (other := _profile(page, featured)) is not None:
                merged = _union(learned.profile, other.profile)
                return Learned(merged, learned.evidence, learned.score)
        return learned
    return None


class _Page:
    def __init__(
        self,
        document: LxmlDocument,
        url: str,
        labels: dict[str, FeedItem],
        fetched_at: datetime | None,
    ) -> None:
        self.document = document
        self.url = url
        self.labels = labels
        self.fetched_at = fetched_at
        self._noise: dict[LxmlElement, bool] = {}
        self._order: dict[LxmlElement, int] = {}

    def order(self) -> dict[LxmlElement, int]:
        """Each element's place in document order."""
        if not self._order:
            self._order = {e: i for i, e in enumerate(self.document.iter())}
        return self._order

    def in_noise(self, element: LxmlElement) -> bool:
        """Whether the element or an ancestor is navigation or chrome. Featured and
        pinned blocks are not noise here: ``leads`` decides about them."""
        node = element
        while node is not None and node.tag not in ("body", "html"):
            if node not in self._noise:
                tokens = [*str(node.get("class") or "").split(), *str(node.get("id") or "").split()]
                self._noise[node] = is_noise(
                    str(node.tag),
                    str(node.get("role") or ""),
                    str(node.get("aria-label") or ""),
                    tokens,
                    inside=False,
                    promo=False,
                )
            if self._noise[node]:
                return True
            node = node.getparent()
        return False

    def candidates(self) -> Iterator[Candidate]:
        groups: dict[tuple[str, ...], list[LxmlElement]] = {}
        for anchor in select(self.document, "body a[href]"):
            text = clean_text(_title_element(anchor))
            if (
                not text
                or READ_MORE.match(text)
                or not absolute_http_url(anchor.get("href"), self.url)
            ):
                continue
            if not self.in_noise(anchor):
                groups.setdefault(_path_key(anchor), []).append(anchor)
        for anchors in groups.values():
            if len(anchors) >= MIN_LABELLED and (found := _items(anchors)) is not None:
                yield found

    def labelled(self, candidate: Candidate) -> list[FeedItem | None]:
        return [
            self.labels.get(url_key(absolute_http_url(a.get("href"), self.url) or ""))
            for a in candidate.anchors
        ]

    def enough(self, candidate: Candidate) -> bool:
        hrefs = {a.get("href") for a in candidate.anchors}
        if len(hrefs) < 0.8 * len(candidate.anchors):
            return False  # the same few links again and again: categories, authors
        labelled = sum(1 for label in self.labelled(candidate) if label is not None)
        return labelled >= MIN_LABELLED or len(candidate.items) >= MIN_ITEMS

    def rank(self, candidate: Candidate) -> float:
        """How post-like the group reads: more items, titles of several words, dates
        and text besides the title; the feed's confirmation counts most."""
        titles = [clean_text(t) or "" for t in candidate.titles]
        words = sum(min(len(t.split()), 5) for t in titles) / (5 * len(titles))
        dated = sum(1 for item in candidate.items if _has_date(item)) / len(candidate.items)
        texty = sum(
            1
            for item, title in zip(candidate.items, titles, strict=True)
            if len(clean_text(item) or "") >= len(title) + 20
        ) / len(candidate.items)
        labelled = sum(1 for label in self.labelled(candidate) if label is not None)
        return len(candidate.items) * (0.2 + words) * (1 + dated + texty) + 10 * labelled

    def leads(self, other: Candidate, main: Candidate) -> bool:
        """Whether ``other`` is a featured or pinned block above the list whose posts the
        list does not repeat: such posts are entries too."""
        urls = {url_key(a.get("href") or "") for a in main.anchors}
        if any(url_key(a.get("href") or "") in urls for a in other.anchors):
            return False
        first = self.order()[main.items[0]]
        before = all(self.order()[item] < first for item in other.items)
        words = sum(len((clean_text(t) or "").split()) for t in other.titles) / len(other.titles)
        return before and words >= 2 and _same_kind(other.anchors, main.anchors)


def _items(anchors: list[LxmlElement]) -> Candidate | None:
    """Each anchor's item: its highest ancestor holding no other anchor of the group."""
    counts: Counter[LxmlElement] = Counter()
    for anchor in anchors:
        counts.update(anchor.iterancestors())
    items = []
    for anchor in anchors:
        item = anchor
        for ancestor in anchor.iterancestors():
            if counts[ancestor] > 1 or ancestor.tag in ("body", "html"):
                break
            item = ancestor
        if item is anchor:
            return None  # the link is the whole block: no fields to read beside it
        items.append(item)
    titles = tuple(_title_element(a, item) for a, item in zip(anchors, items, strict=True))
    return Candidate(tuple(items), tuple(anchors), titles)


def _title_element(anchor: LxmlElement, item: LxmlElement | None = None) -> LxmlElement:
    """The heading a title link sits in (within the item), else the link itself."""
    node = anchor.getparent()
    while node is not None and node is not item:
        if node.tag in HEADINGS:
            return node
        node = node.getparent()
    return anchor


def _has_date(item: LxmlElement) -> bool:
    if item.find(".//time") is not None:
        return True
    return bool(DATE_LIKE.search(clean_text(item) or ""))


def _same_kind(anchors: Sequence[LxmlElement], others: Sequence[LxmlElement]) -> bool:
    """Whether two groups link to the same kind of page: the same first path segment."""

    def heads(group: Sequence[LxmlElement]) -> Counter[str]:
        return Counter(url_key(a.get("href") or "").strip("/").split("/")[0] for a in group)

    mine, theirs = heads(anchors), heads(others)
    return mine.most_common(1)[0][0] == theirs.most_common(1)[0][0]


# --- selectors -----------------------------------------------------------------------------


def _step(element: LxmlElement, *, classes: bool = True) -> str:
    """An element as one selector step: its tag and its classes that do not vary along
    a list (no digits, modifiers or per-post categories)."""
    tag = str(element.tag)
    if not classes:
        return tag
    kept = sorted(
        c
        for c in str(element.get("class") or "").split()
        if CSS_IDENT.match(c)
        and not any(ch.isdigit() for ch in c)
        and "--" not in c
        and not c.startswith(VARYING_PREFIXES)
    )
    return ".".join([tag, *kept])


def _path_key(element: LxmlElement) -> tuple[str, ...]:
    return tuple(_step(e) for e in (element, *element.iterancestors()))


def _relative(element: LxmlElement, item: LxmlElement) -> list[str]:
    """Selectors that find ``element`` from ``item``: the full child path, with and
    without classes, the element's own step, and its parent's step above it."""
    chain = []
    node = element
    while node is not None and node is not item:
        chain.append(node)
        node = node.getparent()
    chain.reverse()
    if not chain:
        return []
    full = [_step(e) for e in chain]
    bare = [_step(e, classes=False) for e in chain]
    found = [":scope > " + " > ".join(full), ":scope > " + " > ".join(bare), full[-1]]
    if len(full) > 1:
        found.append(f"{full[-2]} > {full[-1]}")
    # The n-th of its kind, where the same step repeats in one parent (meta paragraphs).
    nth = [f"{s}:nth-of-type({_nth(e)})" for s, e in zip(bare, chain, strict=True)]
    found += [":scope > " + " > ".join(nth), ":scope > " + " > ".join([*full[:-1], nth[-1]])]
    return [s for s in dict.fromkeys(found) if compile_selector(s) is not None]


def _nth(element: LxmlElement) -> int:
    return 1 + sum(1 for s in element.itersiblings(preceding=True) if s.tag == element.tag)


def _item_selector(page: _Page, items: Sequence[LxmlElement]) -> str | None:
    """The shortest selector that selects exactly the items: a child path of one to
    four steps (with classes, then bare), alone or under their nearest common ancestor
    that a step of its own (an id, classes) names uniquely; else None."""
    wanted = set(items)
    paths = []
    for depth in (1, 2, 3, 4):
        for classes in (True, False):
            steps = []
            for level in range(depth):
                kinds = {_step(_up(i, level), classes=classes) for i in items}
                if len(kinds) != 1:
                    break
                steps.append(kinds.pop())
            if len(steps) == depth:
                paths.append(" > ".join(reversed(steps)))
    anchors = [a for a in _common_ancestors(items) if len(select(page.document, a)) == 1]
    options = [*paths, *(f"{a} {p}" for a in anchors[:2] for p in paths)]
    for selector in sorted(dict.fromkeys(options), key=len):
        if (
            compile_selector(selector) is not None
            and set(select(page.document, selector)) == wanted
        ):
            return selector
    return None


def _common_ancestors(items: Sequence[LxmlElement]) -> list[str]:
    """Steps naming the ancestors all items share, nearest first: ``#id`` where there is
    one, else the tag and classes."""
    shared = set(items[0].iterancestors())
    for item in items[1:]:
        shared &= set(item.iterancestors())
    steps = []
    for ancestor in items[0].iterancestors():
        if ancestor in shared and ancestor.tag not in ("html", "body"):
            ident = str(ancestor.get("id") or "")
            steps.append(f"#{ident}" if CSS_IDENT.match(ident) else _step(ancestor))
    return [s for s in steps if "." in s or s.startswith("#")]


def _up(element: LxmlElement, levels: int) -> LxmlElement:
    for _ in range(levels):
        element = element.getparent() if element.getparent() is not None else element
    return element


# --- fields as columns ---------------------------------------------------------------------

Reader = Callable[[LxmlElement | None], str | None]


def _column(
    items: Sequence[LxmlElement], wanted: Sequence[LxmlElement | None], read: Reader
) -> tuple[tuple[str, ...], int]:
    """The relative selector that reads, in most items, the value of that item's wanted
    element (shortest first among equals), and in how many items it does."""
    values = [read(w) if w is not None else None for w in wanted]
    options = dict.fromkeys(
        s
        for item, w in zip(items, wanted, strict=True)
        if w is not None
        for s in _relative(w, item)
    )
    best: tuple[int, int, str] | None = None
    for selector in options:
        hits = sum(
            1
            for item, value in zip(items, values, strict=True)
            if value is not None and read(select_one(item, selector)) == value
        )
        key = (hits, -len(selector), selector)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None or best[0] == 0:
        return (), 0
    return (best[2],), best[0]


def _profile(page: _Page, candidate: Candidate) -> Learned | None:
    items = candidate.items
    item_selector = _item_selector(page, items)
    if item_selector is None:
        return None
    labels = page.labelled(candidate)
    needed = max(2, ceil(len(items) / 2))
    evidence: dict[str, str] = {}
    titles = [clean_text(t) for t in candidate.titles]
    title_sel, _ = _column(items, candidate.titles, read_title)
    url_sel = tuple(f"{s}[href]" for s in _column(items, candidate.anchors, _read_href)[0])
    read_date = _date_reader(page.fetched_at)
    dates = [
        _best_date(i, t, lab, read_date)
        for i, t, lab in zip(items, candidate.titles, labels, strict=True)
    ]
    authors = [
        _best(author_candidates(item, title, label), read_author)
        for item, title, label in zip(items, candidate.titles, labels, strict=True)
    ]
    excerpts = [
        _best(excerpt_candidates(item, title_el, [d, a], text, label), read_excerpt)
        for item, title_el, d, a, text, label in zip(
            items, candidate.titles, dates, authors, titles, labels, strict=True
        )
    ]
    chosen: dict[str, tuple[str, ...]] = {}
    for name, wanted, read in (
        ("date", dates, read_date),
        ("author", authors, read_author),
        ("excerpt", excerpts, read_excerpt),
    ):
        selectors, hits = _column(items, wanted, read)
        if hits >= needed or (hits >= MIN_LABELLED and any(labels)):
            chosen[name] = selectors
            evidence[name] = "feed" if any(labels) else "columns"
    profile = Profile(
        name=LEARNED,
        description=f"learned from {page.url}",
        item=item_selector,
        title=title_sel,
        url=url_sel,
        date=chosen.get("date", ()),
        author=chosen.get("author", ()),
        excerpt=chosen.get("excerpt", ()),
        excerpt_exclude=EXCLUDE,
        author_join=True,
    )
    evidence.update(item="feed" if any(labels) else "columns", title="columns", url="columns")
    return Learned(profile, evidence, page.rank(candidate))


def _union(main: Profile, other: Profile) -> Profile:
    """``main`` with ``other``'s items (a featured block) and its selectors after main's."""

    def merged(field: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*getattr(main, field), *getattr(other, field))))

    return replace(
        main,
        item=f"{other.item}, {main.item}",
        **{f: merged(f) for f in ("title", "url", "date", "author", "excerpt")},  # type: ignore[arg-type]
    )


def _read_href(element: LxmlElement | None) -> str | None:
    return str(element.get("href")) if element is not None and element.get("href") else None


def _date_reader(fetched_at: datetime | None) -> Reader:
    def read(element: LxmlElement | None) -> str | None:
        return extract_date(element, fetched_at=fetched_at)

    return read


def _best_date(
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
        if not machine and (len(text) > 60 or not any(ch.isdigit() for ch in text)):
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


def _best(candidates: Iterable[LxmlElement], read: Reader) -> LxmlElement | None:
    """The first candidate (they come best first) that reads as a value."""
    return next((c for c in candidates if read(c) is not None), None)


def _inside(element: LxmlElement, outer: LxmlElement) -> bool:
    return element is outer or any(a is outer for a in element.iterancestors())


def class_words(element: LxmlElement) -> set[str]:
    return {w.lower() for w in CLASS_WORDS.findall(str(element.get("class") or ""))}

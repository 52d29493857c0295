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

from collections import Counter
from collections.abc import Iterator, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import datetime
from math import ceil

from .columns import best_date, column, date_reader, first_reading, read_href
from .feeds import FeedItem, url_key
from .fields import (
    EXCLUDE,
    author_candidates,
    excerpt_candidates,
    read_author,
    read_excerpt,
    read_title,
)
from .groups import has_date, is_chrome, post_part, same_kind, taxonomy
from .paths import item_selector, path_key, step
from .profile import Profile
from .runs import is_run, wrap_runs
from .select import LxmlDocument, LxmlElement, select
from .text import READ_MORE, clean_text
from .urls import absolute_http_url

LEARNED = "learned"
MIN_ITEMS = 3  # without a feed to confirm them, fewer same-looking blocks are no listing
MIN_LABELLED = 2  # items the feed lists: enough to call a group the listing
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


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
    found = list(page.candidates())
    ranked = sorted((c for c in found if page.enough(c)), key=page.rank, reverse=True)
    # A featured block may hold only two posts: fewer than a list needs on its own.
    blocks = sorted((c for c in found if page.enough(c, MIN_LABELLED)), key=page.rank, reverse=True)
    for best in ranked:
        learned = _profile(page, best)
        if learned is None:
            continue
        if is_run(best.items):
            return _runs(page, best, learned) or learned
        for featured in (c for c in blocks if c is not best and page.leads(c, best)):
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
                self._noise[node] = is_chrome(node)
            if self._noise[node] and not post_part(node):
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
                groups.setdefault(path_key(anchor), []).append(anchor)
        seen: set[frozenset[LxmlElement]] = set()
        for group in groups.values():
            anchors = self.complete(group)
            if len(anchors) < MIN_LABELLED or frozenset(anchors) in seen:
                continue
            seen.add(frozenset(anchors))
            if (found := _items(anchors)) is not None:
                yield found

    def complete(self, anchors: list[LxmlElement]) -> list[LxmlElement]:
        """The group with the links of its items' siblings that sit deeper or shallower
        (a post with an image wraps its heading in a grid row): in a list, a sibling of
        the items' kind whose link looks like theirs holds a post too."""
        found = _items(anchors)
        if found is None or len({i.getparent() for i in found.items}) != 1:
            return anchors
        parent, kind, own = found.items[0].getparent(), found.items[0].tag, step(anchors[0])
        headed = found.titles[0] is not anchors[0]
        extra = []
        for sibling in parent if parent is not None else ():
            if sibling.tag != kind or sibling in found.items:
                continue
            link = next(
                (
                    a
                    for a in sibling.iter("a")
                    if step(a) == own
                    and a.get("href")
                    and (_title_element(a) is not a) == headed
                    and clean_text(_title_element(a))
                ),
                None,
            )
            if link is not None:
                extra.append(link)
        if not extra:
            return anchors
        order = self.order()
        return sorted([*anchors, *extra], key=lambda a: order[a])

    def labelled(self, candidate: Candidate) -> list[FeedItem | None]:
        return [
            self.labels.get(url_key(absolute_http_url(a.get("href"), self.url) or ""))
            for a in candidate.anchors
        ]

    def enough(self, candidate: Candidate, minimum: int = MIN_ITEMS) -> bool:
        """Whether the group may be a list of posts: not the same few links again and
        again, not links to tag, category, author or year pages, not bare one-word links
        with nothing beside them (a tag cloud, a menu); the feed's word counts most."""
        anchors = candidate.anchors
        hrefs = {a.get("href") for a in anchors}
        if len(hrefs) < 0.8 * len(anchors):
            return False
        titles = [clean_text(t) or "" for t in candidate.titles]
        tagged = sum(1 for a in anchors if taxonomy(str(a.get("href"))))
        if tagged >= 0.5 * len(anchors) and _bare(candidate, titles, dates=False):
            return False  # tag and category links; not releases at /releases/tag/v2.4.0
        labelled = sum(1 for label in self.labelled(candidate) if label is not None)
        if labelled >= MIN_LABELLED:
            return True
        words = sum(len(t.split()) for t in titles) / len(titles)
        if words < 2 and _bare(candidate, titles):
            return False
        return len(candidate.items) >= minimum

    def rank(self, candidate: Candidate) -> float:
        """How post-like the group reads: more items, titles of several words, dates
        and text besides the title; the feed's confirmation counts most."""
        titles = [clean_text(t) or "" for t in candidate.titles]
        words = sum(min(len(t.split()), 5) for t in titles) / (5 * len(titles))
        dated = sum(1 for item in candidate.items if has_date(item)) / len(candidate.items)
        texty = sum(
            1
            for item, title in zip(candidate.items, titles, strict=True)
            if len(clean_text(item) or "") >= len(title) + 20
        ) / len(candidate.items)
        labelled = sum(1 for label in self.labelled(candidate) if label is not None)
        # A link to a tag, category or location page is a post's filter, not its title.
        tagged = sum(1 for a in candidate.anchors if taxonomy(str(a.get("href"))))
        plain = 1 - 0.5 * tagged / len(candidate.anchors)
        return len(candidate.items) * (0.2 + words) * (1 + dated + texty) * plain + 10 * labelled

    def leads(self, other: Candidate, main: Candidate) -> bool:
        """Whether ``other`` is a featured or pinned block above the list whose posts the
        list does not repeat: such posts are entries too."""
        urls = {url_key(a.get("href") or "") for a in main.anchors}
        if any(url_key(a.get("href") or "") in urls for a in other.anchors):
            return False
        first = self.order()[main.items[0]]
        before = all(self.order()[item] < first for item in other.items)
        words = sum(len((clean_text(t) or "").split()) for t in other.titles) / len(other.titles)
        return before and words >= 2 and same_kind(other.anchors, main.anchors)


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
    """The heading a title link sits in (within the item), or the heading inside a link
    that wraps a whole card, or, for an empty link laid over a card (PaperMod's
    ``a.entry-link``), the one heading beside it; else the link itself."""
    inner = next((e for e in anchor.iter(*HEADINGS) if e is not anchor), None)
    if inner is not None:
        return inner
    node = anchor.getparent()
    while node is not None and node is not item:
        if node.tag in HEADINGS:
            return anchor if _links_elsewhere(node, anchor) else node
        node = node.getparent()
    parent = anchor.getparent()
    if parent is not None and not clean_text(anchor) and anchor.find(".//img") is None:
        beside = list(parent.iter(*HEADINGS))
        if len(beside) == 1:
            return beside[0]
    return anchor


def _links_elsewhere(heading: LxmlElement, anchor: LxmlElement) -> bool:
    """Whether a heading also links to another page (python.org's job heading holds the
    position's link, the company and a location link): a card's header, whose title is
    the link alone."""
    href = anchor.get("href")
    return any(a.get("href") not in (None, href) for a in heading.iter("a"))


def _bare(candidate: Candidate, titles: list[str], *, dates: bool = True) -> bool:
    """Whether most items show nothing but their link: no text beside it (nor a date,
    with ``dates``)."""
    plain = sum(
        1
        for item, title in zip(candidate.items, titles, strict=True)
        if not (dates and has_date(item)) and len(clean_text(item) or "") < len(title) + 20
    )
    return plain >= 0.5 * len(candidate.items)


# --- the profile ------------------------------------------------------------------------------


def _profile(page: _Page, candidate: Candidate) -> Learned | None:
    items = candidate.items
    item = item_selector(page.document, items)
    if item is None:
        return None
    labels = page.labelled(candidate)
    needed = max(2, ceil(len(items) / 2))
    evidence: dict[str, str] = {}
    titles = [clean_text(t) for t in candidate.titles]
    title_sel, _ = column(items, candidate.titles, read_title)
    url_sel = tuple(f"{s}[href]" for s in column(items, candidate.anchors, read_href)[0])
    read_date = date_reader(page.fetched_at)
    dates = [
        best_date(i, t, lab, read_date)
        for i, t, lab in zip(items, candidate.titles, labels, strict=True)
    ]
    authors = [
        first_reading(author_candidates(item, title, label, date), read_author)
        for item, title, label, date in zip(items, candidate.titles, labels, dates, strict=True)
    ]
    excerpts = [
        first_reading(excerpt_candidates(item, title_el, [d, a], text, label), read_excerpt)
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
        selectors, hits = column(items, wanted, read, every=name in ("author", "excerpt"))
        if hits >= needed or (hits >= MIN_LABELLED and any(labels)):
            chosen[name] = selectors
            evidence[name] = "feed" if any(labels) else "columns"
    profile = Profile(
        name=LEARNED,
        description=f"learned from {page.url}",
        item=item,
        title=title_sel,
        url=url_sel,
        date=chosen.get("date", ()),
        author=chosen.get("author", ()),
        excerpt=chosen.get("excerpt", ()),
        excerpt_exclude=EXCLUDE,
        author_join=True,
        excerpt_join=True,
    )
    evidence.update(item="feed" if any(labels) else "columns", title="columns", url="columns")
    return Learned(profile, evidence, page.rank(candidate))


def _runs(page: _Page, candidate: Candidate, headings: Learned) -> Learned | None:
    """The profile for posts laid out as runs of siblings (``scraper.runs``): learned
    on a copy of the page whose runs are wrapped, its item the headings' selector with
    ``item_run``, its fields read relative to each run."""
    document = deepcopy(page.document)
    heads = select(document, headings.profile.item)
    if len(heads) != len(candidate.items):
        return None
    wrappers = wrap_runs(heads)
    anchors = []
    for wrapper, original in zip(wrappers, candidate.anchors, strict=True):
        href = original.get("href")
        anchor = next((a for a in wrapper.iter("a") if a.get("href") == href), None)
        if anchor is None:
            return None
        anchors.append(anchor)
    titles = tuple(_title_element(a, w) for a, w in zip(anchors, wrappers, strict=True))
    wrapped = Candidate(tuple(wrappers), tuple(anchors), titles)
    learned = _profile(_Page(document, page.url, page.labels, page.fetched_at), wrapped)
    if learned is None:
        return None
    profile = replace(learned.profile, item=headings.profile.item, item_run=True)
    return Learned(profile, learned.evidence, learned.score)


def _union(main: Profile, other: Profile) -> Profile:
    """``main`` with ``other``'s items (a featured block) and its selectors after main's."""

    def merged(field: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*getattr(main, field), *getattr(other, field))))

    return replace(
        main,
        item=f"{other.item}, {main.item}",
        **{f: merged(f) for f in ("title", "url", "date", "author", "excerpt")},  # type: ignore[arg-type]
    )


def _inside(element: LxmlElement, outer: LxmlElement) -> bool:
    return element is outer or any(a is outer for a in element.iterancestors())

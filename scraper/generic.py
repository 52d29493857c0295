"""The generic extractor: a listing's entries found without a site profile.

Strategies run from the most explicit markup to the least, and the first that finds a
listing wins, so a page that says what its posts are is never second-guessed by a layout
heuristic:

1. ``json-ld``: BlogPosting / NewsArticle / …Article / …Posting items in
   ``<script type="application/ld+json">`` (directly, in an ``@graph``, in an ItemList, a
   Blog's ``blogPost`` or a page's ``mainEntity``). At least 2.
2. ``microdata``: ``itemscope`` elements typed as a schema.org article. At least 2.
3. ``h-entry``: microformats2 ``.h-entry`` elements. At least 2.
4. ``articles``: repeated ``<article>`` elements whose heading holds (or is inside) a link.
   At least 2.
5. ``siblings``: the largest group of same-looking sibling blocks that each hold a link
   and a title. At least 3: two similar blocks are too common to mean a listing.

A page whose JSON-LD describes one article, the page itself, is a post, not a listing. Its
JSON-LD is not a listing of one, and the ``siblings`` heuristic does not read it either: a
post's own lists (further reading, footnotes) would pass for a listing. The marked-up
strategies still do, since some themes emit a page-level BlogPosting on listing pages too,
and a post's related-posts and comment blocks are noise to them (below).

Blocks that are not posts are skipped by every DOM strategy: anything inside navigation,
page headers and footers, asides, menus, breadcrumbs and pagination, and featured, pinned,
hero, intro, about, widget, sidebar, related and comment blocks (told by tag, ARIA role,
class or id). The page's <main> and its wrappers are never noise. A teaser that repeats a
post of the list, in a block shaped unlike the list's, is dropped in favour of the list's
copy; otherwise entries are deduplicated by URL, the first kept.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urldefrag, urlsplit

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag

from .dates import extract_date
from .noise import CLASS_WORDS, is_noise
from .records import Entry
from .text import HIDDEN_TAGS, READ_MORE, clean_excerpt, clean_text
from .urls import absolute_http_url

MIN_ITEMS = 2  # marked-up posts (json-ld, microdata, h-entry, articles)
MIN_SIBLINGS = 3  # the layout heuristic asks for more before it calls blocks a listing

# schema.org types that are posts: Article and its subtypes, BlogPosting and the other
# *Posting types, but not JobPosting (a job ad has no headline, author or post date).
POST_TYPE = re.compile(r"(Article|Posting)$")
NOT_POST_TYPES = frozenset({"JobPosting"})
SCHEMA_ORG = re.compile(r"^https?://schema\.org/(\w+)$")
# Where JSON-LD nests the items of a listing; an article's own fields are never walked.
JSONLD_CONTAINERS = ("@graph", "itemListElement", "item", "mainEntity", "blogPost", "blogPosts")
JSONLD_TYPE = re.compile(r"^\s*application/ld\+json\b", re.IGNORECASE)
JSONLD_WRAPPER = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)|(?://\s*)?(?:\]\]>|-->)\s*$")
ISO_DAY = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")

HEADINGS = ("h1", "h2", "h3", "h4")
ALL_HEADINGS = (*HEADINGS, "h5", "h6")
SUMMARY_WORDS = frozenset(
    {"summary", "excerpt", "description", "desc", "teaser", "dek", "standfirst", "lede"}
    | {"abstract", "synopsis"}
)
META_WORDS = frozenset({"meta", "byline", "tags", "tag", "categories", "category", "date"})
META_TAGS = frozenset({"header", "footer", "figure", "figcaption", "address", *ALL_HEADINGS})
AUTHOR_SELECTORS = ('[rel~="author"]', '[itemprop~="author"]', ".p-author")
AUTHOR_WORDS = ("author", "byline", "writer")
AUTHOR_PREFIX = re.compile(r"^(?:(?:written|posted)\s+)?by\b[\s:]*", re.IGNORECASE)
MAX_AUTHOR = 80  # longer "author" text is a bio box, not a byline
DATE_SELECTORS = ("time", '[itemprop~="datePublished"]', ".dt-published")
DATE_WORDS = frozenset({"date", "published", "pubdate", "posted", "timestamp", "dateline"})
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
DATE_LIKE = re.compile(
    rf"\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH}\.?,?\s+\d{{4}}\b",
    re.IGNORECASE,
)
# A title-like link, when a block has no heading: a few words, not a tag or a menu item.
MIN_TITLE_WORDS = 3
MIN_TITLE_CHARS = 15
WHITESPACE = re.compile(r"\s+")


def extract_generic(
    soup: BeautifulSoup, page_url: str, fetched_at: datetime | None = None
) -> tuple[str, list[Entry]]:
    """The entries of a listing no profile recognises, as ("generic:<strategy>", entries),
    or ("generic", []) when no strategy finds a listing (parse_page turns that into an
    error naming the page, which beats archiving a menu)."""
    page = _Page(soup, page_url, fetched_at)
    described = _jsonld_entries(page)
    if len(described) >= MIN_ITEMS:
        return "generic:json-ld", described
    post_page = len(described) == 1 and _is_this_page(described[0], page)
    strategies = MARKUP_STRATEGIES if post_page else (*MARKUP_STRATEGIES, SIBLINGS)
    for name, strategy, minimum in strategies:
        entries = _dedupe(strategy(page))
        if len(entries) >= minimum:
            return f"generic:{name}", entries
    return "generic", []


def is_post_page(soup: BeautifulSoup, page_url: str) -> bool:
    """Whether the page's JSON-LD describes one article, the page itself: a post, whose
    own lists (further reading, footnotes) are no listing."""
    described = _jsonld_entries(_Page(soup, page_url, None))
    return len(described) == 1 and _is_this_page(described[0], _Page(soup, page_url, None))


@dataclass
class _Page:
    """One page being read, with the noise verdicts already reached (each element's
    ancestors are asked about again and again)."""

    soup: BeautifulSoup
    url: str
    fetched_at: datetime | None
    _noise: dict[tuple[int, bool], bool] = field(default_factory=dict)
    _wrappers: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        for main in self.soup.select('main, [role="main"]'):
            self._wrappers.update(id(tag) for tag in _self_and_ancestors(main))

    def is_noise(self, tag: Tag, *, inside: bool = False) -> bool:
        """Cached ``_is_noise``. The page's <main> and what wraps it are layout, never
        noise, whatever their classes say ("sticky-footer", "hero-layout")."""
        key = (id(tag), inside)
        if key not in self._noise:
            wrapper = not inside and id(tag) in self._wrappers
            self._noise[key] = not wrapper and _is_noise(tag, inside=inside)
        return self._noise[key]

    def in_noise(self, block: Tag) -> bool:
        """Whether the block, or anything around it below <body>, is not where posts are."""
        node: Tag | None = block
        while node is not None and node.name not in ("body", "html", "[document]"):
            if self.is_noise(node):
                return True
            node = node.parent
        return False

    def in_inner_noise(self, element: Tag, block: Tag) -> bool:
        """Whether ``element`` sits in a block's own menu, share bar or related list."""
        node: Tag | None = element
        while node is not None and node is not block:
            if self.is_noise(node, inside=True):
                return True
            node = node.parent
        return False

    def absolute(self, href: str | None) -> str | None:
        return absolute_http_url(href, self.url)


@dataclass(frozen=True)
class _Found:
    """An entry and the shape of the block it came from, for telling a list's own copy
    of a post from a teaser that repeats it."""

    entry: Entry
    signature: str = ""


def _dedupe(found: list[_Found]) -> list[Entry]:
    """Entries with each URL once, the first kept, except that a block shaped unlike most
    of the list (a featured teaser) loses its URL to the list's own copy of the post."""
    if not found:
        return []
    dominant = Counter(f.signature for f in found).most_common(1)[0][0]
    claimed = {f.entry.url for f in found if f.signature == dominant}
    seen: set[str] = set()
    kept: list[Entry] = []
    for item in found:
        url = item.entry.url
        if url is not None:
            if url in seen or (item.signature != dominant and url in claimed):
                continue
            seen.add(url)
        kept.append(item.entry)
    return kept


# --- JSON-LD -----------------------------------------------------------------------------


def _jsonld_entries(page: _Page) -> list[Entry]:
    """Posts declared in JSON-LD, deduplicated by URL."""
    documents = list(_jsonld_documents(page.soup))
    index = _jsonld_index(documents)
    found = [
        _Found(entry)
        for node in _jsonld_posts(documents, index)
        if (entry := _jsonld_entry(node, index, page)) is not None
    ]
    return _dedupe(found)


def _jsonld_documents(soup: BeautifulSoup) -> Iterator[Any]:
    """Each parseable JSON-LD block; a malformed one (trailing commas, a stray comment,
    a truncated tag-manager snippet) is skipped rather than failing the page."""
    for script in soup.find_all("script"):
        if not JSONLD_TYPE.match(_attr(script, "type")):
            continue
        text = JSONLD_WRAPPER.sub("", script.get_text())
        try:
            yield json.loads(text, strict=False)
        except (ValueError, RecursionError):
            continue


def _jsonld_index(documents: list[Any]) -> dict[str, dict[str, Any]]:
    """Nodes by ``@id``, so that ``{"@id": ...}`` references (Yoast's graphs) resolve.
    Iterative: the JSON is the page's, and its depth is the page's choice."""
    index: dict[str, dict[str, Any]] = {}
    stack: list[Any] = list(documents)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            node_id = node.get("@id")
            if isinstance(node_id, str) and len(node) > len(index.get(node_id, {})):
                index[node_id] = node
            stack.extend(node.values())
    return index


def _jsonld_posts(documents: list[Any], index: dict[str, dict[str, Any]]) -> Iterator[Any]:
    """Post nodes in document order, found through the containers listings use."""
    stack: list[Any] = list(reversed(documents))
    visited: set[int] = set()
    while stack:
        node = _resolve(stack.pop(), index)
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            if _is_post_type(node.get("@type")):
                yield node
                continue
            stack.extend(reversed([node[key] for key in JSONLD_CONTAINERS if key in node]))


def _resolve(node: Any, index: dict[str, dict[str, Any]]) -> Any:
    """A bare ``{"@id": ...}`` reference replaced by the node it names."""
    if isinstance(node, dict) and set(node) == {"@id"} and isinstance(node["@id"], str):
        return index.get(node["@id"], node)
    return node


def _is_post_type(value: Any) -> bool:
    """Whether a schema.org @type (a name, prefixed name, URL, or a list of them) is a
    post: the same test for JSON-LD and microdata, so both find the same posts."""
    types = value if isinstance(value, list) else [value]
    for kind in types:
        if isinstance(kind, str):
            name = re.split(r"[/:#]", kind)[-1]
            if POST_TYPE.search(name) and name not in NOT_POST_TYPES:
                return True
    return False


def _jsonld_entry(
    node: dict[str, Any], index: dict[str, dict[str, Any]], page: _Page
) -> Entry | None:
    """A post node's fields; a node with neither headline nor URL is no entry."""
    title = _plain(_jsonld_text(node.get("headline")) or _jsonld_text(node.get("name")))
    url = page.absolute(_jsonld_url(node, index))
    if not title and not url:
        return None
    return Entry(
        title=title,
        url=url,
        date=_jsonld_date(_jsonld_text(node.get("datePublished")), page),
        author=_jsonld_author(node.get("author"), index),
        excerpt=_plain(_jsonld_text(node.get("description"))),
    )


def _jsonld_text(value: Any) -> str | None:
    """A string value, a ``{"@value": ...}`` literal, or the first of a list of those.
    One level only: deeper nesting is not JSON-LD, and recursing into it would let a
    page's JSON exhaust the stack. A lone surrogate (JSON may escape one, HTML cannot
    hold one) becomes U+FFFD, as an HTML parser makes it, so the text can be stored."""
    for item in value if isinstance(value, list) else [value]:
        text = item.get("@value") if isinstance(item, dict) else item
        if isinstance(text, str) and text.strip():
            return LONE_SURROGATE.sub("\ufffd", text)
    return None


def _jsonld_url(node: dict[str, Any], index: dict[str, dict[str, Any]]) -> str | None:
    """``url``, else the page the post is the main entity of, else its ``@id``."""
    for key in ("url", "mainEntityOfPage", "@id"):
        value = _resolve(node.get(key), index)
        if isinstance(value, dict):
            value = value.get("url") or value.get("@id")
        if text := _jsonld_text(value):
            return text
    return None


def _jsonld_author(value: Any, index: dict[str, dict[str, Any]]) -> str | None:
    """A string, a Person/Organization's name, or a list of either joined with ", "."""
    people = value if isinstance(value, list) else [value]
    names: list[str] = []
    for person in people:
        person = _resolve(person, index)
        name = _jsonld_text(person.get("name")) if isinstance(person, dict) else None
        text = _plain(name or _jsonld_text(person if isinstance(person, str) else None))
        if text and text not in names:
            names.append(text)
    return ", ".join(names) or None


def _plain(text: str | None) -> str | None:
    """JSON-LD text as a reader sees it: entities decoded (WordPress writes ``&#8217;``),
    whitespace collapsed, NFC."""
    if text is None:
        return None
    clean = WHITESPACE.sub(" ", html.unescape(text)).strip()
    return unicodedata.normalize("NFC", clean) or None


def _jsonld_date(text: str | None, page: _Page) -> str | None:
    """The calendar day written in an ISO timestamp, whatever its time zone (the day the
    site shows, not the UTC day); a date some CMS wrote as prose ("March 5, 2024") is
    read as the page would show it, through ``extract_date``."""
    if not text:
        return None
    if match := ISO_DAY.match(text):
        return "-".join(match.groups())
    return extract_date(page.soup.new_tag("time", string=text), fetched_at=page.fetched_at)


def _is_this_page(entry: Entry, page: _Page) -> bool:
    """Whether a lone JSON-LD article is about this very page (a post page): it has no
    URL of its own, or its URL is the page's, its canonical or its og:url."""
    if entry.url is None:
        return True
    addresses = {page.url}
    for tag in page.soup.select('link[rel~="canonical"][href], meta[property="og:url"]'):
        addresses.add(_attr(tag, "href") or _attr(tag, "content"))
    return _page_key(entry.url) in {_page_key(a) for a in addresses if a}


def _page_key(url: str) -> tuple[str, str, str]:
    """A URL as far as "the same page" goes: no fragment, scheme, www. or trailing slash."""
    try:
        parts = urlsplit(urldefrag(url)[0])
    except ValueError:  # a malformed canonical; it names no page
        return "", url, ""
    host = parts.netloc.lower().removeprefix("www.")
    return host, parts.path.rstrip("/"), parts.query


# --- microdata ---------------------------------------------------------------------------


def _microdata(page: _Page) -> list[_Found]:
    """schema.org article items; an item nested in another is part of it (a related post
    inside a post), so only the outermost count."""
    items = [
        tag
        for tag in page.soup.select("[itemscope][itemtype]")
        if _is_post_itemtype(_attr(tag, "itemtype"))
    ]
    return [
        _Found(entry, _signature(item))
        for item in _outermost(items)
        if not page.in_noise(item) and (entry := _microdata_entry(item, page)) is not None
    ]


def _is_post_itemtype(itemtype: str) -> bool:
    """Whether an itemtype names a schema.org post type; http and https both occur."""
    for token in itemtype.split():
        match = SCHEMA_ORG.match(token)
        if match and _is_post_type(match.group(1)):
            return True
    return False


def _microdata_entry(item: Tag, page: _Page) -> Entry | None:
    """An item's fields; the headline's link stands in for a missing url property."""
    title_tag = _first(_props(item, "headline")) or _first(_props(item, "name"))
    title = _prop_text(title_tag)
    url = page.absolute(_microdata_url(item, title_tag))
    if not title and not url:
        return None
    summary = _first(_props(item, "description")) or _first(_props(item, "articleBody"))
    return Entry(
        title=title,
        url=url,
        date=extract_date(_first(_props(item, "datePublished")), fetched_at=page.fetched_at),
        author=_microdata_author(_first(_props(item, "author"))),
        excerpt=_prop_excerpt(summary, title),
    )


def _props(item: Tag, name: str) -> Iterator[Tag]:
    """The item's own ``itemprop=name`` elements: those of a nested itemscope (the
    author's Person, the image's ImageObject) belong to that item instead."""
    for tag in item.select("[itemprop]"):
        if name in _attr(tag, "itemprop").split() and _scope(tag) is item:
            yield tag


def _scope(tag: Tag) -> Tag | None:
    """The item a property belongs to: the nearest itemscope around it."""
    node = tag.parent
    while node is not None and not node.has_attr("itemscope"):
        node = node.parent
    return node


def _microdata_url(item: Tag, title_tag: Tag | None) -> str | None:
    """``itemprop=url``, else the headline's link, else ``mainEntityOfPage`` or itemid."""
    prop = _first(_props(item, "url"))
    if prop is not None:
        return _prop_url(prop)
    link = _link_of(title_tag, item) if title_tag is not None else None
    if link is not None:
        return _attr(link, "href")
    page_prop = _first(_props(item, "mainEntityOfPage"))
    return _prop_url(page_prop) if page_prop is not None else _attr(item, "itemid") or None


def _microdata_author(tag: Tag | None) -> str | None:
    """A Person's own name property (not its job title or URL), else the text shown."""
    if tag is not None and tag.has_attr("itemscope"):
        name = _first(_props(tag, "name"))
        return _author_text(_prop_text(name) if name is not None else clean_text(tag))
    return _author_text(_prop_text(tag))


def _prop_text(tag: Tag | None) -> str | None:
    """A property's text: a <meta>'s content, else what the element shows."""
    if tag is not None and tag.name == "meta":
        return _plain(_attr(tag, "content"))
    return clean_text(tag)


def _prop_url(tag: Tag) -> str | None:
    """A URL property's value as microdata and mf2 read it: the link, source or content
    attribute, else the text."""
    for attr in ("href", "src", "content", "value"):
        if value := _attr(tag, attr).strip():
            return value
    return clean_text(tag)


def _prop_excerpt(tag: Tag | None, title: str | None) -> str | None:
    """A description in a <meta> is as the site wrote it; one shown is read as shown."""
    if tag is not None and tag.name == "meta":
        return _plain(_attr(tag, "content"))
    return clean_excerpt(tag, title=title)


# --- h-entry -----------------------------------------------------------------------------


def _h_entries(page: _Page) -> list[_Found]:
    """microformats2 h-entry posts; a post quoted inside another (h-cite, a repost) is
    part of it, so only the outermost count."""
    entries = _outermost(page.soup.select(".h-entry"))
    return [
        _Found(entry, _signature(block))
        for block in entries
        if not page.in_noise(block) and (entry := _h_entry(block, page)) is not None
    ]


def _h_entry(block: Tag, page: _Page) -> Entry | None:
    """An h-entry's fields; a note (no p-name) is kept without a title, as it has none."""
    name = _first(_mf_props(block, "p-name"))
    title = clean_text(name)
    url = page.absolute(_h_entry_url(block, name))
    if not title and not url:
        return None
    summary = _first(_mf_props(block, "p-summary")) or _first(_mf_props(block, "e-content"))
    return Entry(
        title=title,
        url=url,
        date=extract_date(_first(_mf_props(block, "dt-published")), fetched_at=page.fetched_at),
        author=_h_entry_author(block),
        excerpt=clean_excerpt(summary, title=title),
    )


def _h_entry_url(block: Tag, name: Tag | None) -> str | None:
    """``u-url``, else the link the name is, holds or sits in (mf2's implied url)."""
    url_tag = _first(_mf_props(block, "u-url"))
    if url_tag is not None:
        return _prop_url(url_tag)
    return _attr(_link_of(name, block), "href") or None


def _mf_props(root: Tag, prefixed_class: str) -> Iterator[Tag]:
    """The root's own properties: a nested microformat (the author's h-card, a reply's
    h-cite) keeps its p-name and u-url to itself."""
    for tag in root.select(f".{prefixed_class}"):
        if _mf_root(tag) is root:
            yield tag


def _mf_root(tag: Tag) -> Tag | None:
    """The microformat (an h-* element) a property belongs to: the nearest around it."""
    node = tag.parent
    while node is not None and not any(c.startswith("h-") for c in _classes(node)):
        node = node.parent
    return node


def _h_entry_author(block: Tag) -> str | None:
    """``p-author`` (its h-card's name when it is one), else an h-card in the entry."""
    author = _first(_mf_props(block, "p-author"))
    card = author if author is not None and "h-card" in _classes(author) else None
    if author is None:
        card = _first(_mf_props(block, "h-card"))
    if card is not None:
        name = _first(_mf_props(card, "p-name"))
        return _author_text(clean_text(name) or clean_text(card))
    return _author_text(clean_text(author))


# --- <article> elements ------------------------------------------------------------------


@dataclass(frozen=True)
class _Titled:
    """A block known to be a post by its title and link; the other fields are read
    only for the blocks that make the listing."""

    block: Tag
    title: str
    url: str
    title_tag: Tag

    def found(self, page: _Page) -> _Found:
        return _Found(_block_entry(self, page), _signature(self.block))


def _articles(page: _Page) -> list[_Found]:
    """<article>s with a linked heading. Where articles nest, the innermost are the
    posts: an outer one is a wrapper (or a page-level <article> around the list)."""
    titled: dict[int, _Titled] = {}
    for block in page.soup.select("article"):
        if not page.in_noise(block) and (post := _article_title(block, page)) is not None:
            titled[id(block)] = post
    return [
        post.found(page)
        for post in titled.values()
        if not any(id(inner) in titled for inner in post.block.select("article"))
    ]


def _article_title(block: Tag, page: _Page) -> _Titled | None:
    """The article's highest-ranking heading that holds or is inside a link: a small
    kicker heading (a linked category above the title) loses to the title."""
    for heading in _by_rank(block.find_all(HEADINGS)):
        if page.in_inner_noise(heading, block):
            continue
        link = _link_of(heading, block)
        url = page.absolute(_attr(link, "href")) if link is not None else None
        title = clean_text(heading)
        if url and title:
            return _Titled(block, title, url, heading)
    return None


def _by_rank(headings: Iterable[Tag]) -> list[Tag]:
    """Headings h1 first, then h2…, each level in document order."""
    return sorted(headings, key=lambda h: h.name)


def _block_entry(post: _Titled, page: _Page) -> Entry:
    """An entry from a post block whose title and link are known: the date from a <time>
    or a date-like text, the byline, and the summary or paragraphs left over."""
    date_tag, date = _find_date(post.block, page, post.title_tag)
    author_tag, author = _find_author(post.block)
    used = [t for t in (post.title_tag, date_tag, author_tag) if t is not None]
    return Entry(
        title=post.title,
        url=post.url,
        date=date,
        author=author,
        excerpt=_block_excerpt(post.block, page, post.title, used),
    )


# --- repeated sibling blocks -------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Post-like blocks of one shape under one parent, or under same-shaped sibling
    parents: the rows of a grid are one list, not one list per row."""

    parents: tuple[Tag, ...]
    members: tuple[_Titled, ...]

    def without(self, containers: set[int]) -> _Group:
        kept = tuple(m for m in self.members if id(m.block) not in containers)
        return _Group(self.parents, kept)

    def score(self) -> tuple[int, int]:
        """Most members, then most text: a grid of cards over a few short links."""
        return len(self.members), sum(len(clean_text(m.block) or "") for m in self.members)


def _siblings(page: _Page) -> list[_Found]:
    """The largest group of sibling blocks of one shape that each hold a link and a
    title. A block holding such a group of its own is a container (a grid row), not a
    post, so it cannot be a member."""
    groups = _sibling_groups(page)
    containers = {id(n) for g in groups for p in g.parents for n in _self_and_ancestors(p)}
    groups = [g.without(containers) for g in groups]
    groups = [g for g in groups if len(g.members) >= MIN_SIBLINGS]
    if not groups:
        return []
    best = max(groups, key=_Group.score)
    return [member.found(page) for member in best.members]


def _sibling_groups(page: _Page) -> list[_Group]:
    """Groups of at least ``MIN_SIBLINGS`` post-like blocks. Blocks are first sorted by
    where they sit (the parent's parent and shape) and their own shape, so that only
    blocks with enough look-alikes are read: reading every element's subtree would make
    deeply nested pages quadratic."""
    shapes: dict[tuple[int, str, str], list[tuple[Tag, Tag]]] = {}
    for parent in page.soup.find_all(True):
        if parent.name in HIDDEN_TAGS or page.in_noise(parent):
            continue
        grand = parent.parent
        row = (id(grand), _signature(parent)) if grand is not None else (id(parent), "")
        for child in parent.find_all(True, recursive=False):
            if not page.is_noise(child):
                shapes.setdefault((*row, _signature(child)), []).append((parent, child))
    groups = []
    for pairs in shapes.values():
        if len(pairs) < MIN_SIBLINGS:
            continue
        members = [p for _, child in pairs if (p := _sibling_title(child, page)) is not None]
        parents = tuple({id(parent): parent for parent, _ in pairs}.values())
        if len(members) >= MIN_SIBLINGS:
            groups.append(_Group(parents, tuple(members)))
    return groups


def _sibling_title(block: Tag, page: _Page) -> _Titled | None:
    """A block that reads as a post: a heading (its link, else the block's first link)
    or, without one, a link whose text is long enough to be a title."""
    links = [
        a
        for a in ([block] if block.name == "a" else block.find_all("a", href=True))
        if not page.in_inner_noise(a, block) and page.absolute(_attr(a, "href"))
    ]
    if not links:
        return None
    headings = _by_rank(block.find_all(ALL_HEADINGS))
    heading = next(
        (h for h in headings if not page.in_inner_noise(h, block) and clean_text(h)), None
    )
    if heading is not None:
        link = _link_of(heading, block) or links[0]
        title_tag = heading
    else:
        link = max(links, key=lambda a: len(clean_text(a) or ""))
        title_tag = link
    title = clean_text(title_tag)
    url = page.absolute(_attr(link, "href"))
    if not title or not url or (heading is None and not _reads_as_title(title)):
        return None
    return _Titled(block, title, url, title_tag)


def _reads_as_title(text: str) -> bool:
    """Long enough to be a post title rather than a tag, menu item or "Read more"."""
    return (
        len(text.split()) >= MIN_TITLE_WORDS
        and len(text) >= MIN_TITLE_CHARS
        and not READ_MORE.match(text)
    )


# --- fields of a post block --------------------------------------------------------------


def _find_date(block: Tag, page: _Page, title_tag: Tag) -> tuple[Tag | None, str | None]:
    """The post's date and the element showing it: a <time> or a date-marked element
    first, else the first date-like text outside the title."""
    marked = [t for selector in DATE_SELECTORS for t in block.select(selector)]
    marked += [t for t in block.find_all(True) if DATE_WORDS & _class_words(t)]
    for tag in marked:
        if date := extract_date(tag, fetched_at=page.fetched_at):
            return tag, date
    for text in block.find_all(string=DATE_LIKE):
        parent = text.parent
        if parent is None or _is_hidden(text) or _within(parent, title_tag):
            continue
        # Only the date itself goes to extract_date: "Released May 2, 2024 · 14 changes"
        # is not a date as a whole.
        match = DATE_LIKE.search(str(text))
        shown = page.soup.new_tag("time", string=match.group(0)) if match else None
        if date := extract_date(shown, fetched_at=page.fetched_at):
            return parent, date
    return None, None


def _find_author(block: Tag) -> tuple[Tag | None, str | None]:
    """The byline: rel=author, itemprop=author, p-author, else an author-classed element."""
    candidates = [t for selector in AUTHOR_SELECTORS for t in block.select(selector)]
    for word in AUTHOR_WORDS:
        candidates += [t for t in block.find_all(True) if word in _class_words(t)]
    for tag in candidates:
        if author := _author_text(clean_text(tag)):
            return tag, author
    return None, None


def _author_text(text: str | None) -> str | None:
    """A name, without the "by" in front; None for a bio-length text."""
    if not text:
        return None
    name = AUTHOR_PREFIX.sub("", text).strip()
    return name if name and len(name) <= MAX_AUTHOR else None


def _block_excerpt(block: Tag, page: _Page, title: str, used: list[Tag]) -> str | None:
    """The block's summary element, else its paragraphs that are not title or meta
    (byline, date, tags, "Read more")."""
    summaries = (
        tag
        for tag in block.find_all(True)
        if SUMMARY_WORDS & _class_words(tag) and not any(_within(u, tag) for u in used)
    )
    for tag in summaries:
        if text := clean_excerpt(tag, title=title):
            return text
    parts = [
        text
        for p in block.find_all("p")
        if not _is_meta(p, block, page) and not any(_within(u, p) for u in used)
        if (text := clean_excerpt(p, title=title))
    ]
    return " ".join(parts) or None


def _is_meta(tag: Tag, block: Tag, page: _Page) -> bool:
    """Whether a paragraph is the block's meta (byline, tags, dates, a heading's or
    header's text) rather than its summary."""
    node: Tag | None = tag
    while node is not None and node is not block:
        if node.name in META_TAGS or META_WORDS & _class_words(node):
            return True
        node = node.parent
    return page.in_inner_noise(tag, block)


# --- markup helpers ----------------------------------------------------------------------


def _is_noise(tag: Tag, *, inside: bool) -> bool:
    """``noise.is_noise`` asked about a BeautifulSoup tag."""
    tokens = [*_classes(tag), *_attr(tag, "id").split()]
    return is_noise(tag.name, _attr(tag, "role"), _attr(tag, "aria-label"), tokens, inside=inside)


def _signature(tag: Tag) -> str:
    """A block's shape: its tag and classes, without per-post classes (ids, categories)
    and modifiers (``card--highlight``, ``is-new``) that vary along one list."""
    stable = sorted(c for c in _classes(tag) if _is_stable_class(c))
    return " ".join([tag.name, *stable])


def _is_stable_class(name: str) -> bool:
    varying = ("is-", "has-", "category-", "tag-", "format-", "status-", "type-")
    return not (any(ch.isdigit() for ch in name) or "--" in name or name.startswith(varying))


def _link_of(tag: Tag | None, block: Tag) -> Tag | None:
    """The link a title is: itself, one inside it, or one around it within the block."""
    if tag is None:
        return None
    if tag.name == "a" and tag.has_attr("href"):
        return tag
    inner = tag.find("a", href=True)
    if isinstance(inner, Tag):
        return inner
    node = tag.parent
    while node is not None and node is not block.parent:
        if node.name == "a" and node.has_attr("href"):
            return node
        node = node.parent
    return None


def _outermost(tags: Iterable[Tag]) -> list[Tag]:
    """The tags not inside another of them: a nested item is part of its container."""
    chosen = list(tags)
    ids = {id(tag) for tag in chosen}
    return [tag for tag in chosen if not any(id(a) in ids for a in tag.parents)]


def _self_and_ancestors(tag: Tag) -> Iterator[Tag]:
    yield tag
    yield from tag.parents


def _within(inner: Tag, outer: Tag) -> bool:
    return inner is outer or any(parent is outer for parent in inner.parents)


def _is_hidden(text: NavigableString) -> bool:
    """A comment, or text a reader never sees (a script's, a template's)."""
    if isinstance(text, PreformattedString):
        return True
    return any(parent.name in HIDDEN_TAGS for parent in text.parents)


def _attr(tag: Tag | None, name: str) -> str:
    """An attribute as one string: bs4 gives multi-valued ones (class, rel) as lists."""
    value = tag.get(name) if tag is not None else None
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _classes(tag: Tag) -> list[str]:
    return _attr(tag, "class").split()


def _class_words(tag: Tag) -> set[str]:
    return {w.lower() for c in _classes(tag) for w in CLASS_WORDS.findall(c)}


def _first(tags: Iterable[Tag]) -> Tag | None:
    return next(iter(tags), None)


_Strategy = tuple[str, Callable[[_Page], list[_Found]], int]  # name, finder, minimum
MARKUP_STRATEGIES: tuple[_Strategy, ...] = (
    ("microdata", _microdata, MIN_ITEMS),
    ("h-entry", _h_entries, MIN_ITEMS),
    ("articles", _articles, MIN_ITEMS),
)
SIBLINGS: _Strategy = ("siblings", _siblings, MIN_SIBLINGS)

"""Which link on a listing page leads to its next page; and, where none does, whether
the page still looks paginated, so that a walk says so instead of "end of listing".

Candidates come in tiers, best first, each looked for only when the tiers before it
found nothing (``parse`` keeps the first tier with candidates; the walk takes the first
of those it has not walked). A page with the profile's link or ``rel=next`` therefore
costs one compiled XPath; the pass over the page's links is made only without them.

1. the profile's own ``next`` selectors (it knows the theme);
2. ``rel=next`` on a ``<link>`` or on an ``<a>`` anywhere;
3. a link labelled next or older (``words.NEXT``, in the date parser's languages): by
   its text, or, when the text is a number or an icon (``›``, an ``<svg>``), by its
   ``aria-label``, ``title`` or class;
4. numbered pagination: the number after the current page, which is marked by
   ``aria-current``, an ``active``/``current`` class (on the element or its wrapper),
   or is the one number that is no link;
5. a "Load more" link or button that names the next page's URL (``href`` or a
   ``data-url``-like attribute; a button without one is JavaScript's business).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urldefrag

from lxml import etree  # type: ignore[import-untyped]

from .noise import CLASS_WORDS
from .profile import Profile
from .select import LxmlDocument, LxmlElement, is_lxml, parse_html, select
from .text import clean_text, normalise_text
from .urls import absolute_http_url
from .words import LOAD_MORE, NEXT, PREV, READ_MORE

if TYPE_CHECKING:
    from bs4 import BeautifulSoup

MAX_NEXT_WORDS = 4  # "Next", "Older posts", "Next page »", "Go to next page"
MAX_LABEL = 60  # characters: a longer link is a post's title, not a pager's button
RAW_LIMIT = 200  # characters of raw text (hidden text too) beyond which a link is long
FORWARD = re.compile(r"[»›→⟩❯>\s]+")  # a link that is only a forward arrow
BACKWARD = re.compile(r"[«‹←⟨❮]")
# lobste.rs's "Page 2 >>": a number and a forward arrow.
PAGE_FORWARD = re.compile(r"page\s+\d+\s*[»›→⟩❯>]+", re.IGNORECASE)
NUMBER = re.compile(r"\d{1,5}")
ICON = re.compile(r"[\W_]*")  # no letters or digits: "›", "»", "" (an <svg>, an <i>)
NEXT_CLASS_WORDS = frozenset({"next", "older"})
CURRENT_WORDS = frozenset({"active", "current", "selected"})
WRAPPERS = frozenset({"li", "span", "strong", "em", "b"})  # around a pager's number
LOAD_MORE_CLASS = ({"load", "more"}, {"loadmore"})
# Where a "Load more" button keeps the next page's URL.
DATA_URL_ATTRIBUTES = (
    "data-url",
    "data-href",
    "data-next",
    "data-next-url",
    "data-next-page",
    "data-next-link",
    "data-page-url",
    "data-load-more-url",
    "data-link",
)
# A URL that names a page of a listing: /page/3/, ?page=3, ?paged=3 (not WordPress's ?p=
# post IDs).
PAGE_URL = re.compile(r"(?:^|/)page/\d+/?(?:$|[?#])|[?&](?:page|paged|pg|start|offset)=\d+", re.I)
LINKS = etree.XPath("//a | //button", regexp=False)
REL_NEXT = "link[rel~=next][href], a[rel~=next][href]"


class Link:
    """An ``<a>`` or ``<button>`` of the page, with what the tiers ask of it: its visible
    text (for a long one, only enough to tell it is long), its href, and its absolute
    URL (None for "#", javascript: or a button), worked out on first use. A plain class
    with slots: every link of a page without rel=next is one, so it must be cheap."""

    __slots__ = ("_resolved", "_url", "element", "href", "page_url", "text")

    def __init__(self, element: LxmlElement, page_url: str) -> None:
        self.element = element
        self.page_url = page_url
        href = element.get("href") if element.tag == "a" else None
        self.href: str | None = href if isinstance(href, str) else None
        self.text = _link_text(element)
        self._url: str | None = None
        self._resolved = False

    @property
    def url(self) -> str | None:
        if not self._resolved:
            self._url = absolute_http_url(self.href, self.page_url)
            self._resolved = True
        return self._url

    def words(self) -> set[str]:
        return {w.lower() for w in CLASS_WORDS.findall(str(self.element.get("class") or ""))}


def _link_text(element: LxmlElement) -> str:
    if len(element) == 0:  # no child elements (most links): its text is all there is
        return normalise_text(element.text or "") or ""
    raw = "".join(element.itertext())
    if len(raw) > RAW_LIMIT:
        return raw[: MAX_LABEL + 1]
    return clean_text(element) or ""


class NextLinks:
    """The next-page candidates of one page, tier by tier (see the module's docstring),
    and, where there are none, the links that look like more pages of the listing.
    ``document`` is what the profile's selectors run on; the other tiers read ``tree``
    (the page's lxml tree), or ``document`` when it is one. The pass over the page's
    links is made once, on first need, and shared by the tiers and ``page_links``."""

    def __init__(
        self,
        document: LxmlDocument | BeautifulSoup,
        page_url: str,
        profile: Profile,
        *,
        tree: LxmlDocument | None = None,
    ) -> None:
        self.document = document
        self.page_url = page_url
        self.profile = profile
        self.tree = tree

    @cached_property
    def links(self) -> list[Link]:
        return _links(_lxml(self.document, self.tree), self.page_url)

    def tiers(self) -> Iterator[list[str]]:
        """Each tier's new absolute URLs (maybe none), found only when asked for."""
        document, page_url = self.document, self.page_url
        tiers: list[Callable[[], Iterable[str | None]]] = [
            lambda: _hrefs(tag for s in self.profile.next for tag in select(document, s)),
            lambda: _hrefs(select(_lxml(document, self.tree), REL_NEXT)),
            lambda: (link.url for link in self.links if labelled_next(link) and link.url),
            lambda: numbered_next(self.links, page_url),
            lambda: (load_more_url(link, page_url) for link in self.links),
        ]
        seen: set[str] = set()
        for tier in tiers:
            urls = []
            for found in tier():
                absolute = absolute_http_url(found, page_url)
                if absolute and absolute not in seen:
                    seen.add(absolute)
                    urls.append(absolute)
            yield urls

    def page_links(self) -> tuple[str, ...]:
        """Links that look like other pages of this listing (``pagination_hints``)."""
        return _page_links(self.links, self.page_url)


def next_page_tiers(
    document: LxmlDocument | BeautifulSoup,
    page_url: str,
    profile: Profile,
    *,
    tree: LxmlDocument | None = None,
) -> Iterator[list[str]]:
    """Candidate next-page URLs, tier by tier, best first (``NextLinks.tiers``)."""
    return NextLinks(document, page_url, profile, tree=tree).tiers()


def _hrefs(tags: Iterable[Any]) -> Iterator[str | None]:
    for tag in tags:
        href = tag.get("href")
        yield href if isinstance(href, str) else None


def _lxml(document: LxmlDocument | BeautifulSoup, tree: LxmlDocument | None) -> LxmlDocument:
    if tree is not None:
        return tree
    if is_lxml(document):
        return document
    return parse_html(str(document))[0]  # a page lxml found no document in: none here either


def _links(tree: LxmlDocument | None, page_url: str) -> list[Link]:
    if tree is None or tree.getroot() is None:
        return []
    return [Link(element, page_url) for element in LINKS(tree)]


# --- 3: a link labelled next -------------------------------------------------------------


def says_next(label: str) -> bool:
    """A short label that says "next" or "older" in a language we know, and not
    "previous", "newer" or "read more" ("Weiter lesen"): a post titled "Tips for your
    next event" is no pagination link."""
    if not label or len(label) > MAX_LABEL or len(label.split()) > MAX_NEXT_WORDS:
        return False
    if FORWARD.fullmatch(label) or PAGE_FORWARD.fullmatch(label):
        return True
    return (
        NEXT.found_in(label)
        and not PREV.found_in(label)
        and BACKWARD.search(label) is None
        and READ_MORE.match(label) is None
    )


def labelled_next(link: Link) -> bool:
    """A link whose text says next; or whose text is only a number or an icon while its
    ``aria-label``, ``title`` or class says so (``<a aria-label="Next page">›</a>``)."""
    text = link.text
    if len(text) > MAX_LABEL:
        return False
    if says_next(text):
        return True
    if not (ICON.fullmatch(text) or NUMBER.fullmatch(text)):
        return False
    element = link.element
    for attribute in ("aria-label", "title"):
        if says_next(str(element.get(attribute) or "").strip()):
            return True
    classes = str(element.get("class") or "").lower()
    if text.isdigit() or not any(word in classes for word in NEXT_CLASS_WORDS):
        return False  # (a substring test first: most links' classes say nothing of it)
    return bool(NEXT_CLASS_WORDS & link.words())


# --- 4: numbered pagination ---------------------------------------------------------------


@dataclass(frozen=True)
class PagerItem:
    number: int
    url: str | None
    current: bool


def numbered_next(links: Sequence[Link], page_url: str) -> list[str]:
    """In each numbered pager on the page, the link to the number after the current one."""
    found = []
    for container in _pagers(links):
        items = pager_items(container, page_url)
        following = _after_current(items, page_url)
        if following is not None:
            found.append(following)
    return found


def _pagers(links: Sequence[Link]) -> list[LxmlElement]:
    """The elements holding numbered links (a ``ul``, a ``nav``...), in page order."""
    pagers: dict[int, LxmlElement] = {}
    for link in links:
        if link.href and NUMBER.fullmatch(link.text) and link.url:
            container = _slot(link.element).getparent()
            if container is not None:
                pagers.setdefault(id(container), container)
    return list(pagers.values())


def _slot(element: LxmlElement) -> LxmlElement:
    """The pager's child that holds ``element``: its ``li`` (or span) wrapper, if any."""
    parent = element.getparent()
    while parent is not None and parent.tag in WRAPPERS and len(parent) == 1:
        element, parent = parent, parent.getparent()
    return element


def pager_items(container: LxmlElement, page_url: str) -> list[PagerItem]:
    """The numbers of a pager, in order, each with its link and whether it is marked as
    the current page (a link to the page itself counts as such a mark)."""
    here = urldefrag(page_url).url
    items = []
    for child in container:
        if not isinstance(child.tag, str):
            continue
        text = clean_text(child) or ""
        if not NUMBER.fullmatch(text):
            continue
        link = child if child.tag == "a" else child.find(".//a")
        href = link.get("href") if link is not None else None
        url = absolute_http_url(href, page_url)
        marked = _marked_current(child) or (link is not None and _marked_current(link))
        current = marked or url is None or urldefrag(url).url == here
        items.append(PagerItem(int(text), url, current))
    return items


def _marked_current(element: LxmlElement) -> bool:
    if element.get("aria-current") not in (None, "false"):
        return True
    classes = {w.lower() for w in CLASS_WORDS.findall(str(element.get("class") or ""))}
    if CURRENT_WORDS & classes:
        return True
    inner = element.find("*")
    return inner is not None and inner.tag != "a" and _marked_current(inner)


def _after_current(items: Sequence[PagerItem], page_url: str) -> str | None:
    """The link to the number after the current page's: only in a pager that reads as
    one (a single current page; a calendar's days without posts are many non-links),
    and only to the number right after it."""
    current = [item.number for item in items if item.current]
    if len(current) > 1 or len(items) < 2:
        return None
    if current:
        number = current[0]
    elif (from_url := page_number(page_url)) is not None:
        number = from_url
    elif min(item.number for item in items) == 2:  # page 1 is not shown among them
        number = 1
    else:
        return None
    return next((i.url for i in items if i.number == number + 1 and i.url), None)


def page_number(url: str) -> int | None:
    """The page number a URL names (/page/3/, ?page=3), or None."""
    match = PAGE_URL.search(url)
    return int(re.sub(r"\D", "", match.group())) if match else None


# --- 5: load more -------------------------------------------------------------------------


def load_more_url(link: Link, page_url: str) -> str | None:
    """The next page a "Load more" link or button names, or None."""
    if not (LOAD_MORE.is_label(link.text) or _load_more_class(link)):
        return None
    for attribute in DATA_URL_ATTRIBUTES:
        value = str(link.element.get(attribute) or "").strip()
        if ("/" in value or "?" in value) and absolute_http_url(value, page_url):
            return value
    return link.url


def _load_more_class(link: Link) -> bool:
    if "more" not in str(link.element.get("class") or "").lower():  # most links: no look
        return False
    words = link.words()
    return any(part <= words for part in LOAD_MORE_CLASS)


# --- when there is none -------------------------------------------------------------------


def pagination_hints(tree: LxmlDocument | None, page_url: str) -> tuple[str, ...]:
    """Links that look like other pages of this listing (/page/3/, ?page=3, a pager's
    numbers), besides the page itself: on a page where no next link was found, the
    walk reports such a page as paginated in a way it did not recognise, unless every
    one of them was walked already (the last page of a listing links back)."""
    return _page_links(_links(tree, page_url), page_url)


def _page_links(links: Sequence[Link], page_url: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for link in links:
        if link.href and PAGE_URL.search(link.href) and link.url:
            found[urldefrag(link.url).url] = None
    for container in _pagers(links):
        items = pager_items(container, page_url)
        if len(items) > 1:
            found.update((urldefrag(i.url).url, None) for i in items if i.url)
    found.pop(urldefrag(page_url).url, None)
    here = _page_number(page_url) or 1
    return tuple(url for url in found if (_page_number(url) or here + 1) > here)


PAGE_NUMBER = re.compile(r"(?:^|/)page/(\d+)/?(?:$|[?#])|[?&](?:page|paged|pg)=(\d+)", re.I)


def _page_number(url: str) -> int | None:
    """The page number a listing URL carries (/page/3/, ?page=3), None where it has
    none. Links to lower numbers are no sign of more pages: a listing's last page links
    back (to /page/3/ from /page/4/), and a walk may start anywhere."""
    found = PAGE_NUMBER.search(url)
    return int(found.group(1) or found.group(2)) if found else None


def why_no_next_link(html: str, page_url: str, profile: Profile | None = None) -> str:
    """Why no next page was found on a listing page, in a sentence for a person (what
    ``probe --explain`` shows): what was looked for, and what the page links to that
    looks like more pages of the listing."""
    tree, _ = parse_html(html)
    selectors = " or ".join(repr(selector) for selector in profile.next) if profile else ""
    own = f"nothing matches the profile's next selector {selectors}; " if selectors else ""
    looked = (
        f"no next link: {own}no rel=next, no link reading as next or older, no number after"
        " the current page in a numbered pager, no load-more link"
    )
    hints = pagination_hints(tree, page_url)
    if not hints:
        return f"{looked}; nothing on the page looks like another page of the listing"
    return (
        f"{looked}; but the page links to {len(hints)} page(s) that look like more of the"
        f" listing (first: {hints[0]}): give the source a `next` selector for its link"
    )

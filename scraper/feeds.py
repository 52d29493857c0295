"""A site's own feed, read as labels for learning its listing's selectors.

The feed says which posts the listing shows and what their title, date, author and
summary are; ``scraper.learn`` finds the page elements that show those values and
generalises them to selectors. Values are never copied from the feed into entries: feeds
are often in UTC, truncated, or hold full bodies, and they cover only the newest posts.

Parsing is feedparser's (every RSS and Atom dialect, and its sanitising of summaries);
discovery follows ``<link rel="alternate">`` first, then the paths engines use.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import urljoin, urlsplit

from .select import LxmlDocument, parse_html, select
from .text import lxml_visible_strings, normalise_text

FEED_TYPES = re.compile(r"(rss|atom|feed)\+xml|/feed\+json", re.IGNORECASE)
# Where engines put a feed when the page does not link one: beside the listing, then at
# the site's root. Tried in order until one parses, at most this many requests.
USUAL_PATHS = ("rss.xml", "atom.xml", "index.xml", "feed.xml", "feed/", "/feed.xml", "/feed/")
MAX_TRIES = 4


@dataclass(frozen=True)
class FeedItem:
    """One feed entry as labels: the values the listing should show for its post."""

    key: str  # url_key() of its link
    title: str | None
    day: date | None  # the published (else updated) day, in the feed's time zone
    authors: tuple[str, ...]
    summary: str | None  # visible text of the summary (or content), whitespace collapsed


def url_key(url: str) -> str:
    """What a listing link and a feed link of one post agree on: the path (without a
    trailing slash or ``index.html``) and query, whatever the scheme, host or fragment
    (feeds mix ``www.`` and bare hosts, http and https, and tests serve over loopback)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # a host urllib refuses ("http://[x/"): a key of its own
        return url
    path = re.sub(r"/index\.html?$", "/", parts.path).rstrip("/")
    return f"{path}?{parts.query}" if parts.query else path


def feed_urls(document: LxmlDocument, page_url: str) -> Iterator[str]:
    """Feeds the page links, then the usual places, each once, at most ``MAX_TRIES``."""
    seen: list[str] = []
    linked = [
        str(link.get("href"))
        for link in select(document, "link[rel~=alternate][href][type]")
        if FEED_TYPES.search(str(link.get("type")))
    ]
    base = page_url if page_url.endswith("/") else page_url.rsplit("/", 1)[0] + "/"
    for href in (*linked, *USUAL_PATHS):
        url = urljoin(base if not href.startswith("/") else page_url, href)
        if url not in seen and urlsplit(url).scheme in ("http", "https"):
            seen.append(url)
            yield url
        if len(seen) >= MAX_TRIES:
            return


def read_feed(text: str) -> tuple[FeedItem, ...]:
    """The items of a feed document; none for text that is not a feed."""
    import feedparser  # type: ignore[import-untyped]  # only on first contact with a source

    parsed = feedparser.parse(text)
    items = []
    for entry in parsed.entries:
        link = entry.get("link")
        if not isinstance(link, str) or not link:
            continue
        items.append(
            FeedItem(
                key=url_key(link),
                title=normalise_text(_visible(entry.get("title", ""))),
                day=_day(entry.get("published_parsed") or entry.get("updated_parsed")),
                authors=_authors(entry),
                summary=_summary(entry),
            )
        )
    return tuple(items)


def discover(
    document: LxmlDocument, page_url: str, fetch: Callable[[str], str | None]
) -> tuple[FeedItem, ...]:
    """The first feed found for the page that has items; ``fetch`` returns a URL's text,
    or None when it cannot be had (an error status, a network failure)."""
    for url in feed_urls(document, page_url):
        text = fetch(url)
        if text and (items := read_feed(text)):
            return items
    return ()


def _visible(markup: str) -> str:
    if "<" not in markup and "&" not in markup:
        return markup
    tree, _ = parse_html(f"<div>{markup}</div>")
    if tree is None:
        return markup
    return "".join(lxml_visible_strings(tree.getroot()))


def _summary(entry: dict[str, object]) -> str | None:
    summary = entry.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        content = entry.get("content")
        if isinstance(content, list) and content and isinstance(content[0], dict):
            summary = content[0].get("value")
    return normalise_text(_visible(summary)) if isinstance(summary, str) else None


def _authors(entry: dict[str, object]) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors") or []:  # type: ignore[attr-defined]
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            names.append(author["name"])
    if not names and isinstance(entry.get("author"), str):
        names.append(str(entry["author"]))
    return tuple(n for name in names if (n := normalise_text(_visible(name))))


def _day(parsed: object) -> date | None:
    try:
        year, month, day = parsed[:3]  # type: ignore[index]
        return date(year, month, day)
    except (TypeError, ValueError):
        return None

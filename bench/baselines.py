"""The in-process baselines: the least code that does the same job without the tool.

``lxml_parse`` reads the fields ``parse_page`` reads from a PaperMod page, with lxml's
own XPath and nothing else: what a hand-written scraper would do. ``raw_store`` writes
a page's posts with one ``executemany`` and one commit, into a plain table: what a
hand-written archiver would do. They set the floor our per-page costs are compared
with; the gap is the price of what the tool adds (detection, visible-text rules, date
parsing, content hashing, versions, sightings, full-text index, run counters).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from urllib.parse import urljoin

import lxml.html

from listing_archiver.scraper.records import Entry

_ARTICLES = (
    "//main//article[contains(concat(' ', normalize-space(@class), ' '), ' post-entry ')"
    " and not(contains(concat(' ', normalize-space(@class), ' '), ' first-entry '))"
    " and not(contains(concat(' ', normalize-space(@class), ' '), ' home-info '))]"
)
_TITLE = "string(.//header[contains(@class, 'entry-header')]//h2)"
_HREF = ".//a[contains(concat(' ', normalize-space(@class), ' '), ' entry-link ')]/@href"
_DATE = ".//footer[contains(@class, 'entry-footer')]/span[@title]/@title"
_AUTHOR = ".//footer[contains(@class, 'entry-footer')]/span[not(@title)][last()]"
_EXCERPT = "string(.//div[contains(@class, 'entry-content')])"
_NEXT = "//nav[contains(@class, 'pagination')]//a[contains(@class, 'next')]/@href"


def _collapse(text: str) -> str | None:
    return " ".join(text.split()) or None


def lxml_parse(html: str, url: str) -> tuple[list[Entry], str | None]:
    """The page's entries and next-page URL, by raw lxml XPath."""
    doc = lxml.html.fromstring(html)
    entries = []
    for article in doc.xpath(_ARTICLES):
        href = article.xpath(_HREF)
        date = article.xpath(_DATE)
        author = article.xpath(_AUTHOR)
        entries.append(
            Entry(
                title=_collapse(article.xpath(_TITLE)),
                url=urljoin(url, href[0].strip()) if href else None,
                date=str(date[0])[:10] if date else None,
                author=_collapse(author[-1].text_content()) if author else None,
                excerpt=_collapse(article.xpath(_EXCERPT)),
            )
        )
    next_href = doc.xpath(_NEXT)
    return entries, urljoin(url, next_href[0]) if next_href else None


RAW_SCHEMA = """
create table posts (
    url text primary key,
    title text, date text, author text, excerpt text,
    page_url text, page_number integer, position integer
)
"""
RAW_INSERT = "insert or ignore into posts values (?, ?, ?, ?, ?, ?, ?, ?)"


def raw_open(path: str) -> sqlite3.Connection:
    """A plain SQLite file in WAL mode, default synchronous: the archive's durability."""
    db = sqlite3.connect(path)
    db.execute("pragma journal_mode = wal")
    db.execute(RAW_SCHEMA)
    db.commit()
    return db


def raw_store(
    db: sqlite3.Connection, entries: Sequence[Entry], page_url: str, page_number: int
) -> None:
    """One page: one ``executemany``, one commit."""
    db.executemany(
        RAW_INSERT,
        [
            (e.url, e.title, e.date, e.author, e.excerpt, page_url, page_number, position)
            for position, e in enumerate(entries, 1)
        ],
    )
    db.commit()

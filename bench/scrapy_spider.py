"""The baseline: a minimal, idiomatic Scrapy spider doing what ``listing-archiver scrape``
does on a PaperMod listing, so the race measures the tools and not the job.

Run it as a user would::

    scrapy runspider bench/scrapy_spider.py -a start_url=http://127.0.0.1:PORT/ -a db=out.db

It reads the same fields with Scrapy selectors (title, URL, the date from the footer's
``title`` attribute, author, excerpt text), follows ``a.next``, and yields one item per
page holding that page's posts, which the pipeline writes with one ``executemany`` and
one commit: the same durability as ours (each page committed before the next is
fetched, WAL mode, SQLite's default synchronous setting). Settings are Scrapy's
defaults except what a fair race needs: no robots.txt, no delay, no AutoThrottle, no
cookies, no HTTP cache, no telnet console, errors-only logging.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response

SCHEMA = """
create table if not exists posts (
    url text primary key,
    title text, date text, author text, excerpt text,
    page_url text, position integer
)
"""
INSERT = (
    "insert or ignore into posts (url, title, date, author, excerpt, page_url, position)"
    " values (:url, :title, :date, :author, :excerpt, :page_url, :position)"
)


def _text(parts: list[str]) -> str | None:
    """Visible text with whitespace collapsed, as the listing shows it."""
    return " ".join(" ".join(parts).split()) or None


class SqlitePipeline:
    """One ``executemany`` and one commit per page item."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db: sqlite3.Connection | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SqlitePipeline:
        return cls(crawler)

    def open_spider(self, spider: scrapy.Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.db = sqlite3.connect(getattr(spider, "db_path", "scrapy.db"))
        self.db.execute("pragma journal_mode = wal")
        self.db.execute(SCHEMA)
        self.db.commit()

    def close_spider(self, spider: scrapy.Spider | None = None) -> None:
        if self.db is not None:
            self.db.close()

    def process_item(self, item: dict[str, Any], spider: scrapy.Spider | None = None) -> Any:
        assert self.db is not None
        self.db.executemany(INSERT, item["posts"])
        self.db.commit()
        return item


class ListingSpider(scrapy.Spider):
    name = "listing"
    custom_settings = {  # noqa: RUF012 (Scrapy's documented way to set these)
        "ROBOTSTXT_OBEY": False,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "ITEM_PIPELINES": {SqlitePipeline: 300},
    }

    def __init__(self, start_url: str, db: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.start_urls = [start_url]
        self.db_path = db

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        posts = []
        entries = response.css("main article.post-entry:not(.first-entry):not(.home-info)")
        for position, entry in enumerate(entries, 1):
            href = entry.css("a.entry-link::attr(href)").get()
            date = entry.css(".entry-footer span[title]::attr(title)").get()
            authors = entry.css(".entry-footer > span:not([title])")
            posts.append(
                {
                    "title": _text(entry.css(".entry-header h2 ::text").getall()),
                    "url": response.urljoin(href) if href else None,
                    "date": date[:10] if date else None,
                    "author": _text(authors[-1].css("::text").getall()) if authors else None,
                    "excerpt": _text(entry.css(".entry-content ::text").getall()),
                    "page_url": response.url,
                    "position": position,
                }
            )
        yield {"page_url": response.url, "posts": posts}
        next_page = response.css("nav.pagination a.next::attr(href)").get()
        if next_page:
            yield response.follow(next_page, callback=self.parse)

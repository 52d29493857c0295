"""``listing-archiver probe``: what the tool would archive from one page, before a run.

Fetches one page (politely, robots.txt obeyed), parses it exactly as a run would, and
shows the profile that matched, the entries and the fields it could not find. Nothing
is written anywhere.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from rich.console import Console
from rich.table import Table

from scraper.fetch import Fetcher, FetchSettings
from scraper.parse import ParsedPage, parse_page
from scraper.profile import Profile
from scraper.records import ENTRY_FIELDS
from scraper.robots import RobotsCache

FIELDS = ENTRY_FIELDS
EXCERPT_START = 60  # characters of the excerpt shown in the table


def probe(
    url: str,
    *,
    profile: Profile | None = None,
    obey_robots: bool = True,
    settings: FetchSettings | None = None,
) -> ParsedPage:
    """Fetch and parse ``url`` as a run's first page would be; raises ``ScraperError``."""
    fetcher = Fetcher(settings or FetchSettings(delay=0))
    try:
        if obey_robots:
            RobotsCache(fetcher).check(url, fetcher.settings.user_agent)
        page = fetcher.get(url)
        return parse_page(page.text, page.url, profile, fetched_at=datetime.now(UTC))
    finally:
        fetcher.close()


def as_json(parsed: ParsedPage) -> str:
    return json.dumps([asdict(entry) for entry in parsed.entries], ensure_ascii=False, indent=2)


def missing_fields(parsed: ParsedPage) -> dict[str, int]:
    """Per field, how many entries lack it (only fields missing somewhere)."""
    counts = {f: sum(1 for e in parsed.entries if not getattr(e, f)) for f in FIELDS}
    return {field: count for field, count in counts.items() if count}


def show(parsed: ParsedPage, console: Console) -> None:
    count = len(parsed.entries)
    console.print(f"Profile: {parsed.profile}   Entries: {count}")
    table = Table(show_lines=False)
    for column in ("#", "title", "date", "author", "excerpt", "url"):
        table.add_column(column, overflow="fold")
    for number, entry in enumerate(parsed.entries, 1):
        excerpt = entry.excerpt or ""
        if len(excerpt) > EXCERPT_START:
            excerpt = excerpt[:EXCERPT_START].rstrip() + "…"
        table.add_row(
            str(number),
            entry.title or "—",
            entry.date or "—",
            entry.author or "—",
            excerpt or "—",
            entry.url or "—",
        )
    console.print(table)
    missing = missing_fields(parsed)
    console.print(
        "Missing: " + ", ".join(f"{f} on {n} of {count}" for f, n in missing.items())
        if missing
        else "Missing: none: every entry has every field."
    )
    if parsed.next_urls:
        console.print(f"Next page: {parsed.next_urls[0]}")

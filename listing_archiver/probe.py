"""``listing-archiver probe``: what the tool would archive from a listing, before a run.

Fetches the first page (politely, robots.txt obeyed), or the first N pages as a walk
reads them (``--pages``: what was learned on page 1 reads the pages after it), parses
them exactly as a run would, and shows the profile that read them, the entries and
the fields it could not find; ``--explain`` adds, per field, where its selector came
from (built-in profile, learned from the feed, the column heuristics, structured data)
and the selectors used; ``--save-profile`` writes that profile as a TOML file a user
can edit and pass back. Nothing is written to any archive.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from listing_archiver.scraper.errors import ScraperError
from listing_archiver.scraper.fetch import Fetcher, FetchSettings
from listing_archiver.scraper.paginate import Walk
from listing_archiver.scraper.parse import ParsedPage
from listing_archiver.scraper.profile import SELECTOR_FIELDS, Profile, profile_toml
from listing_archiver.scraper.records import ENTRY_FIELDS, Entry
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import redact

FIELDS = ENTRY_FIELDS
EXCERPT_START = 60  # characters of the excerpt shown in the table


@dataclass(frozen=True)
class Probe:
    """What a walk of the first pages read: per page, its number, URL and entries; the
    profile that read them (None for the generic extractor) and, per field, where its
    selector came from."""

    pages: tuple[tuple[int, str, tuple[Entry, ...]], ...]
    profile_name: str
    profile: Profile | None
    evidence: dict[str, str]
    next_url: str | None

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for _, _, entries in self.pages for e in entries)


def probe(
    url: str,
    *,
    profile: Profile | None = None,
    pages: int = 1,
    obey_robots: bool = True,
    settings: FetchSettings | None = None,
) -> Probe:
    """Walk the first ``pages`` pages of ``url`` as a run would; raises ``ScraperError``."""
    fetcher = Fetcher(settings or FetchSettings(delay=0))
    try:
        allow = None
        if obey_robots:
            robots = RobotsCache(fetcher)

            def allow(link: str) -> None:
                robots.check(link, fetcher.settings.user_agent)

        walk = Walk(url, fetcher, profile=profile, max_pages=pages, allow=allow)
        read = [(p.number, p.url, p.entries, p.profile, p.next_url) for p in walk]
    finally:
        fetcher.close()
    if not read:  # the walk ended before its first page: nothing to show
        raise ScraperError(
            f"{redact(url)}: no page was read (the walk stopped: {walk.stop_reason})"
        )
    used = walk.reader.profile
    evidence = walk.reader.evidence or dict.fromkeys(FIELDS, "given profile")
    return Probe(
        pages=tuple((n, u, e) for n, u, e, _, _ in read),
        profile_name=read[0][3] or "",
        profile=used,
        evidence=dict(evidence),
        next_url=read[-1][4],
    )


def as_json(result: Probe, *, numbered: bool = False) -> str:
    """The entries as a JSON array; each gains its ``page`` when ``numbered``."""
    rows = [
        {**asdict(e), **({"page": n} if numbered else {})}
        for n, _, entries in result.pages
        for e in entries
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2)


def explanation(result: Probe) -> dict[str, Any]:
    """Per field, where its selector came from and the selectors the profile tries."""
    fields: dict[str, Any] = {}
    for field in ("item", *FIELDS):
        selectors: list[str] = []
        if result.profile is not None and field in SELECTOR_FIELDS:
            value = getattr(result.profile, field)
            selectors = [value] if isinstance(value, str) else list(value)
        fields[field] = {"from": _origin(result.evidence.get(field)), "selectors": selectors}
    return {"profile": result.profile_name, "fields": fields}


def as_explained_json(result: Probe, *, numbered: bool) -> str:
    return json.dumps(
        {**explanation(result), "entries": json.loads(as_json(result, numbered=numbered))},
        ensure_ascii=False,
        indent=2,
    )


def save_profile(result: Probe, path: Path) -> None:
    """Write the profile that read page 1 as an editable TOML profile file."""
    if result.profile is None:
        raise ValueError(
            f"page 1 was read by the generic extractor ({result.profile_name}): no profile to save"
        )
    path.write_text(profile_toml(result.profile), encoding="utf-8")


def _origin(evidence: str | None) -> str:
    return {
        "feed": "learned from the feed",
        "columns": "column heuristic",
        "built-in profile": "built-in profile",
        "structured data": "structured data",
        "generic": "generic extractor",
        "given profile": "given profile",
    }.get(evidence or "", evidence or "not found")


def missing_fields(parsed: ParsedPage | Probe) -> dict[str, int]:
    """Per field, how many entries lack it (only fields missing somewhere)."""
    counts = {f: sum(1 for e in parsed.entries if not getattr(e, f)) for f in FIELDS}
    return {field: count for field, count in counts.items() if count}


def show(result: Probe, console: Console, *, explain: bool = False) -> None:
    entries = result.entries
    count = len(entries)
    many = len(result.pages) > 1
    pages = f"   Pages: {len(result.pages)}" if many else ""
    console.print(f"Profile: {result.profile_name}   Entries: {count}{pages}")
    table = Table(show_lines=False)
    columns = ("#", *(("page",) if many else ()), "title", "date", "author", "excerpt", "url")
    for column in columns:
        table.add_column(column, overflow="fold")
    number = 0
    for page_number, _, page_entries in result.pages:
        for entry in page_entries:
            number += 1
            excerpt = entry.excerpt or ""
            if len(excerpt) > EXCERPT_START:
                excerpt = excerpt[:EXCERPT_START].rstrip() + "…"
            cells = [entry.title or "—", entry.date or "—", entry.author or "—"]
            cells += [excerpt or "—", entry.url or "—"]
            table.add_row(str(number), *((str(page_number),) if many else ()), *cells)
    console.print(table)
    missing = missing_fields(result)
    console.print(
        "Missing: " + ", ".join(f"{f} on {n} of {count}" for f, n in missing.items())
        if missing
        else "Missing: none: every entry has every field."
    )
    if explain:
        _show_explanation(result, console)
    if result.next_url:
        console.print(f"Next page: {result.next_url}")


def _show_explanation(result: Probe, console: Console) -> None:
    table = Table(title="Where each field comes from", show_lines=False)
    for column in ("field", "from", "selectors"):
        table.add_column(column, overflow="fold")
    for field, info in explanation(result)["fields"].items():
        table.add_row(field, info["from"], "  |  ".join(info["selectors"]) or "—")
    console.print(table)

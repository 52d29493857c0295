"""``listing-archiver probe``: what the tool would archive from a listing, before a run.

Fetches the first page (politely, robots.txt obeyed), or the first N pages as a walk
reads them (``--pages``: what was learned on page 1 reads the pages after it), parses
them exactly as a run would, and shows the profile that read them, the entries and
the fields it could not find; ``--explain`` adds, per field, where its selector came
from (built-in profile, learned from the feed, the column heuristics, structured data)
and the selectors used; ``--save-profile`` writes that profile as a TOML file a user
can edit and pass back. Nothing is written to any archive.

``probe_source`` tries one source of a sources file as ``run`` would (its URL, profile,
selectors, hosts, delay, user agent and timeout): the workbench for a source's config.
Both say why the profile that read the pages was chosen, and why there is no next page
when there is none, so a user can act on what they see without guessing.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from listing_archiver.scraper.errors import ScraperError
from listing_archiver.scraper.fetch import FetchedPage, Fetcher, FetchSettings
from listing_archiver.scraper.next_reason import no_next_reason
from listing_archiver.scraper.nextpage import why_no_next_link
from listing_archiver.scraper.paginate import LOOP, ROBOTS, ListingPage, Walk
from listing_archiver.scraper.parse import ParsedPage
from listing_archiver.scraper.profile import (
    SELECTOR_FIELDS,
    Profile,
    profile_toml,
    resolve_profile,
)
from listing_archiver.scraper.records import ENTRY_FIELDS, Entry
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import redact

from .job import allowed_hosts, fetch_settings
from .sources import Source

FIELDS = ENTRY_FIELDS
EXCERPT_START = 60  # characters of the excerpt shown in the table


@dataclass(frozen=True)
class Probe:
    """What a walk of the first pages read: per page, its number, URL and entries; the
    profile that read them (None for the generic extractor), why it was chosen and, per
    field, where its selector came from; the next page, and a note on it (why there is
    none, or why the walk would stop there all the same)."""

    pages: tuple[tuple[int, str, tuple[Entry, ...]], ...]
    profile_name: str
    profile: Profile | None
    evidence: dict[str, str]
    next_url: str | None
    chosen: str = ""
    next_note: str | None = None

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
    overrides: Mapping[str, str] | None = None,
    hosts: Collection[str] | None = None,
    given_by: str = "given with --profile",
) -> Probe:
    """Walk the first ``pages`` pages of ``url`` as a run would; raises ``ScraperError``.
    ``overrides`` and ``hosts`` are a source's own selectors and other hosts; ``given_by``
    says where ``profile`` came from."""
    fetcher = _PageKeeper(settings or FetchSettings(delay=0))
    try:
        allow = None
        if obey_robots:
            robots = RobotsCache(fetcher)

            def allow(link: str) -> None:
                robots.check(link, fetcher.settings.user_agent)

        walk = Walk(
            url,
            fetcher,
            profile=profile,
            max_pages=pages,
            allow=allow,
            overrides=overrides,
            hosts=hosts,
        )
        read = list(walk)
    finally:
        fetcher.close()
    if not read:  # the walk ended before its first page: nothing to show
        raise ScraperError(
            f"{redact(url)}: no page was read (the walk stopped: {walk.stop_reason})"
        )
    return Probe(
        pages=tuple((p.number, p.url, p.entries) for p in read),
        profile_name=read[0].profile or "",
        profile=walk.reader.profile,
        evidence=_evidence(walk, profile, overrides or {}),
        next_url=read[-1].next_url,
        chosen=_chosen(walk, profile, overrides or {}, given_by),
        next_note=_next_note(walk, fetcher, read),
    )


def probe_source(
    source: Source, *, pages: int = 1, obey_robots: bool = True, profile: str | None = None
) -> Probe:
    """``source`` tried as ``run`` walks it: its URL, profile (or ``profile``, given on
    the command line, in its place), selectors, hosts, delay, user agent and timeout,
    for at most its ``max_pages``. Its learned profile, kept in an archive, is not read:
    one is learned afresh, as on the source's first run."""
    spec = profile or source.profile
    given_by = "given with --profile" if profile else f"the source's profile = {spec!r}"
    return probe(
        source.url,
        profile=resolve_profile(spec) if spec else None,
        pages=min(pages, source.max_pages or pages),
        obey_robots=obey_robots,
        settings=fetch_settings(source),
        overrides=source.selectors or None,
        hosts=allowed_hosts(source),
        given_by=given_by,
    )


class _PageKeeper(Fetcher):
    """A fetcher that keeps the text of each HTML page it fetched, by final URL: the
    probe reads the last one again to tell why it led to no next page."""

    def __init__(self, settings: FetchSettings) -> None:
        super().__init__(settings)
        self.texts: dict[str, str] = {}

    def get(
        self, url: str, headers: Mapping[str, str] | None = None, *, accept_any: bool = False
    ) -> FetchedPage:
        page = super().get(url, headers, accept_any=accept_any)
        if not accept_any:  # a listing page, not robots.txt or a feed
            self.texts[page.url] = page.text
        return page


def _evidence(walk: Walk, given: Profile | None, overrides: Mapping[str, str]) -> dict[str, str]:
    """Per field, where its selector came from: what page 1's choice recorded, else the
    given or detected profile, with the source's own selectors first."""
    if walk.reader.evidence:
        return dict(walk.reader.evidence)
    used = walk.reader.profile
    base = "given profile" if given is not None else "built-in profile"
    if used is not None and used.name == "custom":  # the source's selectors alone
        return {
            f: "sources file" if f in overrides else "default" if getattr(used, f) else "not found"
            for f in ("item", *FIELDS)
        }
    return {f: "sources file" if f in overrides else base for f in ("item", *FIELDS)}


def _chosen(walk: Walk, given: Profile | None, overrides: Mapping[str, str], given_by: str) -> str:
    """Why the profile that read page 1 was chosen, in words."""
    used = walk.reader.profile
    own = f"the source's own selectors ({', '.join(overrides)})"
    if given is not None:
        return f"{given_by}, {own} put first" if overrides else given_by
    if overrides and used is not None and used.name != "custom":
        base = used.name.removesuffix("+custom")
        return f"{own} put before the built-in profile {base!r}, detected on the page"
    if overrides:
        return f"{own}: no built-in profile matches the page"
    return walk.reader.why


def _next_note(walk: Walk, fetcher: _PageKeeper, read: list[ListingPage]) -> str | None:
    """Why the last page read leads to no next page; or why the walk would stop at the
    one it leads to; None when it simply goes on."""
    last = read[-1]
    if last.next_url is not None:
        if walk.stop_reason == ROBOTS:
            return "robots.txt forbids it: a walk stops before it"
        if walk.stop_reason == LOOP:
            return "it redirects to a page already read: a walk stops there"
        return None
    text = fetcher.texts.get(last.url)
    if text is None:  # not a page this fetcher read: nothing more to say than the walk's
        return f"the walk stopped: {walk.stop_reason}"
    candidates = walk.reader.read(text, last.url).next_urls  # as the walk saw them
    if not candidates:
        return why_no_next_link(text, last.url, walk.reader.profile)
    walked = [url for p in read for url in (p.url, p.requested_url)]
    return no_next_reason(candidates, walk.hosts, walked)


def as_json(result: Probe, *, numbered: bool = False) -> str:
    """The entries as a JSON array; each gains its ``page`` when ``numbered``."""
    rows = [
        {**asdict(e), **({"page": n} if numbered else {})}
        for n, _, entries in result.pages
        for e in entries
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2)


def explanation(result: Probe) -> dict[str, Any]:
    """The profile and why it was chosen; per field, where its selector came from and
    the selectors the profile tries; the next page, or why there is none."""
    fields: dict[str, Any] = {}
    for field in ("item", *FIELDS):
        selectors: list[str] = []
        if result.profile is not None and field in SELECTOR_FIELDS:
            value = getattr(result.profile, field)
            selectors = [value] if isinstance(value, str) else list(value)
        fields[field] = {"from": _origin(result.evidence.get(field)), "selectors": selectors}
    return {
        "profile": result.profile_name,
        "profile_reason": result.chosen,
        "fields": fields,
        "next": {"url": result.next_url, "reason": result.next_note},
    }


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
        "sources file": "the source's selectors",
        "default": "default (the first link)",
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
    console.print(f"Profile: {result.profile_name}   Entries: {count}{pages}", markup=False)
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
            values = (entry.title, entry.date, entry.author, excerpt, entry.url)
            cells = [escape(value) if value else "—" for value in values]  # "[/b]" is no markup
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
    note = f" ({result.next_note})" if result.next_note else ""
    console.print(f"Next page: {result.next_url or 'none'}{note}", markup=False, soft_wrap=True)


def _show_explanation(result: Probe, console: Console) -> None:
    console.print(f"Why this profile: {result.chosen}", markup=False, soft_wrap=True)
    table = Table(title="Where each field comes from", show_lines=False)
    for column in ("field", "from", "selectors"):
        table.add_column(column, overflow="fold")
    for field, info in explanation(result)["fields"].items():
        selectors = escape("  |  ".join(info["selectors"]))  # a[href] is no markup
        table.add_row(field, info["from"], selectors or "—")
    console.print(table)

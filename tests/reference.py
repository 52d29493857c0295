"""Extraction accuracy on real pages nobody here wrote: ``../shared/reference/engines/``.

Scored with that folder's README rules, as ``probe --json`` would read each page, page 2
parsed the way a walk parses it (with what page 1 decided, the site's feed read from
the folder where page 1 links one):

- entries are matched by normalised title (NFKC, case folded, only letters and digits
  kept), each found entry used once; per page precision, recall and F1;
- on matched entries: URL (the truth's href resolved against the page URL), date, author
  (only where the truth shows one) and excerpt (equal after collapsing whitespace and
  dropping trailing ellipses, or a close match: a similarity ratio of at least
  ``CLOSE``; a listing that shows the whole post is compared on the truth's first 300
  characters);
- a site's figure is the mean of its pages; the macro average is the mean over all
  pages (pages where nothing matched have no field figures).

The folder is never copied into the project: without it the set is skipped with a note.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any
from urllib.parse import urljoin, urlsplit

from listing_archiver.scraper.errors import ScraperError
from listing_archiver.scraper.reader import ListingReader
from listing_archiver.scraper.records import Entry

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "engines"
FLOORS = Path(__file__).resolve().parents[1] / "fixtures" / "reference-floors.json"
FIGURES = ("f1", "url", "date", "author", "excerpt")
CLOSE = 0.9  # difflib ratio at which two excerpts read as the same summary
ELLIPSIS = re.compile(r"(\s*(\.\.\.|…|\[…\]|\[\.\.\.\]))+$")


@dataclass(frozen=True)
class PageScore:
    site: str
    page: int
    profile: str
    found: int
    expected: int
    matched: int
    fields: dict[str, tuple[int, int]]  # field: (right, scored)

    @property
    def f1(self) -> float:
        if not self.found or not self.expected:
            return 0.0
        precision, recall = self.matched / self.found, self.matched / self.expected
        return 0.0 if not self.matched else 2 * precision * recall / (precision + recall)

    def share(self, field: str) -> float | None:
        right, scored = self.fields[field]
        return right / scored if scored else None


@dataclass(frozen=True)
class SiteScore:
    site: str
    profiles: str
    pages: tuple[PageScore, ...]

    def figure(self, name: str) -> float | None:
        values = [p.f1 if name == "f1" else p.share(name) for p in self.pages]
        known = [v for v in values if v is not None]
        return mean(known) if known else None


def available() -> bool:
    return REFERENCE.is_dir()


def site_dirs() -> list[Path]:
    return sorted(d for d in REFERENCE.iterdir() if (d / "truth.json").is_file())


def page_urls(site: Path) -> list[tuple[Path, str]]:
    """Each ``pageN.html`` with the original URL it was served at (its path under
    ``site/`` found by equal bytes; ``index.html`` is the directory's URL)."""
    origin = json.loads((site / "origin.json").read_text("utf-8"))["origin"]
    by_bytes = {p.read_bytes(): p for p in (site / "site").rglob("*.html")}
    pages = []
    for copy in sorted(site.glob("page*.html")):
        served = by_bytes[copy.read_bytes()].relative_to(site / "site").as_posix()
        path = served[: -len("index.html")] if served.endswith("index.html") else served
        pages.append((copy, f"{origin}/{path}"))
    return pages


def local_feed(site: Path) -> Callable[[str], str | None]:
    """A fetch for the site's own files: what a feed URL on the site's origin serves."""
    origin = json.loads((site / "origin.json").read_text("utf-8"))["origin"]

    def fetch(url: str) -> str | None:
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            return None
        path = (site / "site" / parts.path.lstrip("/")).resolve()
        if path.is_dir():
            path = path / "index.html"
        inside = path.is_relative_to((site / "site").resolve())
        return path.read_text("utf-8", errors="replace") if inside and path.is_file() else None

    return fetch


def walk_site(site: Path) -> Iterator[tuple[int, str, str, list[Entry]]]:
    """(page number, page URL, profile name, entries) as a walk reads the site's pages."""
    reader = ListingReader(fetch=local_feed(site))
    for number, (copy, url) in enumerate(page_urls(site), 1):
        html = copy.read_text("utf-8", errors="replace")
        try:
            parsed = reader.read(html, url)
            yield number, url, parsed.profile, list(parsed.entries)
        except ScraperError:
            yield number, url, "(error)", []


def normal_title(text: str | None) -> str:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def normal_text(text: str | None) -> str:
    collapsed = " ".join(unicodedata.normalize("NFKC", text or "").split())
    return ELLIPSIS.sub("", collapsed).strip()


def excerpt_matches(want: dict[str, Any], got: str | None) -> bool:
    if want.get("excerpt") is None:
        return got is None
    expected, found = normal_text(want["excerpt"]), normal_text(got)
    if want.get("excerpt_full"):
        found = found[: len(expected)]
    if expected == found:
        return True
    return difflib.SequenceMatcher(None, expected, found, autojunk=False).ratio() >= CLOSE


def score_page(site: str, number: int, url: str, profile: str, found: list[Entry]) -> PageScore:
    truth = [
        t
        for t in json.loads((REFERENCE / site / "truth.json").read_text("utf-8"))
        if t["page"] == number
    ]
    unused = list(found)
    fields = {name: [0, 0] for name in FIGURES[1:]}
    matched = 0
    for want in truth:
        got = next(
            (e for e in unused if normal_title(e.title) == normal_title(want["title"])), None
        )
        if got is None:
            continue
        unused.remove(got)
        matched += 1
        checks = {
            "url": got.url == urljoin(url, want["url"]),
            "date": got.date == want["date"],
            "excerpt": excerpt_matches(want, got.excerpt),
        }
        if want.get("author"):
            checks["author"] = got.author == want["author"]
        for name, right in checks.items():
            fields[name][0] += int(right)
            fields[name][1] += 1
    return PageScore(
        site,
        number,
        profile,
        len(found),
        len(truth),
        matched,
        {k: (v[0], v[1]) for k, v in fields.items()},
    )


def scores() -> list[SiteScore]:
    results = []
    for site in site_dirs():
        pages = tuple(
            score_page(site.name, number, url, profile, found)
            for number, url, profile, found in walk_site(site)
        )
        profiles = ", ".join(dict.fromkeys(p.profile for p in pages))
        results.append(SiteScore(site.name, profiles, pages))
    return results


def macro(results: list[SiteScore]) -> dict[str, float]:
    """Each figure's mean over every page that has it (the issue's baseline figures)."""
    pages = [page for site in results for page in site.pages]
    figures = {}
    for name in FIGURES:
        values = [v for p in pages if (v := p.f1 if name == "f1" else p.share(name)) is not None]
        figures[name] = mean(values) if values else 0.0
    return figures


def table(results: list[SiteScore]) -> str:
    header = ["site", "profile", "entries", "F1", "url", "date", "author", "excerpt"]
    rows = [header, ["---"] * len(header)]
    for r in results:
        found = sum(p.found for p in r.pages)
        expected = sum(p.expected for p in r.pages)
        cells = [_cell(r.figure(name)) for name in FIGURES]
        rows.append([r.site, r.profiles, f"{found}/{expected}", *cells])
    rows.append(["**macro average**", "", "", *(f"{v:.2f}" for v in macro(results).values())])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def below_floor(results: list[SiteScore]) -> list[str]:
    floors = json.loads(FLOORS.read_text("utf-8"))
    return [
        f"reference: {name} {value:.3f} < floor {floors[name]}"
        for name, value in macro(results).items()
        if value < floors[name]
    ]

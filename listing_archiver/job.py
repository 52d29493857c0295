"""The main job: walk a listing and archive every page, recording the run.

This is the one place where ``scraper`` (fetch, paginate, parse) meets ``archive``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlite_utils import Database

from archive.store import finish_run, save_page, start_run
from scraper.errors import ScraperError
from scraper.fetch import Fetcher
from scraper.paginate import walk
from scraper.profiles import Profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunReport:
    run_id: int
    source: str
    status: str  # ok | failed
    pages: int
    entries_seen: int
    new_posts: int
    error: str | None = None

    @property
    def duplicates_avoided(self) -> int:
        """Entries that were already archived (or repeated within the run)."""
        return self.entries_seen - self.new_posts

    def summary(self) -> str:
        line = (
            f"{self.source}: {self.status}, {_plural(self.pages, 'page')} fetched, "
            f"{_plural(self.entries_seen, 'entry', 'entries')} seen, {self.new_posts} new, "
            f"{self.duplicates_avoided} already archived (run {self.run_id})"
        )
        return f"{line}; error: {self.error}" if self.error else line


def scrape(
    db: Database,
    url: str,
    *,
    source: str,
    fetcher: Fetcher,
    profile: Profile | None = None,
    max_pages: int | None = None,
) -> RunReport:
    """Walk ``url`` and archive it page by page. A failure mid-walk keeps the pages
    already committed and is reported in the run, never raised past here."""
    run_id = start_run(db, source=source, url=url)
    pages = seen = new = 0
    try:
        for page in walk(url, fetcher, profile=profile, max_pages=max_pages):
            outcome = save_page(db, run_id=run_id, source=source, entries=page.entries)
            pages, seen, new = pages + 1, seen + outcome.seen, new + outcome.new
            log.info(
                "page %d %s (%s): %d entries, %d new",
                page.number,
                page.url,
                page.profile,
                outcome.seen,
                outcome.new,
            )
    except ScraperError as exc:
        finish_run(db, run_id, status="failed", error=str(exc))
        return RunReport(run_id, source, "failed", pages, seen, new, str(exc))
    except BaseException:
        finish_run(db, run_id, status="interrupted", error="interrupted")
        raise
    finish_run(db, run_id, status="ok")
    return RunReport(run_id, source, "ok", pages, seen, new)


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"

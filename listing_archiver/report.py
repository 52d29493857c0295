"""What a run says: one line per source and a total, or one JSON object, and a live
progress display while it works when a person is watching (a TTY)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import IO

from listing_archiver.archive.store import PageOutcome
from listing_archiver.scraper.paginate import ListingPage

from .job import PageCallback, RunReport
from .sources import Source


def totals(reports: Sequence[RunReport]) -> dict[str, int]:
    return {
        "sources": len(reports),
        "failed": sum(r.status == "failed" for r in reports),
        "degraded": sum(r.status == "degraded" for r in reports),
        "pages_fetched": sum(r.pages_fetched for r in reports),
        "not_modified": sum(r.not_modified for r in reports),
        "entries_seen": sum(r.entries_seen for r in reports),
        "new_posts": sum(r.new_posts for r in reports),
        "changed_posts": sum(r.changed_posts for r in reports),
        "removed_posts": sum(r.removed_posts for r in reports),
    }


def is_newsworthy(reports: Sequence[RunReport]) -> bool:
    """Something new, changed, removed or failed: what ``--quiet`` still reports."""
    return any(
        r.new_posts or r.changed_posts or r.removed_posts or r.status != "ok" for r in reports
    )


def as_text(reports: Sequence[RunReport]) -> str:
    lines = [r.summary() for r in reports]
    if len(reports) > 1:
        t = totals(reports)
        trouble = [f"{t[key]} {key}" for key in ("failed", "degraded") if t[key]]
        interrupted = sum(r.status == "interrupted" for r in reports)
        trouble += [f"{interrupted} interrupted"] if interrupted else []
        failed = f" ({', '.join(trouble)})" if trouble else ""
        lines.append(
            f"total: {t['sources']} sources{failed}, {t['pages_fetched']} pages fetched, "
            f"{t['not_modified']} not modified, {t['entries_seen']} entries seen, "
            f"{t['new_posts']} new, {t['changed_posts']} changed, {t['removed_posts']} removed"
        )
    return "\n".join(lines)


def as_json(reports: Sequence[RunReport]) -> str:
    return json.dumps({"sources": [asdict(r) for r in reports], "total": totals(reports)})


@contextmanager
def live_progress(stream: IO[str], enabled: bool) -> Iterator[PageCallback | None]:
    """A spinner line per source on a terminal; nothing (None) otherwise. Every page is
    drawn as it is reported (rich's own refresh, ten times a second, animates the
    spinner but would skip a page reported and replaced between two ticks)."""
    if not enabled:
        yield None
        return
    # rich is imported only when someone watches: it is 7 MiB a cron run need not carry.
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        transient=True,
        console=Console(file=stream),
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_page(source: Source, page: ListingPage, outcome: PageOutcome) -> None:
            if source.name not in tasks:
                tasks[source.name] = progress.add_task(source.name)
            state = "not modified" if page.not_modified else f"{outcome.new} new"
            progress.update(
                tasks[source.name], description=f"{source.name}: page {page.number} ({state})"
            )
            progress.refresh()  # drawn now, not at the next tick: no page goes unseen

        yield on_page

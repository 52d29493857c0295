"""The archive's half of a source's run: the snapshot a walk starts from, and the page
records it yields turned into rows (posts, pages, learned profiles, the run's
counters, removals). It makes no request: whatever walked the pages, a thread here or a
worker elsewhere, this side only reads records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace

from listing_archiver.archive import drift, store, walk_state
from listing_archiver.archive import learned as kept
from listing_archiver.archive import snapshot as state
from listing_archiver.archive.store import PageOutcome
from listing_archiver.scraper.paginate import END, ListingPage
from listing_archiver.scraper.records import Entry
from listing_archiver.scraper.urls import redact

from .pages import LearnedRecord, PageRecord, Snapshot, WalkEnd
from .sources import Source
from .writer import SerialWriter

log = logging.getLogger(__name__)

COUNTERS = ("pages", "not_modified", "seen", "new", "changed", "removed")
# Called once a page is archived, on the writer's thread (so it must be quick and
# thread-safe: several sources report to one display).
PageCallback = Callable[[Source, ListingPage, PageOutcome], None]


def take_snapshot(
    writer: SerialWriter, source: Source, *, full: bool, remote: bool = False
) -> Snapshot:
    """What the walk of ``source`` starts from. ``remote``: for a walk on another
    machine, which cannot ask the archive as it goes, with the source's page validators
    and archived versions (incremental walks only: a full walk needs neither)."""
    incremental = not full and writer.call(store.incremental_allowed, source.name)
    backfilling = not full and writer.call(walk_state.backfill_needed, source.name)
    base = writer.call(drift.baseline, source.name)
    stored = None
    if not (source.profile or source.selectors):  # a config's own choice always wins
        stored = writer.call(kept.current_profile, source.name)
    snapshot = Snapshot(
        mode="incremental" if incremental else "full",
        archived=base.archived,
        present=base.present,
        learned_profile=stored.profile if stored else None,
        learned_label=f"learned profile {stored.id} of {stored.source}" if stored else "",
        backfilling=backfilling,
    )
    if not (remote and incremental):
        return snapshot
    return replace(
        snapshot,
        validators=writer.call(state.source_validators, source.name),
        known=frozenset(writer.call(state.source_versions, source.name)),
        next_pages=writer.call(walk_state.recorded_next_pages, source.name)
        if backfilling
        else None,
    )


def baseline_of(snapshot: Snapshot) -> drift.Baseline:
    return drift.Baseline(snapshot.archived, dict(snapshot.present))


class ArchiveView:
    """A walk on this machine asks the archive itself (through the writer) as it goes:
    the validators of each page, and whether a page's versions were archived before this
    run, counting every page queued before it."""

    def __init__(self, writer: SerialWriter, snapshot: Snapshot, run_id: int) -> None:
        self.writer = writer
        self.run_id = run_id
        self.base = baseline_of(snapshot)

    def validators(self, url: str) -> Mapping[str, str]:
        return self.writer.call(store.page_validators, url)

    def all_known(self, entries: Sequence[Entry]) -> bool:
        digests = [item.digest for item in store.identify(entries)]
        return self.writer.call(state.archived_before, digests, self.run_id)

    def drifted(self, entries: Sequence[Entry]) -> list[str]:
        return drift.drifted_fields(self.base, entries)

    def unwalked_page_after(self, url: str) -> str | None:
        return self.writer.call(walk_state.unwalked_page_after, url)


class SourceArchiver:
    """Writes one run's records as they come, counting what each page added."""

    def __init__(
        self,
        writer: SerialWriter,
        source: Source,
        run_id: int,
        *,
        full: bool,
        on_page: PageCallback | None = None,
    ) -> None:
        self.writer = writer
        self.source = source
        self.run_id = run_id
        self.full = full
        self.on_page = on_page
        self.totals = dict.fromkeys(COUNTERS, 0)
        self._written: list[tuple[ListingPage, Future[PageOutcome]]] = []

    def page(self, record: PageRecord, *, wait: bool) -> None:
        """Queue the page for the writer (``wait``: until it is written)."""
        self._store_learned(record.learned)
        future = _archive_page(self.writer, self.run_id, self.source.name, record.page)
        if self.on_page:
            _report_when_archived(future, self.on_page, self.source, record.page)
        self._written.append((record.page, future))
        self.account(wait=wait)

    def end(self, end: WalkEnd) -> None:
        """Record how the walk ended, once the pages before it are written; a full walk
        that saw the whole listing marks the posts it did not see removed."""
        self.account(wait=True)
        self._store_learned(end.learned)
        if end.status == "ok" and self.full and end.stop_reason == END:
            self.totals["removed"] = self.writer.call(
                store.mark_removed, run_id=self.run_id, source=self.source.name
            )
        self.writer.call(
            store.finish_run,
            self.run_id,
            status=end.status,
            stop_reason=end.stop_reason if end.status == "ok" else None,
            error=end.error,
        )

    def interrupted(self) -> None:
        self.writer.call(store.finish_run, self.run_id, status="interrupted", error="interrupted")

    def account(self, *, wait: bool) -> None:
        """Count the pages the writer has archived, in order."""
        while self._written and (wait or self._written[0][1].done()):
            page, future = self._written.pop(0)
            outcome = future.result()
            self.totals["not_modified" if page.not_modified else "pages"] += 1
            self.totals["seen"] += outcome.seen
            self.totals["new"] += outcome.new
            self.totals["changed"] += outcome.changed

    def _store_learned(self, records: Sequence[LearnedRecord]) -> None:
        for record in records:
            self.writer.call(
                kept.save_profile,
                source=self.source.name,
                profile=record.profile,
                learned_from=record.learned_from,
                page_url=record.page_url,
                evidence=record.evidence,
                run_id=self.run_id,
                kept=record.kept,
            )


def _archive_page(
    writer: SerialWriter, run_id: int, source: str, page: ListingPage
) -> Future[PageOutcome]:
    """Hand the page to the writer; the future holds its outcome once written."""
    if page.not_modified:
        return writer.submit(
            store.save_not_modified,
            run_id=run_id,
            page_url=page.requested_url,
            page_number=page.number,
        )
    if log.isEnabledFor(logging.INFO):  # redacting costs a URL parse: only when shown
        log.info(
            "%s page %d %s: %d entries", source, page.number, redact(page.url), len(page.entries)
        )
    return writer.submit(
        store.save_page,
        run_id=run_id,
        source=source,
        entries=page.entries,
        identified=store.identify(page.entries),  # here, off the writer's critical path
        page_url=page.requested_url,
        page_number=page.number,
        etag=page.etag,
        last_modified=page.last_modified,
        next_url=page.next_url,
    )


def _report_when_archived(
    future: Future[PageOutcome], on_page: PageCallback, source: Source, page: ListingPage
) -> None:
    """Call ``on_page`` the moment the writer has committed the page, on the writer's
    thread: by then a full walk's thread is busy fetching the next page, so a report it
    made itself would show page N only once page N+1 had arrived. One writer runs calls
    in order, so a source's pages are reported in order; a page that failed to archive
    is not reported, and an error in ``on_page`` (the display) is logged by the future,
    never fails the run."""

    def done(finished: Future[PageOutcome]) -> None:
        if not finished.cancelled() and finished.exception() is None:
            on_page(source, page, finished.result())

    future.add_done_callback(done)

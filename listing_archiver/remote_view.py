"""What a walk on a worker asks about its source, answered from the snapshot the writer
sent with it: the worker has no archive to ask. The decisions are the archive's own
pure rules (the version hash, the drift thresholds), imported, never re-implemented;
nothing here opens a database."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from listing_archiver.archive.drift import Baseline, drifted_fields
from listing_archiver.archive.hashing import content_hash
from listing_archiver.archive.walk_state import first_unwalked, lookup_in
from listing_archiver.scraper.records import Entry

from .pages import Snapshot


class SnapshotView:
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.base = Baseline(snapshot.archived, dict(snapshot.present))
        self.known = snapshot.known or frozenset()

    def validators(self, url: str) -> Mapping[str, str]:
        return (self.snapshot.validators or {}).get(url, {})

    def all_known(self, entries: Sequence[Entry]) -> bool:
        return all(content_hash(entry) in self.known for entry in entries)

    def drifted(self, entries: Sequence[Entry]) -> list[str]:
        return drifted_fields(self.base, entries)

    def unwalked_page_after(self, url: str) -> str | None:
        return first_unwalked(url, lookup_in(self.snapshot.next_pages or {}))

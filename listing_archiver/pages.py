"""What passes between a source's walk and the archive, as plain data.

A walk starts from a ``Snapshot`` of what the archive knows about its source and
yields ``PageRecord``s, then one ``WalkEnd``; the archiver turns them into rows. On one
machine they stay Python objects; across machines (``run --broker``) they travel as
JSON, so each has ``to_json``/``from_json`` stamped with ``FORMAT``: a reader refuses
a record of another format rather than guess at its fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from listing_archiver.scraper.paginate import ListingPage
from listing_archiver.scraper.records import Entry

from .errors import RecordFormatError
from .sources import Source

FORMAT = 1  # raised whenever a field below changes meaning


@dataclass(frozen=True)
class Snapshot:
    """A source's state in the archive as its walk needs it, taken before the walk."""

    mode: str  # incremental (may stop at known posts, asks conditionally) | full
    archived: int = 0  # drift baseline: the source's archived versions...
    present: Mapping[str, int] = field(default_factory=dict)  # ...and how many have each field
    learned_profile: str | None = None  # TOML of the source's active learned profile
    learned_label: str = ""  # names that profile in a warning if it no longer loads
    # Filled for walks on other machines (None locally, where the walk asks the archive
    # page by page): conditional-request headers by page URL, and the version hashes
    # archived for the source, which tell an incremental walk that a page is all known.
    validators: Mapping[str, Mapping[str, str]] | None = None
    known: frozenset[str] | None = None
    # An earlier walk was cut short and none has reached the end since: known posts do
    # not stop this one (``archive.walk_state``). For a walk elsewhere, the next link
    # recorded with each archived page, to skip pages walked before.
    backfilling: bool = False
    next_pages: Mapping[str, str | None] | None = None

    @property
    def incremental(self) -> bool:
        return self.mode == "incremental"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["known"] = None if self.known is None else sorted(self.known)
        return {"format": FORMAT, "snapshot": data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Snapshot:
        fields = dict(_payload(data, "snapshot"))
        if fields.get("known") is not None:
            fields["known"] = frozenset(fields["known"])
        return cls(**fields)


@dataclass(frozen=True)
class LearnedRecord:
    """A profile the walk learned, to store with its source: ``kept`` as the active one,
    or recorded as rejected (learned again after a drift alarm, it did not help)."""

    profile: str  # TOML
    learned_from: str
    page_url: str
    evidence: Mapping[str, str]
    kept: bool


@dataclass(frozen=True)
class PageRecord:
    """One page walked, and the learned profiles to store before it."""

    source: str
    page: ListingPage
    learned: tuple[LearnedRecord, ...] = ()

    def to_json(self) -> dict[str, Any]:
        page = asdict(self.page)
        page["entries"] = [list(_entry_values(e)) for e in self.page.entries]
        learned = [asdict(record) for record in self.learned]
        return {"format": FORMAT, "page": {"source": self.source, **page, "learned": learned}}


@dataclass(frozen=True)
class WalkEnd:
    """How the walk ended: ``ok`` with its stop reason, or degraded, failed or
    interrupted with the error; the learned profiles still to store (a rejected one)."""

    source: str
    status: str
    stop_reason: str | None = None
    error: str | None = None
    learned: tuple[LearnedRecord, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "end": asdict(self)}


WalkRecord = PageRecord | WalkEnd


def record_to_text(record: WalkRecord) -> str:
    return json.dumps(record.to_json(), separators=(",", ":"))


def record_from_text(text: str | bytes) -> WalkRecord:
    """A ``PageRecord`` or ``WalkEnd`` from its JSON text."""
    data = json.loads(text)
    if isinstance(data, dict) and "end" in data:
        end = dict(_payload(data, "end"))
        end["learned"] = tuple(LearnedRecord(**r) for r in end.get("learned", ()))
        return WalkEnd(**end)
    page = dict(_payload(data, "page"))
    source = page.pop("source")
    learned = tuple(LearnedRecord(**r) for r in page.pop("learned", ()))
    page["entries"] = tuple(Entry(*values) for values in page["entries"])
    return PageRecord(source, ListingPage(**page), learned)


def source_to_json(source: Source) -> dict[str, Any]:
    return {"format": FORMAT, "source": {**asdict(source), "selectors": dict(source.selectors)}}


def source_from_json(data: Mapping[str, Any]) -> Source:
    fields = dict(_payload(data, "source"))
    fields["hosts"] = tuple(fields.get("hosts", ()))
    return Source(**fields)


def _entry_values(entry: Entry) -> tuple[str | None, ...]:
    return (entry.title, entry.url, entry.date, entry.author, entry.excerpt)


def _payload(data: Any, kind: str) -> Mapping[str, Any]:
    if not isinstance(data, dict) or data.get("format") != FORMAT or kind not in data:
        found = data.get("format") if isinstance(data, dict) else None
        raise RecordFormatError(
            f"not a {kind} record of format {FORMAT} (format {found!r}):"
            " written by another version of listing-archiver"
        )
    payload = data[kind]
    assert isinstance(payload, dict)
    return payload

"""Plain records passed from the parser to the archive."""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Entry:
    """One post as a listing shows it. Text fields are already clean: visible text,
    whitespace collapsed, Unicode NFC; ``date`` is ISO ``YYYY-MM-DD``; absent is None."""

    title: str | None
    url: str | None
    date: str | None
    author: str | None
    excerpt: str | None


# The fields every entry carries, in order: what drift checks, probe reports and the
# accuracy gate scores.
ENTRY_FIELDS: tuple[str, ...] = tuple(field.name for field in fields(Entry))

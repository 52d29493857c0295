"""The recent runs of each source, as ``listing-archiver runs`` shows them.

A year of hourly runs of many sources is millions of ``runs`` rows, so nothing here
reads them all: the source names come from the ``runs_source_id`` index one seek per
source (a loose index scan), and each source's newest runs are read backwards along the
same index, stopping at the limit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlite_utils import Database

TROUBLE = ("failed", "degraded", "interrupted")  # what --failed shows
DEFAULT_LIMIT = 5  # runs per source: a glance at the last few hours of an hourly schedule

COLUMNS = (
    "id, source, url, status, mode, started, finished, pages_fetched, not_modified,"
    " entries_seen, new_posts, changed_posts, removed_posts, stop_reason, error"
)
# Each step finds the next name after the last one in the index: a seek, not a scan.
SOURCE_NAMES = """
with recursive names(source) as (
    select min(source) from runs
    union all
    select (select min(source) from runs where source > names.source)
    from names where names.source is not null
)
select source from names where source is not null
"""


@dataclass(frozen=True)
class RunRow:
    id: int
    source: str
    url: str
    status: str
    mode: str | None
    started: str  # UTC, ISO 8601, as stored
    finished: str | None  # None while running
    pages_fetched: int
    not_modified: int
    entries_seen: int
    new_posts: int
    changed_posts: int
    removed_posts: int
    stop_reason: str | None
    error: str | None

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish; None while the run is still running."""
        if self.finished is None:
            return None
        delta = datetime.fromisoformat(self.finished) - datetime.fromisoformat(self.started)
        return delta.total_seconds()


def source_names(db: Database) -> list[str]:
    return [row[0] for row in db.execute(SOURCE_NAMES)]


def recent_runs(
    db: Database, names: Sequence[str], *, limit: int = DEFAULT_LIMIT, failed: bool = False
) -> list[RunRow]:
    """Each named source's ``limit`` newest runs (only troubled ones with ``failed``),
    newest first, source after source."""
    trouble = f" and status in ({', '.join('?' * len(TROUBLE))})" if failed else ""
    sql = f"select {COLUMNS} from runs where source = ?{trouble} order by id desc limit ?"
    rows: list[RunRow] = []
    for name in names:
        params = [name, *(TROUBLE if failed else ()), limit]
        rows += [RunRow(*row) for row in db.execute(sql, params)]
    return rows


def as_json(rows: Sequence[RunRow]) -> str:
    return json.dumps([asdict(row) | {"duration": _seconds(row.duration)} for row in rows])


def as_text(rows: Sequence[RunRow]) -> str:
    """One line a run under a header; the error last, whole, since it says what to do."""
    header = ("source", "started (UTC)", "took", "status", "pages", "new", "changed", "removed")
    table = [header, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    lines = []
    for line, row in zip(table, [None, *rows], strict=True):
        text = "  ".join(
            cell.rjust(width) if i >= 4 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        error = "error" if row is None else row.error or ""
        lines.append(f"{text}  {error}".rstrip())
    return "\n".join(lines)


def _cells(row: RunRow) -> tuple[str, ...]:
    counts = (row.pages_fetched, row.new_posts, row.changed_posts, row.removed_posts)
    return (row.source, _when(row.started), _took(row.duration), row.status, *map(str, counts))


def _seconds(duration: float | None) -> float | None:
    return None if duration is None else round(duration, 3)  # stamps are in milliseconds


def _when(stamp: str) -> str:
    return datetime.fromisoformat(stamp).strftime("%Y-%m-%d %H:%M:%S")


def _took(seconds: float | None) -> str:
    if seconds is None:
        return "running"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"

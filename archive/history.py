"""A post's versions, oldest first, and what changed between them."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from .identity import canonical_url

FIELDS = ("title", "date", "author", "excerpt", "url")


@dataclass(frozen=True)
class Version:
    content_hash: str
    title: str | None
    date: str | None
    author: str | None
    excerpt: str | None
    url: str | None
    first_seen: str
    last_seen: str
    times_seen: int
    removed_at: str | None
    first_page_url: str | None  # where this version was first seen (sightings)
    first_page_number: int | None
    first_position: int | None


def find_post_key(db: Database, url: str) -> str | None:
    """The post_key for ``url``, as given or as first archived (tracking parameters,
    trailing slash and the like do not matter)."""
    candidates = (canonical_url(url), url)
    # post_key first, from its index; the URL as first archived (not indexed: a scan)
    # only when neither names a post, so a post's history costs a lookup, not a scan.
    for column in ("post_key", "url"):
        for candidate in candidates:
            sql = f"select post_key from posts where {column} = ? limit 1"
            row = db.execute(sql, [candidate]).fetchone()
            if row:
                return str(row[0])
    return None


def post_history(db: Database, key: str) -> list[Version]:
    rows = db.execute(
        "select p.content_hash, p.title, p.date, p.author, p.excerpt, p.url, p.first_seen,"
        " p.last_seen, p.times_seen, p.removed_at, s.page_url, s.page_number, s.position"
        " from posts p left join sightings s on s.id = (select id from sightings"
        "   where content_hash = p.content_hash order by run_id, id limit 1)"
        " where p.post_key = ? order by p.first_seen, p.rowid",
        [key],
    ).fetchall()
    return [Version(*row) for row in rows]


def describe_changes(old: Version, new: Version) -> list[str]:
    """One line per changed field: short fields old → new, the excerpt as a word diff."""
    return describe_field_changes(
        {name: getattr(old, name) for name in FIELDS}, {name: getattr(new, name) for name in FIELDS}
    )


def describe_field_changes(
    old: Mapping[str, str | None], new: Mapping[str, str | None]
) -> list[str]:
    """:func:`describe_changes` for two versions given as field values (``FIELDS``), so that
    Datasette's edited-posts query prints an edit exactly as ``history`` does."""
    lines = []
    for name in FIELDS:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name == "excerpt" and before and after:
            lines.append(f"excerpt: {word_diff(before, after)}")
        else:
            lines.append(f"{name}: {before!r} → {after!r}")
    return lines


def word_diff(before: str, after: str) -> str:
    """Only the words that changed, as ``[-removed-]{+added+}`` with a little context."""
    a, b = before.split(), after.split()
    parts = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            words = a[i1:i2]
            parts.append(
                " ".join(words) if len(words) <= 6 else " ".join([*words[:3], "…", *words[-3:]])
            )
            continue
        if i2 > i1:
            parts.append("[-" + " ".join(a[i1:i2]) + "-]")
        if j2 > j1:
            parts.append("{+" + " ".join(b[j1:j2]) + "+}")
    return " ".join(parts)


def format_history(key: str, versions: list[Version]) -> str:
    """The text ``listing-archiver history`` prints."""
    count = f"{len(versions)} version" + ("s" if len(versions) != 1 else "")
    lines = [f"{key}: {count}"]
    for number, version in enumerate(versions, 1):
        runs = f"{version.times_seen} run" + ("s" if version.times_seen != 1 else "")
        lines += [
            "",
            f"Version {number}: first seen {version.first_seen}, "
            f"last seen {version.last_seen}, in {runs}",
        ]
        if version.first_page_url:
            lines.append(
                f"  found on page {version.first_page_number}, position "
                f"{version.first_position}: {version.first_page_url}"
            )
        if number == 1:
            lines += [f"  {name}: {getattr(version, name)}" for name in FIELDS]
        else:
            changes = describe_changes(versions[number - 2], version)
            lines += [f"  changed {change}" for change in changes] or ["  (no visible change)"]
    removed = versions[-1].removed_at if versions else None
    if removed:
        lines += ["", f"Removed: no longer listed since {removed}"]
    return "\n".join(lines)

"""The Atom 1.0 export (RFC 4287): any listing as a feed.

Links: the feed's ``rel="alternate"`` is the listing it was read from (the latest run's
URL), when its posts come from one source; ``rel="self"`` is where the feed is published,
when the caller knows it (``FeedOptions.self_url``). Each entry links to its post.

Authors: an entry carries its post's author, or no author element when the listing did
not show one; never a made-up name. RFC 4287 (4.1.2) then asks the feed for an author
covering such entries, and the truthful one is the site: the source's name (linked to its
listing), or the names of the sources, so a feed reader shows where a post came from
rather than "unknown". A feed whose entries all have authors gets no feed author.

With every version exported, the versions of a post are entries with one id and
different ``updated`` times: RFC 4287 (4.1.1) reads them as revisions of one entry.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TextIO

from sqlite_utils import Database

from listing_archiver import PROJECT_URL, __version__

from .selection import listing_url

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)  # Atom as the default namespace: <feed xmlns="...">, no ns0:
# Feed ids are name-based UUIDs under this project's own namespace, so they never change
# between exports and never collide with another tool's ids.
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROJECT_URL)

# Characters XML 1.0 cannot carry at all (not even escaped); scraped text can hold them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

Row = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class FeedOptions:
    """What only the feed needs: its title, its own URL, and ``now`` (its ``updated``
    when it has no entries; the clock when None)."""

    title: str | None = None
    self_url: str | None = None
    now: str | None = None


def write_atom(
    db: Database, rows: Sequence[Row], out: TextIO, *, source: str | None, options: FeedOptions
) -> int:
    """Write ``rows`` as an Atom feed to ``out``; return how many entries."""
    entries = [_entry(row) for row in rows]
    sources = sorted({str(row["source"]) for row in rows if row["source"]})
    if source is not None:
        sources = [source]
    feed = ET.Element(_atom("feed"))
    _text(feed, "id", feed_id(db, source))
    _text(feed, "title", options.title or _default_title(source))
    _text(feed, "updated", _newest(entries) or _timestamp(options.now) or _utc_now())
    _text(feed, "generator", "listing-archiver", uri=PROJECT_URL, version=__version__)
    home = listing_url(db, sources[0]) if len(sources) == 1 else None
    if home:
        ET.SubElement(feed, _atom("link"), rel="alternate", type="text/html", href=home)
    if options.self_url:
        ET.SubElement(
            feed, _atom("link"), rel="self", type="application/atom+xml", href=options.self_url
        )
    if any(entry.find(_atom("author")) is None for entry in entries):
        _author(feed, ", ".join(sources), uri=home)
    feed.extend(entries)
    ET.indent(feed)
    out.write('<?xml version="1.0" encoding="utf-8"?>\n')
    out.write(ET.tostring(feed, encoding="unicode"))
    out.write("\n")
    return len(entries)


def feed_id(db: Database, source: str | None) -> str:
    """A feed id that survives every re-export: from the source name, or, for the whole archive,
    from when the archive was created (its first migration), which nothing ever rewrites."""
    if source is not None:
        return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, f'source:{source}')}"
    created = None
    if db["_sqlite_migrations"].exists():
        found = db.execute(
            "select min(applied_at) from _sqlite_migrations where migration_set = ?",
            ["listing-archiver"],
        ).fetchone()
        created = found[0] if found else None
    name = f"archive:{created or ''}"
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, name)}"


def entry_id(post_key: str) -> str:
    """From the post key, not the content hash, so an edited post keeps its id."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, post_key)}"


def _default_title(source: str | None) -> str:
    return "listing-archiver archive" if source is None else f"{source} (listing-archiver)"


def _newest(entries: list[ET.Element]) -> str | None:
    stamps = [entry.findtext(_atom("updated")) or "" for entry in entries]
    oldest = datetime.min.replace(tzinfo=UTC)
    return max(stamps, key=lambda stamp: _parse_time(stamp) or oldest, default=None)


def _entry(row: Row) -> ET.Element:
    entry = ET.Element(_atom("entry"))
    title, url, author = _clean(row["title"]), _clean(row["url"]), _clean(row["author"])
    excerpt = _clean(row["excerpt"])
    day = _day(row["date"])
    first_seen = _timestamp(row["first_seen"]) or _timestamp(row["last_seen"]) or _utc_now()
    # An edit is dated by when its new version was first seen; an unedited post by its date.
    updated = first_seen if row["versions"] > 1 or day is None else day
    _text(entry, "id", entry_id(row["post_key"]))
    _text(entry, "title", title or url or "(untitled)")
    _text(entry, "updated", updated)
    if day is not None:
        _text(entry, "published", day)
    if url:
        ET.SubElement(entry, _atom("link"), rel="alternate", href=url)
    if author:
        _author(entry, author)
    if excerpt:
        _text(entry, "summary", excerpt)
    return entry


def _author(parent: ET.Element, name: str, *, uri: str | None = None) -> None:
    author = ET.SubElement(parent, _atom("author"))
    _text(author, "name", name)
    if uri:
        _text(author, "uri", uri)


def _atom(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _text(parent: ET.Element, name: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _atom(name), attributes)
    element.text = _NOT_XML.sub("", text)
    return element


def _clean(value: str | None) -> str:
    """Text as XML can hold it; empty when absent or blank."""
    return _NOT_XML.sub("", value).strip() if value else ""


def _day(value: str | None) -> str | None:
    """The listing's date as an RFC 3339 timestamp at midnight UTC; None if not a real date."""
    try:
        return f"{date.fromisoformat(value or '').isoformat()}T00:00:00Z"
    except ValueError:
        return None


def _timestamp(value: str | None) -> str | None:
    """``value`` as an RFC 3339 timestamp (kept as is when it already is one), else None."""
    when = _parse_time(value or "")
    if when is None:
        return None
    return value if value and _RFC3339.fullmatch(value) else _rfc3339(when)


def _parse_time(value: str) -> datetime | None:
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # the archive stores UTC


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _utc_now() -> str:
    return _rfc3339(datetime.now(UTC).replace(microsecond=0))

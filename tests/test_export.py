"""Exports of a real archive file: each format's rows, order and columns, the source filter,
escaping and encoding, an Atom feed a feed reader accepts, and atomic writes to disk."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import uuid
import xml.etree.ElementTree as ET
from datetime import date

import feedparser
import pytest

from listing_archiver import __version__
from listing_archiver.archive.errors import UnknownSource
from listing_archiver.archive.export import (
    EXPORT_COLUMNS,
    FORMATS,
    FeedOptions,
    Selection,
    export_posts,
    write_atomically,
)
from listing_archiver.archive.schema import open_archive

from .current_oracle import insert_versions

ATOM = "{http://www.w3.org/2005/Atom}"
NOW = "2026-02-01T00:00:00Z"
TRICKY = 'Fish & chips <b>bold</b> "quoted" — café'


def post(content_hash, post_key, **fields):
    row = {
        "content_hash": content_hash,
        "hash_version": 1,
        "url": post_key if post_key.startswith("http") else None,
        "title": None,
        "date": None,
        "author": None,
        "excerpt": None,
        "source": "alpha",
        "first_seen": "2026-01-01T00:00:00.000Z",
        "last_seen": "2026-01-01T00:00:00.000Z",
        "times_seen": 1,
        "first_run": 1,
        "last_run": 1,
        "post_key": post_key,
        "removed_at": None,
    }
    return row | fields


EDITED = "https://a.example/p/1"
REMOVED = "https://a.example/p/2"
UNDATED = "https://a.example/p/3"
BETA_X = "https://b.example/x"
BETA_A = "https://b.example/a"
LINKLESS = "content:b2"

ROWS = [
    # Two versions of one post: the newer (later last_seen) is the current one.
    post(
        "a1v1",
        EDITED,
        title="Old title",
        date="2021-03-18",
        author="Ann",
        excerpt="Old words",
        first_seen="2026-01-01T00:00:00.000Z",
        last_seen="2026-01-02T00:00:00.000Z",
        times_seen=2,
    ),
    post(
        "a1v2",
        EDITED,
        title=TRICKY,
        date="2021-03-18",
        author="Ann & Éva",
        excerpt="Crisp & golden <yes> — très bon",
        first_seen="2026-01-02T00:00:00.000Z",
        last_seen="2026-01-03T00:00:00.000Z",
        first_run=2,
        last_run=3,
        times_seen=2,
    ),
    post(
        "a2",
        REMOVED,
        title="Gone but archived",
        date="2021-03-20",
        author="Bob",
        removed_at="2026-01-03T00:00:00.000Z",
    ),
    post("a3", UNDATED, title="Undated, no author", first_seen="2026-01-01T12:00:00.000Z"),
    post(
        "b1",
        BETA_X,
        title="Beta x",
        date="2021-03-19",
        author="Zoë",
        excerpt="x",
        source="beta",
        first_seen="2026-01-01T06:00:00.000Z",
    ),
    post(
        "b3",
        BETA_A,
        title="Beta a",
        date="2021-03-19",
        source="beta",
        first_seen="2026-01-01T06:00:00.000Z",
    ),
    post(
        LINKLESS[8:],
        LINKLESS,
        date="2021-03-19",
        source="beta",
        first_seen="2026-01-01T07:00:00.000Z",
    ),
]
# date desc (undated last), then first_seen desc, then post_key.
ORDER = [REMOVED, LINKLESS, BETA_A, BETA_X, EDITED, UNDATED]
BETA_ORDER = [LINKLESS, BETA_A, BETA_X]


@pytest.fixture
def db(tmp_path):
    database = open_archive(str(tmp_path / "archive.db"))
    database.table("runs").insert(
        {"id": 1, "source": "alpha", "url": "https://a.example/", "status": "ok"}
    )
    insert_versions(database, ROWS)
    yield database
    database.close()


def export(db, fmt, feed_title=None, self_url=None, **selection):
    out = io.StringIO(newline="")
    feed = FeedOptions(title=feed_title, self_url=self_url, now=NOW)
    count = export_posts(db, fmt, out, Selection(**selection), feed)
    return count, out.getvalue()


def feed(db, **options):
    _, text = export(db, "atom", **options)
    parsed = feedparser.parse(text.encode("utf-8"))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed, text


def by_key(entries):
    return {entry.id: entry for entry in entries}


def entry_id(key):
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}"


# csv, json, ndjson


def test_csv_has_the_header_and_one_row_per_current_post_newest_first(db):
    count, text = export(db, "csv")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    assert count == len(rows) == 6
    assert [row["post_key"] for row in rows] == ORDER
    assert "\r" not in text and text.endswith("\n")


def test_csv_round_trips_tricky_text_and_empty_values(db):
    _, text = export(db, "csv")
    rows = {row["post_key"]: row for row in csv.DictReader(io.StringIO(text, newline=""))}
    edited = rows[EDITED]
    assert edited["title"] == TRICKY
    assert edited["content_hash"] == "a1v2"
    assert edited["versions"] == "2"
    assert edited["author"] == "Ann & Éva"
    assert rows[UNDATED]["date"] == rows[UNDATED]["author"] == rows[UNDATED]["removed_at"] == ""
    assert rows[REMOVED]["removed_at"] == "2026-01-03T00:00:00.000Z"


def test_json_is_one_indented_array_of_objects_with_the_export_columns(db):
    count, text = export(db, "json")
    rows = json.loads(text)
    assert count == len(rows) == 6
    assert [row["post_key"] for row in rows] == ORDER
    assert all(tuple(row) == EXPORT_COLUMNS for row in rows)
    assert text.startswith("[\n  {\n") and text.endswith("]\n")
    assert "— café" in text  # not \u-escaped: ensure_ascii=False


def test_json_keeps_types_and_exports_only_the_newest_version_of_an_edited_post(db):
    rows = {row["post_key"]: row for row in json.loads(export(db, "json")[1])}
    edited = rows[EDITED]
    assert edited["title"] == TRICKY and edited["content_hash"] == "a1v2"
    assert edited["versions"] == 2 and edited["times_seen"] == 2
    assert rows[UNDATED]["date"] is None and rows[UNDATED]["author"] is None


def test_a_removed_post_is_still_exported_with_removed_at(db):
    for fmt in ("json", "ndjson"):
        _, text = export(db, fmt)
        rows = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
        removed = next(row for row in rows if row["post_key"] == REMOVED)
        assert removed["removed_at"] == "2026-01-03T00:00:00.000Z"


def test_ndjson_is_one_compact_object_per_line(db):
    count, text = export(db, "ndjson")
    lines = text.splitlines()
    assert count == len(lines) == 6 and text.endswith("\n")
    rows = [json.loads(line) for line in lines]
    assert [row["post_key"] for row in rows] == ORDER
    assert all(tuple(row) == EXPORT_COLUMNS for row in rows)
    compact = [json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows]
    assert lines == compact


def test_ndjson_escapes_unicode_line_separators_so_each_line_stays_one_record(db):
    db.table("posts").update("a3", {"title": "one\u2028two\u2029three"})
    _, text = export(db, "ndjson")
    lines = text.splitlines()  # splitlines() breaks on U+2028/U+2029
    assert len(lines) == 6
    assert json.loads(lines[-1])["title"] == "one\u2028two\u2029three"


@pytest.mark.parametrize("fmt", FORMATS)
def test_source_filter_exports_only_that_sources_posts(db, fmt):
    count, text = export(db, fmt, source="beta")
    assert count == 3
    if fmt == "csv":
        keys = [row["post_key"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    elif fmt == "json":
        keys = [row["post_key"] for row in json.loads(text)]
    elif fmt == "ndjson":
        keys = [json.loads(line)["post_key"] for line in text.splitlines()]
    else:
        keys = [entry.id for entry in feedparser.parse(text.encode()).entries]
        keys = [next(k for k in BETA_ORDER if entry_id(k) == i) for i in keys]
    assert keys == BETA_ORDER


def test_source_filter_is_a_parameter_not_sql(db):
    with pytest.raises(UnknownSource, match=r"no source \"beta' or '1'='1\": it has alpha, beta"):
        export(db, "json", source="beta' or '1'='1")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_source_raises_before_writing_anything(db, fmt):
    out = io.StringIO()
    with pytest.raises(UnknownSource, match="no source 'nobody': it has alpha, beta"):
        export_posts(db, fmt, out, Selection(source="nobody"))
    assert out.getvalue() == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_empty_selection_is_still_a_valid_document(db, fmt):
    count, text = export(db, fmt, since=date(2030, 1, 1))
    assert count == 0
    if fmt == "csv":
        assert text == ",".join(EXPORT_COLUMNS) + "\n"
    elif fmt == "json":
        assert json.loads(text) == []
    elif fmt == "ndjson":
        assert text == ""
    else:
        parsed = feedparser.parse(text.encode())
        assert parsed.bozo == 0 and parsed.entries == []
        assert parsed.feed.updated == NOW  # no entries: the feed is dated now


def test_unknown_format_raises_value_error_and_writes_nothing(db):
    out = io.StringIO()
    with pytest.raises(ValueError, match=r"unknown export format 'xml'.*csv, json, ndjson, atom"):
        export_posts(db, "xml", out)
    assert out.getvalue() == ""


# atom


def test_atom_is_a_valid_utf8_atom_feed_with_entries_newest_first(db):
    parsed, text = feed(db)
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www')
    assert parsed.encoding == "utf-8"
    assert [entry.id for entry in parsed.entries] == [entry_id(key) for key in ORDER]
    assert parsed.feed.title == "listing-archiver archive"
    assert parsed.feed.generator == "listing-archiver"
    assert parsed.feed.generator_detail.version == __version__


def test_atom_escapes_markup_and_keeps_non_ascii_text(db):
    parsed, text = feed(db)
    edited = by_key(parsed.entries)[entry_id(EDITED)]
    assert edited.title == TRICKY
    assert edited.title_detail.type == "text/plain"
    assert edited.summary == "Crisp & golden <yes> — très bon"
    assert edited.author == "Ann & Éva"
    assert "&amp; chips &lt;b&gt;" in text and "café" in text  # escaped once, not \u-encoded


def test_atom_entry_values_link_author_summary_published_updated(db):
    entries = by_key(feed(db)[0].entries)
    removed = entries[entry_id(REMOVED)]
    assert removed.link == REMOVED
    assert removed.links[0].rel == "alternate"
    assert removed.author == "Bob"
    assert removed.published == "2021-03-20T00:00:00Z"
    assert removed.updated == "2021-03-20T00:00:00Z"  # one version: dated by its date
    assert "summary" not in removed  # no excerpt, no summary
    edited = entries[entry_id(EDITED)]
    assert edited.published == "2021-03-18T00:00:00Z"
    assert edited.updated == "2026-01-02T00:00:00.000Z"  # edited: when the edit was first seen
    linkless = entries[entry_id(LINKLESS)]
    assert linkless.title == "(untitled)"
    assert not linkless.get("links")  # no url, no link element


def test_atom_entry_without_author_or_date_has_no_author_and_the_site_covers_it(db):
    parsed, text = feed(db)
    undated = by_key(parsed.entries)[entry_id(UNDATED)]
    assert "unknown" not in text
    assert "published" not in undated
    assert undated.updated == "2026-01-01T12:00:00.000Z"  # no date: its first_seen
    tree = ET.fromstring(text.encode())
    entry = next(e for e in tree.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}id") == undated.id)
    assert entry.find(f"{ATOM}author") is None
    # RFC 4287 4.1.2: an entry without an author is covered by the feed's: the sources
    assert tree.findtext(f"{ATOM}author/{ATOM}name") == "alpha, beta"
    one = ET.fromstring(export(db, "atom", source="alpha")[1].encode())
    assert one.findtext(f"{ATOM}author/{ATOM}name") == "alpha"
    assert one.findtext(f"{ATOM}author/{ATOM}uri") == "https://a.example/"


def test_atom_has_no_feed_author_when_every_entry_has_its_own(db):
    _, text = feed(db, source="beta", since=date(2021, 3, 19))
    tree = ET.fromstring(text.encode())
    entries = tree.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}author/{ATOM}name") for e in entries] == [None, None, "Zoë"]
    db.table("posts").update("b3", {"author": "Bo"})
    db.table("posts").update("b2", {"author": "Cy"})
    tree = ET.fromstring(export(db, "atom", source="beta")[1].encode())
    assert tree.find(f"{ATOM}author") is None
    assert all(e.find(f"{ATOM}author") is not None for e in tree.iter(f"{ATOM}entry"))


def test_atom_links_to_its_listing_as_alternate_and_to_itself_as_self(db):
    parsed, _ = feed(db, source="alpha", self_url="https://me.example/alpha.xml")
    links = {link.rel: link for link in parsed.feed.links}
    assert links["alternate"].href == "https://a.example/"  # the source's latest run's URL
    assert links["alternate"].type == "text/html"
    assert links["self"].href == "https://me.example/alpha.xml"
    assert links["self"].type == "application/atom+xml"


def test_atom_has_no_alternate_link_for_several_sources_or_a_source_that_never_ran(db):
    assert "links" not in feed(db)[0].feed  # alpha and beta: RFC 4287 allows one alternate
    assert "links" not in feed(db, source="beta")[0].feed  # beta has posts but no runs


def test_atom_has_every_required_element(db):
    tree = ET.fromstring(export(db, "atom")[1].encode())
    assert tree.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (tree.findtext(f"{ATOM}{name}") or "").strip(), name
    entries = tree.findall(f"{ATOM}entry")
    assert len(entries) == 6
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), name
    assert tree.findtext(f"{ATOM}updated") == "2026-01-02T00:00:00.000Z"  # the newest entry's


def test_atom_titles_follow_the_source_or_the_given_title(db):
    assert feed(db, source="beta")[0].feed.title == "beta (listing-archiver)"
    assert feed(db, feed_title="My & feed")[0].feed.title == "My & feed"


def test_atom_ids_are_stable_across_exports_and_edits(db):
    first, first_text = feed(db)
    _, again_text = feed(db)
    assert first_text == again_text  # same archive, same bytes
    assert first.feed.id.startswith("urn:uuid:")
    insert_versions(
        db,
        [
            post(
                "a1v3",
                EDITED,
                title="Edited again",
                date="2021-03-18",
                first_seen="2026-01-05T00:00:00.000Z",
                last_seen="2026-01-05T00:00:00.000Z",
            )
        ],
    )
    edited, _ = feed(db)
    assert edited.feed.id == first.feed.id
    assert [e.id for e in edited.entries] == [e.id for e in first.entries]
    entry = by_key(edited.entries)[entry_id(EDITED)]
    assert entry.title == "Edited again"
    assert entry.updated == "2026-01-05T00:00:00.000Z"
    assert edited.feed.updated == "2026-01-05T00:00:00.000Z"


def test_atom_feed_ids_differ_per_source_and_a_sources_id_is_the_same_in_any_archive(db, tmp_path):
    whole = feed(db)[0].feed.id
    alpha, beta = (feed(db, source=s)[0].feed.id for s in ("alpha", "beta"))
    assert len({whole, alpha, beta}) == 3
    other = open_archive(str(tmp_path / "other.db"))
    other.table("runs").insert({"source": "beta", "url": "https://b.example/", "status": "ok"})
    try:
        assert feed(other, source="beta")[0].feed.id == beta
    finally:
        other.close()


def test_atom_drops_characters_xml_cannot_carry(db):
    db.table("posts").update("a3", {"title": "bell\x07 and\x0c form feed", "excerpt": "nul\x00"})
    entry = by_key(feed(db)[0].entries)[entry_id(UNDATED)]
    assert entry.title == "bell and form feed"
    assert entry.summary == "nul"


# write_atomically


def test_write_atomically_replaces_the_file_and_returns_the_writers_result(db, tmp_path):
    target = tmp_path / "posts.csv"
    target.write_text("old\n", "utf-8")
    count = write_atomically(target, lambda out: export_posts(db, "csv", out))
    assert count == 6
    with target.open(encoding="utf-8", newline="") as handle:
        assert [row["post_key"] for row in csv.DictReader(handle)] == ORDER
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("posts")) == ["posts.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_write_atomically_writes_utf8_with_newlines_untranslated(tmp_path):
    target = tmp_path / "out.txt"
    write_atomically(target, lambda out: out.write("café\r\nline\n"))
    assert target.read_bytes() == "café\r\nline\n".encode()


def test_write_atomically_keeps_the_old_file_and_no_temp_file_when_writing_fails(tmp_path):
    target = tmp_path / "posts.json"
    target.write_text("old contents\n", "utf-8")

    def half_then_fail(out):
        out.write("[{half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_atomically(target, half_then_fail)
    assert target.read_text("utf-8") == "old contents\n"
    assert [p.name for p in tmp_path.iterdir()] == ["posts.json"]


def test_write_atomically_creates_a_missing_file_and_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "new.ndjson"
    with pytest.raises(ValueError):
        write_atomically(target, lambda out: export_posts(None, "yaml", out))
    assert list(tmp_path.iterdir()) == []
    assert write_atomically(target, lambda out: out.write("{}\n")) == 3
    assert target.read_text("utf-8") == "{}\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_write_atomically_keeps_the_replaced_files_permissions(tmp_path):
    target = tmp_path / "posts.csv"
    target.write_text("old\n", "utf-8")
    target.chmod(0o640)
    write_atomically(target, lambda out: out.write("new\n"))
    assert stat.S_IMODE(target.stat().st_mode) == 0o640

"""The walk and the archive apart: the walk imports no archive code, and what passes
between them (snapshots, page records, the walk's end) survives JSON unchanged, so a
walk on another machine hands the writer exactly what a local one would."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from listing_archiver.errors import RecordFormatError
from listing_archiver.pages import (
    FORMAT,
    LearnedRecord,
    PageRecord,
    Snapshot,
    WalkEnd,
    record_from_text,
    record_to_text,
)
from listing_archiver.remote_view import SnapshotView
from listing_archiver.scraper.paginate import ListingPage
from listing_archiver.scraper.records import Entry


def test_the_walk_and_its_records_import_no_archive_code():
    code = (
        "import sys, listing_archiver.walk, listing_archiver.pages;"
        "print(sorted(m for m in sys.modules if m.startswith('listing_archiver.archive')"
        " or m == 'sqlite_utils'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_page_record_survives_json_with_its_entries_and_learned_profiles():
    page = ListingPage(
        2,
        "http://h/page/2/",
        "http://h/page/2",
        "wordpress",
        (Entry("T", "http://h/p", "2024-01-02", None, "ex…"), Entry(None, None, None, "a", None)),
        next_url="http://h/page/3/",
        etag='"x"',
        last_modified="Tue, 01 Oct 2024 10:00:00 GMT",
    )
    learned = (
        LearnedRecord("[profile]\nitem = 'li'\n", "feed", "http://h/", {"title": "h2"}, True),
    )
    record = PageRecord("blog", page, learned)
    assert record_from_text(record_to_text(record)) == record


def test_a_walk_end_and_a_snapshot_survive_json():
    end = WalkEnd("blog", "degraded", error="layout changed", learned=())
    assert record_from_text(record_to_text(end)) == end
    snapshot = Snapshot(
        "incremental",
        12,
        {"title": 12, "date": 11},
        "[profile]\n",
        "learned profile 3 of blog",
        {"http://h/": {"If-None-Match": '"e"'}},
        frozenset({"abc", "def"}),
        backfilling=True,
        next_pages={"http://h/": "http://h/page/2/", "http://h/page/2/": None},
    )
    assert Snapshot.from_json(json.loads(json.dumps(snapshot.to_json()))) == snapshot


def test_a_worker_backfilling_skips_the_pages_its_snapshot_says_were_walked():
    """On a worker the walk cannot ask the archive which page no run has fetched: it
    follows the next links recorded with the pages it was sent, as the archive would."""
    chain = {"http://h/": "http://h/page/2/", "http://h/page/2/": "http://h/page/3/"}
    view = SnapshotView(Snapshot("incremental", backfilling=True, next_pages=chain))
    assert view.unwalked_page_after("http://h/") == "http://h/page/3/"
    ended = {**chain, "http://h/page/3/": None}
    assert (
        SnapshotView(Snapshot("incremental", next_pages=ended)).unwalked_page_after("http://h/")
        is None
    )  # the pages walked before lead to the end
    looped = {**chain, "http://h/page/3/": "http://h/"}
    assert (
        SnapshotView(Snapshot("incremental", next_pages=looped)).unwalked_page_after("http://h/")
        is None
    )


def test_a_record_of_another_format_is_refused_by_name():
    text = record_to_text(WalkEnd("blog", "ok", stop_reason="end"))
    other = text.replace(f'"format":{FORMAT}', f'"format":{FORMAT + 1}')
    with pytest.raises(RecordFormatError, match="another version of listing-archiver"):
        record_from_text(other)

"""The archive in a real SQLite file: content-hash identity, counts, atomic pages."""

from __future__ import annotations

import dataclasses
import sqlite3
import unicodedata

import pytest

from listing_archiver.archive.hashing import HASH_SCHEME, content_hash, normalise
from listing_archiver.archive.opening import cache_kib
from listing_archiver.archive.schema import migrations, open_archive
from listing_archiver.archive.store import save_page, start_run
from listing_archiver.scraper.records import Entry

POST = Entry(
    title="Café notes",
    url="https://a.example/p/1",
    date="2021-03-18",
    author="Ann",
    excerpt="Some words here ...",
)


@pytest.fixture
def db(tmp_path):
    database = open_archive(str(tmp_path / "archive.db"))
    yield database
    database.close()


def _with(**changes):
    return dataclasses.replace(POST, **changes)


@pytest.mark.parametrize(
    "variant",
    [
        _with(title="  Café\n notes "),
        _with(title=unicodedata.normalize("NFD", "Café notes")),
        _with(excerpt="Some words here …"),
        _with(excerpt="Some words here"),
        _with(excerpt="Some   words\u00a0here [...]"),
        _with(url="https://a.example/p/1/?utm_source=x#comments"),
        _with(url="http://www.a.example/p/1;jsessionid=A1B2?PHPSESSID=9&sid=3"),
    ],
)
def test_hash_ignores_presentation_variants(variant):
    assert content_hash(variant) == content_hash(POST)


@pytest.mark.parametrize(
    "variant",
    [
        _with(title="Cafe notes"),
        _with(date="2021-03-19"),
        _with(author="Bob"),
        _with(excerpt="Other words here ..."),
        _with(author=None),
        _with(url="https://b.example/p/1"),  # scheme 2: a post is its URL
        _with(url="https://a.example/p/2"),
        _with(url=None),
    ],
)
def test_hash_changes_with_any_real_content_change(variant):
    assert content_hash(variant) != content_hash(POST)


def test_normalisation_is_idempotent():
    for value in ["  a  b ...", "x…", "e\u0301 [...]", ""]:
        assert normalise(normalise(value)) == normalise(value)


def test_a_post_seen_again_is_stored_once_with_counts(db):
    first = start_run(db, source="s", url="u")
    outcome = save_page(db, run_id=first, source="s", entries=[POST], now="2026-01-01T00:00:00Z")
    assert (outcome.seen, outcome.new) == (1, 1)
    save_page(db, run_id=first, source="s", entries=[POST], now="2026-01-01T00:00:01Z")
    second = start_run(db, source="s", url="u")
    outcome = save_page(db, run_id=second, source="s", entries=[POST], now="2026-01-02T00:00:00Z")
    assert (outcome.seen, outcome.new) == (1, 0)
    [row] = list(db["posts"].rows)
    assert row["content_hash"] == content_hash(POST)
    assert row["hash_version"] == HASH_SCHEME
    assert row["times_seen"] == 2  # runs that saw it, not sightings
    assert (row["first_seen"], row["last_seen"]) == ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")
    assert (row["first_run"], row["last_run"]) == (first, second)


def test_the_same_post_twice_on_one_page_is_one_row(db):
    run = start_run(db, source="s", url="u")
    outcome = save_page(db, run_id=run, source="s", entries=[POST, _with(title="Café  notes")])
    assert (outcome.seen, outcome.new) == (2, 1)
    assert db["posts"].count == 1


def test_a_page_is_written_all_or_nothing(db):
    db.execute(
        "create trigger boom before insert on posts when new.title = 'boom' "
        "begin select raise(abort, 'boom'); end"
    )
    run = start_run(db, source="s", url="u")
    with pytest.raises(sqlite3.IntegrityError):
        save_page(db, run_id=run, source="s", entries=[POST, _with(title="boom")])
    assert db["posts"].count == 0
    assert db["runs"].get(run)["pages_fetched"] == 0


def test_reopening_the_archive_keeps_schema_and_rows(tmp_path):
    path = str(tmp_path / "a.db")
    db = open_archive(path)
    save_page(db, run_id=start_run(db, source="s", url="u"), source="s", entries=[POST])
    db.close()
    again = open_archive(path)
    assert again["posts"].count == 1
    assert migrations.pending(again) == []


def test_the_archive_opens_in_wal_with_its_write_settings(db):
    # WAL lets Datasette read during a run; the rest keeps per-page commits cheap
    # (see open_archive): no sync per commit, no temporary file per statement journal.
    pragmas = {
        name: db.execute(f"pragma {name}").fetchone()[0]
        for name in (
            "journal_mode", "synchronous", "temp_store", "busy_timeout", "wal_autocheckpoint",
            "cache_size",
        )
    }  # fmt: skip
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 1,
        "temp_store": 2,
        "busy_timeout": 10_000,
        "wal_autocheckpoint": 2000,  # 8 MB checkpoints: no page write pays for 16 MB or more
        "cache_size": -2048,  # a new archive: SQLite's default cache
    }


def test_a_writers_page_cache_grows_with_the_archive_up_to_its_ceiling(tmp_path):
    small, large, huge = (tmp_path / name for name in ("small.db", "large.db", "huge.db"))
    small.write_bytes(b"")
    for path, size in ((large, 256 * 2**20), (huge, 4 * 2**30)):
        with path.open("wb") as out:  # sparse: the size is all cache_kib reads
            out.truncate(size)
    assert cache_kib(str(tmp_path / "none.db")) == 2_048
    assert cache_kib(str(small)) == 2_048
    assert cache_kib(str(large)) == 32_768  # an eighth of 256 MB
    assert cache_kib(str(huge)) == 65_536

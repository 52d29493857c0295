"""The drift alarm (archive/drift.py): loud when a field the source nearly always had
goes missing from most of a page, quiet otherwise, since a false alarm keeps a whole
page out of the archive. Each threshold is tested on both sides of its edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.archive import drift
from listing_archiver.archive.drift import Baseline, baseline, drifted_fields
from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli
from listing_archiver.scraper.records import Entry

from .server import TestServer, html_page, papermod_entry, serve_listing


def archived(count: int, **present: int) -> Baseline:
    """``count`` archived posts, each field on all of them unless ``present`` says."""
    return Baseline(count, {field: present.get(field, count) for field in drift.FIELDS})


def page(size: int, **missing: int) -> list[Entry]:
    """``size`` entries, the first ``missing[field]`` of them without that field."""
    return [
        Entry(
            title=None if n < missing.get("title", 0) else f"Post {n}",
            url=None if n < missing.get("url", 0) else f"http://127.0.0.1/post/{n}/",
            date=None if n < missing.get("date", 0) else "2024-03-15",
            author=None if n < missing.get("author", 0) else "Ann Author",
            excerpt=None if n < missing.get("excerpt", 0) else "An excerpt.",
        )
        for n in range(size)
    ]


def test_a_field_on_every_post_gone_from_every_entry_is_drift():
    [problem] = drifted_fields(archived(20), page(10, author=10))
    assert problem == "author missing from 10 of 10 entries (present in 100% of 20 archived posts)"


# --- quiet when it should be ------------------------------------------------------------


def test_a_site_that_never_shows_authors_raises_no_alarm():
    assert drifted_fields(archived(20, author=0), page(10, author=10)) == []


def test_one_entry_of_ten_without_a_date_raises_no_alarm():
    assert drifted_fields(archived(20), page(10, date=1)) == []


def test_a_page_with_every_field_raises_no_alarm():
    assert drifted_fields(archived(20), page(10)) == []


# --- the edges: how common the field was (NEARLY_ALL, inclusive) ---------------------------


def test_a_field_on_exactly_90_percent_of_archived_posts_counts_as_nearly_all():
    assert drifted_fields(archived(100, author=90), page(10, author=10)) != []
    assert drifted_fields(archived(20, author=18), page(10, author=10)) != []


def test_a_field_on_89_percent_of_archived_posts_is_not_nearly_all():
    assert drifted_fields(archived(100, author=89), page(10, author=10)) == []


# --- the edges: how much of the page lacks it (MOST, exclusive) ----------------------------


def test_a_field_missing_from_exactly_half_of_the_page_is_no_drift():
    assert drifted_fields(archived(20), page(10, date=5)) == []
    assert drifted_fields(archived(20), page(4, date=2)) == []


def test_a_field_missing_from_just_over_half_of_the_page_is_drift():
    assert drifted_fields(archived(20), page(10, date=6)) != []
    assert drifted_fields(archived(20), page(3, date=2)) != []


# --- the edges: too little to judge (MIN_ARCHIVED, MIN_SEEN) -------------------------------


def test_fewer_archived_posts_than_min_archived_say_nothing():
    assert drifted_fields(archived(9), page(10, author=10)) == []
    assert drifted_fields(archived(10), page(10, author=10)) != []


def test_fewer_entries_than_min_seen_say_nothing():
    assert drifted_fields(archived(20), page(2, author=2)) == []
    assert drifted_fields(archived(20), page(3, author=3)) != []


@pytest.mark.parametrize("field", drift.FIELDS)
def test_every_field_is_watched(field):
    [problem] = drifted_fields(archived(20), page(5, **{field: 5}))
    assert problem.startswith(f"{field} missing from 5 of 5 entries")


# --- the baseline, from a real archive ------------------------------------------------------


def scrape(server: TestServer, db: Path, *extra: str):
    argv = ["scrape", str(db), server.url("/"), "--delay", "0", "--json", *extra]
    return CliRunner().invoke(cli, argv)


def without_author(title: str, date: str = "2021-03-18") -> str:
    slug = title.lower().replace(" ", "-")
    return papermod_entry(title, slug, date=date).replace("<span>Ann Author</span>", "")


def test_the_baseline_counts_archived_posts_and_each_field_present(server, tmp_path):
    db = tmp_path / "a.db"
    server.page("/", html_page(*(without_author(f"Post {i}") for i in range(12, 0, -1))))
    assert scrape(server, db).exit_code == 0
    base = baseline(open_archive(str(db)), f"127.0.0.1:{server.port}")
    assert base.archived == 12
    assert base.present == {"title": 12, "url": 12, "date": 12, "author": 0, "excerpt": 12}


# --- end to end: a scheduled run whose page must not alarm ---------------------------------


def test_a_site_that_never_shows_authors_is_archived_run_after_run(server, tmp_path):
    db = tmp_path / "a.db"
    server.page("/", html_page(*(without_author(f"Post {i}") for i in range(20, 0, -1))))
    assert scrape(server, db).exit_code == 0
    server.page("/", html_page(*(without_author(f"Post {i}") for i in range(23, 3, -1))))
    result = scrape(server, db)
    assert result.exit_code == 0, result.output
    [source] = json.loads(result.stdout)["sources"]
    assert (source["status"], source["new_posts"]) == ("ok", 3)
    assert open_archive(str(db))["posts"].count == 23


def test_a_page_with_one_entry_of_ten_undated_is_archived(server, tmp_path):
    db = tmp_path / "a.db"
    serve_listing(server, [f"Post {i}" for i in range(20, 0, -1)])
    assert scrape(server, db).exit_code == 0
    undated = papermod_entry("Post 21", "post-21").replace("2021-03-18", "")
    dated = [papermod_entry(f"Post {i}", f"post-{i}") for i in range(20, 11, -1)]
    server.page("/", html_page(undated, *dated, next_href="/page/2/"))
    result = scrape(server, db)
    assert result.exit_code == 0, result.output
    [source] = json.loads(result.stdout)["sources"]
    assert (source["status"], source["new_posts"]) == ("ok", 1)
    post = open_archive(str(db)).execute("select date from posts where title = 'Post 21'")
    assert post.fetchall() == [(None,)]

"""Pagination without rel=next or an English "Next", walked through the real CLI: each
fixture in fixtures/pagination/ is three pages served on 127.0.0.1, and the scrape must
fetch all three (or, where the pager cannot be read, say the page looks paginated)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .build_pagination_fixtures import CASES, LANGUAGES, PAGES, PER_PAGE
from .conftest import FIXTURES
from .scrape_process import Scrapes, read, runs
from .server import TestServer

PAGINATION = FIXTURES / "pagination"
WALKABLE = sorted(case for case in CASES if case != "unrecognised")
READ_MORE_LABELS = [label for _, _, _, label in LANGUAGES.values()] + ["Read more"]


@pytest.fixture
def serve() -> Iterator[list[TestServer]]:
    """Servers of fixture folders, stopped at teardown."""
    started: list[TestServer] = []
    yield started
    for server in started:
        server.stop()


def _start(serve: list[TestServer], case: str) -> TestServer:
    server = TestServer(PAGINATION / case).start()
    serve.append(server)
    return server


def test_every_case_the_fixture_script_builds_is_on_disk():
    on_disk = {path.name for path in PAGINATION.iterdir() if path.is_dir()}
    assert on_disk == set(CASES)
    for case in CASES:
        assert (PAGINATION / case / "page" / str(PAGES) / "index.html").is_file()


@pytest.mark.parametrize("case", WALKABLE)
def test_the_cli_walks_every_page_and_archives_excerpts_without_their_read_more_label(
    case: str, serve: list[TestServer], scrapes: Scrapes, tmp_path: Path
):
    """Every fixture closes each summary with a read-more label in its language
    ("Weiterlesen »", "続きを読む"), as text, not as a link."""
    server = _start(serve, case)
    db = tmp_path / "archive.db"
    result = scrapes.run(server.url("/"), db)
    assert result.returncode == 0, result.stderr
    assert f"{PAGES} pages fetched" in result.stdout
    assert "stopped: end of listing" in result.stdout
    assert [server.hits(f"/page/{n}/") for n in range(2, PAGES + 1)] == [1] * (PAGES - 1)
    excerpts = [row[0] for row in read(db, "select excerpt from posts") or []]
    assert len(excerpts) == PAGES * PER_PAGE
    assert all(e.endswith("a sentence or two long.") for e in excerpts), excerpts[:2]
    assert not any(label.rstrip(" »→") in e for e in excerpts for label in READ_MORE_LABELS)


def test_a_pager_the_walk_cannot_read_is_reported_as_looking_paginated_not_as_the_end(
    serve: list[TestServer], scrapes: Scrapes, tmp_path: Path
):
    server = _start(serve, "unrecognised")
    db = tmp_path / "archive.db"
    result = scrapes.run(server.url("/"), db)
    assert result.returncode == 0, result.stderr
    assert "1 page fetched" in result.stdout
    assert "stopped: no next link found (page looks paginated" in result.stdout
    assert "end of listing" not in result.stdout
    assert [run["stop_reason"] for run in runs(db)] == ["no_next_link"]
    assert server.hits("/page/2/") == 0


def test_the_last_page_of_a_numbered_pager_is_the_end_of_the_listing_not_unrecognised(
    serve: list[TestServer], scrapes: Scrapes, tmp_path: Path
):
    """Page 3 links to pages 1 and 2, both walked: that is the end."""
    server = _start(serve, "plain-numbers")
    db = tmp_path / "archive.db"
    assert scrapes.run(server.url("/"), db, "--full").returncode == 0
    assert [run["stop_reason"] for run in runs(db)] == ["end"]

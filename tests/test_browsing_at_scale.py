"""What keeps ``current_posts`` fast at a million posts, proved on a small archive through
a real Datasette with the package's plugin: the unfiltered table's facets read from the
counts the archive keeps, and a search planned by how many posts it matches (a *broad*
search: more than the ``broad_search`` plugin setting, here 10). Every page must show what
Datasette's own facets and search would: the tests compare each with SQL on the file."""

from __future__ import annotations

import html
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from listing_archiver.archive import store
from listing_archiver.archive.schema import open_archive
from listing_archiver.datasette_plugin.search import PLUGIN
from listing_archiver.scraper.records import Entry
from listing_archiver.serve import metadata_for

from .datasette_process import datasette_process

BROAD = 10  # the test's broad_search: "common" matches 60 posts, "rare" 2
SOURCES = ("alpha", "beta", "gamma")
AUTHORS = ("Ann", "Bob", "Cy", "Di", "Ed", "Flo", "Gus")
CURRENT = "select * from current_posts"


def _entries(source: str, page: int) -> list[Entry]:
    entries = []
    for i in range(page * 10, page * 10 + 10):
        words = ["common"] if i % 2 == 0 else ["other"]
        if source == "alpha" and i in (3, 17):
            words.append("rare")
        entries.append(
            Entry(
                title=f"{source} kettle {i}" if i % 5 == 0 else f"{source} post {i}",
                url=f"https://{source}.example/{i}",
                date=f"{2019 + i % 6}-{1 + i % 12:02d}-{1 + i % 27:02d}",
                author=None if i % 9 == 0 else AUTHORS[(i * 3 + len(source)) % len(AUTHORS)],
                excerpt=" ".join([f"Excerpt {i} of {source}", *words]),
            )
        )
    return entries


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "archive.db"
    db = open_archive(str(path))
    try:
        for source in SOURCES:
            run = store.start_run(db, source=source, url=f"https://{source}.example/")
            for page in range(4):
                store.save_page(db, run_id=run, source=source, entries=_entries(source, page),
                                page_url=f"https://{source}.example/page/{page + 1}/")  # fmt: skip
            store.finish_run(db, run, status="ok")
    finally:
        db.close()
    return path


def _metadata(path: Path) -> dict:
    metadata = metadata_for(path)
    metadata["plugins"] = {PLUGIN: {"broad_search": BROAD}}
    return metadata


@pytest.fixture(scope="module")
def base(archive, tmp_path_factory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("datasette")
    with datasette_process(archive, tmp, _metadata(archive)) as (url, _log):
        yield f"{url}/archive/current_posts"


def _get(url: str, status: int = 200, **params: str) -> requests.Response:
    response = requests.get(url, params=params, timeout=30)
    assert response.status_code == status, response.text[:300]
    return response


def _sql(archive: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(f"file:{archive}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _facets(archive: Path, where: str = "", params: tuple = ()) -> dict[str, list[tuple]]:
    """Datasette's column facet, as SQL: each value's rows, most first, then by value."""
    return {
        column: _sql(
            archive,
            f"select {column}, count(*) from ({CURRENT}) where {column} is not null"
            f" {where} group by {column} order by count(*) desc, {column}",
            params,
        )
        for column in ("source", "author", "year")
    }


def _shown(data: dict) -> dict[str, list[tuple]]:
    return {
        name: [(r["value"], r["count"]) for r in facet["results"]]
        for name, facet in data["facet_results"].items()
    }


def _matching(word: str, where: str = "", columns: str = "") -> str:
    return (
        f"select title{columns} from ({CURRENT}) where rowid in (select rowid from posts_fts"
        f" where posts_fts match '{word}') {where}"
    )


def test_the_tables_first_page_shows_the_facets_a_group_by_counts(base, archive):
    data = _get(f"{base}.json", _facet_size="max").json()
    assert _shown(data) == _facets(archive)
    assert data["filtered_table_rows_count"] == 120
    page = _get(base).text  # five values a facet, the rest behind "…"
    names = re.findall(r'<p class="facet-info-name">\s*<strong>([^<]*?)\s*<span', page)
    assert sorted(names) == ["author", "source", "year"]  # as Datasette's own facets show


def test_the_unfiltered_facets_read_the_kept_counts_and_a_filtered_page_counts_its_rows(
    archive, tmp_path
):
    copy = tmp_path / "archive.db"
    copy.write_bytes(archive.read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute("update current_facet_counts set posts = posts + 1000 where value = 'Ann'")
    conn.commit()
    conn.close()
    with datasette_process(copy, tmp_path, _metadata(copy)) as (url, _log):
        unfiltered = _shown(_get(f"{url}/archive/current_posts.json").json())
        filtered = _shown(_get(f"{url}/archive/current_posts.json", source="beta").json())
    assert unfiltered["author"][0] == ("Ann", 1000 + dict(_facets(archive)["author"])["Ann"])
    assert filtered == {
        name: values[:5] for name, values in _facets(archive, "and source = ?", ("beta",)).items()
    }


def test_a_broad_search_lists_the_newest_matches_with_their_count_and_no_facets(base, archive):
    data = _get(f"{base}.json", _search="common", _size="10", _shape="objects").json()
    matches = {title: date for title, date in _sql(archive, _matching("common", columns=", date"))}
    assert len(matches) == 60 > BROAD
    shown = [(row["title"], row["date"]) for row in data["rows"]]
    assert all(matches[title] == date for title, date in shown)
    assert [date for _, date in shown] == sorted(matches.values(), reverse=True)[:10]
    assert data["filtered_table_rows_count"] is None and data["facet_results"] == {}
    page = html.unescape(_get(base, _search="common").text)
    assert 'search matches "common" (60 posts: too many to count by source, author and year' in page
    assert re.search(r'<input id="_search" type="search" name="_search"\s+value="common"', page)


def test_a_broad_searchs_links_and_form_decide_again_for_the_next_search_or_filter(base):
    page = _get(base, _search="common").text
    assert '<input type="hidden" name="_broad" value="1">' in page  # the form carries it
    # what the form sends next: a narrower word, or a filter, with the page's arguments
    carried = {"_nocount": "1", "_nofacet": "1", "_broad": "1"}
    narrower = _get(f"{base}.json", _search="rare", **carried).json()
    assert narrower["filtered_table_rows_count"] == 2 and narrower["facet_results"]
    filtered = _get(f"{base}.json", _search="common", source="beta", **carried).json()
    assert filtered["filtered_table_rows_count"] == 20 and filtered["facet_results"]
    again = _get(f"{base}.json", _search="common", **carried).json()
    assert again["filtered_table_rows_count"] is None and again["facet_results"] == {}
    # a user's own _nofacet (no _broad) is theirs: kept
    assert _get(f"{base}.json", _search="rare", _nofacet="1").json()["facet_results"] == {}


def test_every_row_of_a_broad_search_is_a_match_and_none_is_missed(base, archive):
    titles: list[str] = []
    params = {"_search": "common", "_size": "25", "_sort": "title"}
    url = f"{base}.json"
    while url:
        data = _get(url, **params).json()
        titles += [row[0] for row in data["rows"]]
        url, params = data.get("next_url"), {}
    assert titles == sorted(t for (t,) in _sql(archive, _matching("common")))


def test_a_broad_search_narrowed_by_a_filter_counts_and_facets_its_rows(base, archive):
    data = _get(f"{base}.json", _search="common", source="alpha").json()
    expected = _sql(archive, _matching("common", "and source = 'alpha'"))
    assert data["filtered_table_rows_count"] == len(expected) == 20
    assert _shown(data) == {
        name: values[:5]
        for name, values in _facets(
            archive,
            "and source = 'alpha' and rowid in"
            " (select rowid from posts_fts where posts_fts match 'common')",
        ).items()
    }


def test_a_narrow_search_is_datasettes_page_with_its_count_and_facets(base, archive):
    data = _get(f"{base}.json", _search="rare", _shape="objects").json()
    assert data["filtered_table_rows_count"] == 2
    assert sorted(row["title"] for row in data["rows"]) == ["alpha post 17", "alpha post 3"]
    assert _shown(data)["source"] == [("alpha", 2)]
    page = html.unescape(_get(base, _search="rare").text)
    assert '2 rows where search matches "rare"' in page


def test_search_by_column_and_raw_queries_work_as_in_datasette(base, archive):
    titles = _get(f"{base}.json", _search_title="kettle", _shape="objects").json()["rows"]
    assert len(titles) == 24 and all("kettle" in row["title"] for row in titles)
    assert _get(f"{base}.json", _search_excerpt="kettle").json()["rows"] == []
    _get(f"{base}.json", 400, _search_url="kettle")
    raw = _get(f"{base}.json", _search="rare OR nowhere", _searchmode="raw").json()
    assert raw["filtered_table_rows_count"] == 2
    escaped = _get(f"{base}.json", _search="rare OR nowhere").json()  # three words, all needed
    assert escaped["filtered_table_rows_count"] == 0
    broken = _get(f"{base}.json", 400, _search='"unclosed', _searchmode="raw").json()
    assert broken["error"] == "unterminated string"  # Datasette's answer to raw syntax


def test_a_broad_search_walks_the_pages_order_and_a_narrow_one_its_matches(archive):
    def plan(rowid: str) -> str:
        rows = _sql(
            archive,
            f"explain query plan {CURRENT} where {rowid} in (select rowid from posts_fts"
            " where posts_fts match 'common') order by date desc limit 101",
        )
        return " | ".join(row[-1] for row in rows)

    broad = plan("+rowid")
    assert "posts_current_date" in broad and "TEMP B-TREE FOR ORDER BY" not in broad
    assert "INTEGER PRIMARY KEY" in plan("rowid")

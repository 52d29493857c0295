"""The first screens of ``listing-archiver serve``, read through HTTP from a real Datasette
with the package's plugin (loaded through its entry point) and the bundled metadata: what
each page shows, in its HTML or its ``.json``; and a 404 logged as one line."""

from __future__ import annotations

import asyncio
import html
import re
import sqlite3
from collections.abc import Iterator

import pytest
import requests

from listing_archiver.archive.history import word_diff
from listing_archiver.archive.schema import open_archive
from listing_archiver.datasette_plugin import prepare_connection
from listing_archiver.serve import SETTINGS, database_path, metadata_for

from .current_oracle import insert_versions
from .datasette_process import OutputLog, datasette_process
from .test_datasette import POSTS, A, _post, build_archive

DB_NAME = "my archive.v2"  # a stem Datasette must encode in URLs: "my+archive~2Ev2"
LONG_EXCERPT = " ".join(f"word{i}" for i in range(60)) + " the end of a long excerpt."
LONG = _post(
    "alpha", A + "long", "A long one", "2024-01-20", "Ann", LONG_EXCERPT, 3, 3
)  # fmt: skip
TRUNCATE = int(SETTINGS["truncate_cells_html"])


class Site:
    def __init__(self, base: str, log: OutputLog, db: str) -> None:
        self.base, self.log, self.db = base, log, db

    def get(self, path: str, status: int = 200, **params: str) -> requests.Response:
        response = requests.get(f"{self.base}{path}", params=params, timeout=30)
        assert response.status_code == status, (path, response.text[:300])
        return response

    def html(self, path: str, **params: str) -> str:
        return self.get(path, **params).text


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("screens")
    db_path = build_archive(tmp / f"{DB_NAME}.db")
    db = open_archive(str(db_path))
    try:
        insert_versions(db, [LONG])
    finally:
        db.close()
    with datasette_process(db_path, tmp) as (base, log):
        yield Site(base, log, database_path(DB_NAME))


def _table_html(page: str) -> str:
    match = re.search(r'<table class="rows-and-columns">.*?</table>', page, re.S)
    assert match, "no table of rows on the page"
    return match.group(0)


def _header_columns(table: str) -> list[str]:
    return re.findall(r'<th [^>]*data-column="([^"]+)"', table)


def test_the_plugin_is_loaded_through_the_packages_entry_point(site):
    plugins = {p["name"]: p for p in site.get("/-/plugins.json").json()}
    hooks = set(plugins["listing-archiver"]["hooks"])
    assert {"prepare_connection", "handle_exception", "render_cell"} <= hooks


def test_home_and_database_pages_start_from_current_posts_and_the_canned_queries(site):
    for page in (site.html("/"), site.html(f"/{site.db}")):
        links = re.findall(r'href="([^"]+)"', page.split("Start with", 1)[1])
        assert links[:3] == [
            f"{site.db}/current_posts",
            f"{site.db}/new_in_latest_run",
            f"{site.db}/edited_posts",
        ]
    # the relative links resolve from both pages: the pages behind them answer
    site.get(f"/{site.db}/current_posts")
    site.get(f"/{site.db}/new_in_latest_run")


def test_internal_tables_are_hidden_from_the_database_page(site):
    tables = {t["name"]: t for t in site.get(f"/{site.db}.json").json()["tables"]}
    hidden = {name for name, table in tables.items() if table["hidden"]}
    assert {"pages", "_sqlite_migrations", "posts_fts", "posts_fts_data"} <= hidden
    assert not hidden & {"posts", "runs", "sightings"}
    page = site.html(f"/{site.db}")
    shown = re.findall(r'<div class="db-table">\s*<h3><a href="[^"]*">([^<]+)</a>', page)
    assert shown == ["learned_profiles", "posts", "runs", "sightings"]


def test_current_posts_shows_rows_with_short_column_descriptions(site):
    page = site.html(f"/{site.db}/current_posts")
    descriptions = [html.unescape(d) for d in re.findall(r"<dd>(.*?)</dd>", page, re.S)]
    assert len(descriptions) == 15
    assert max(len(d) for d in descriptions) <= 60
    assert "archive.css" in page  # the stylesheet laying them out in three columns
    titles = re.findall(r'<td class="col-title[^"]*">([^<]*)</td>', _table_html(page))
    assert titles[:2] == [POSTS["fresh_alpha"]["title"], POSTS["fresh_beta"]["title"]]
    assert "Suggested facets" not in page


def test_current_posts_cuts_a_long_excerpt_and_links_to_the_versions_full_page(site):
    table = _table_html(site.html(f"/{site.db}/current_posts"))
    assert LONG_EXCERPT[:TRUNCATE] + "…" in table
    assert LONG_EXCERPT not in table
    digest = LONG["content_hash"]
    href = f"/{site.db}/posts/{digest}"  # the version's page in posts: the excerpt whole
    assert f'<a href="{href}" title="{digest}">{digest[:12]}…</a>' in table
    assert LONG_EXCERPT in site.html(href)


def test_current_posts_json_keeps_the_whole_excerpt(site):
    rows = site.get(f"/{site.db}/current_posts.json", _shape="array", title="A long one").json()
    assert [row["excerpt"] for row in rows] == [LONG_EXCERPT]


def test_posts_is_led_by_its_title_and_still_links_each_row(site):
    page = site.html(f"/{site.db}/posts")
    table = _table_html(page)
    assert _header_columns(table)[:2] == ["title", "content_hash"]
    first_row = re.search(r"<tbody>\s*<tr>\s*<td class=\"col-(\w+)", table)
    assert first_row and first_row.group(1) == "title"
    assert re.search(
        rf'<td class="col-content_hash[^"]*"><a href="/{re.escape(site.db)}/posts/', table
    )


def test_other_tables_keep_datasettes_column_order(site):
    table = _table_html(site.html(f"/{site.db}/runs"))
    assert _header_columns(table)[:3] == ["id", "source", "url"]


def test_edited_posts_page_colours_the_word_diff_and_hides_its_sql(site):
    page = site.html(f"/{site.db}/edited_posts")
    old, new = POSTS["tuning_v1"]["excerpt"], POSTS["tuning_v2"]["excerpt"]
    expected = word_diff(old, new)  # as history prints it: [-removed-]{+added+}
    coloured = expected.replace("[-", "<del>").replace("-]", "</del>")
    coloured = coloured.replace("{+", "<ins>").replace("+}", "</ins>")
    assert "excerpt: " + coloured in page
    assert '<pre id="sql-query">' not in page  # the SQL is a click away, not the first screen


def test_new_in_latest_run_page_says_which_run(site):
    page = site.html(f"/{site.db}/new_in_latest_run")
    assert "found nothing new" in page
    assert "found_by_run" in page and "run_started" in page


def test_a_404_is_one_log_line_with_datasettes_error_page(site):
    page = site.get("/no-such-page", status=404).text
    assert "<title>" in page and "404" in page  # Datasette's own error page
    data = site.get(f"/{site.db}/no_such_table.json", status=404).json()
    assert (data["ok"], data["status"]) == (False, 404)
    assert site.log.wait_for("/no_such_table.json")  # uvicorn's access line for it
    lines = site.log.text().splitlines()
    mentions = [line for line in lines if "/no-such-page" in line]
    assert len(mentions) == 1 and "404" in mentions[0]
    assert any("/no_such_table.json" in line and "404" in line for line in lines)
    text = "\n".join(lines)
    assert "Traceback" not in text and "locals" not in text and "╭" not in text


def test_metadata_links_point_at_the_served_database(tmp_path):
    metadata = metadata_for(tmp_path / "my archive.v2.db")
    assert 'href="my+archive~2Ev2/current_posts"' in metadata["description_html"]
    database = metadata["databases"]["my archive.v2"]
    assert 'href="my+archive~2Ev2/edited_posts"' in database["description_html"]
    assert 'href="archive/' not in str(metadata)


def test_sql_word_diff_is_historys_word_diff_and_null_when_nothing_changed():
    conn = sqlite3.connect(":memory:")
    try:
        prepare_connection(conn)
        old, new = "Pragmas and a quokka.", "Pragmas, indexes and the WAL."
        diff = conn.execute("select word_diff(?, ?)", [old, new]).fetchone()[0]
        assert diff == word_diff(old, new)
        assert conn.execute(
            "select word_diff('same', 'same'), word_diff(null, 'x')"
        ).fetchone() == (
            None,
            None,
        )
    finally:
        conn.close()


def test_a_facet_the_metadata_shows_is_counted_once_when_the_query_string_repeats_it(site):
    data = site.get(f"/{site.db}/current_posts.json", _facet="author").json()
    assert list(data["facet_results"]) == ["source", "author", "year"]  # no "author_2"
    page = site.html(f"/{site.db}/current_posts", _facet="author")
    assert page.count('data-column="author"') == page.count('id="facet-author"') + 1 == 2
    # a facet the metadata does not list is still added, and filters still apply
    data = site.get(f"/{site.db}/current_posts.json", _facet="url", author="Ann").json()
    assert sorted(data["facet_results"]) == ["author", "source", "url", "year"]
    assert {r["value"] for r in data["facet_results"]["author"]["results"]} == {"Ann"}


def test_datasettes_connections_to_the_archive_are_memory_mapped_and_no_others(tmp_path):
    from datasette.app import Datasette

    path = build_archive(tmp_path / "archive.db")

    async def mmap_size(datasette: Datasette) -> int:
        result = await datasette.get_database("archive").execute("pragma mmap_size")
        return int(result.first()[0])

    assert asyncio.run(mmap_size(Datasette([str(path)], metadata=metadata_for(path)))) > 0
    assert asyncio.run(mmap_size(Datasette([str(path)]))) == 0  # not the archive's metadata

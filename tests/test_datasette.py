"""`listing-archiver serve`: the bundled Datasette metadata, proven against a real Datasette
subprocess on 127.0.0.1 reading a real archive, plus the helpers in listing_archiver.serve."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from listing_archiver import serve as serve_module
from listing_archiver.archive.identity import post_key
from listing_archiver.archive.schema import open_archive
from listing_archiver.datasette_plugin import prepare_connection
from listing_archiver.serve import (
    DatasetteMissing,
    datasette_command,
    metadata_for,
    serve,
)

from .current_oracle import insert_versions
from .datasette_process import datasette_process

STARTUP_TIMEOUT = 20.0
DB_NAME = "blog-archive"  # a stem other than the JSON's placeholder key, "archive"

RUNS = [
    # two sources; 3 is alpha's latest run, 5 beta's, which found nothing new (4 did)
    (1, "alpha", "2024-01-01T10:00:00Z"),
    (2, "beta", "2024-01-01T10:05:00Z"),
    (3, "alpha", "2024-02-01T10:00:00Z"),
    (4, "beta", "2024-02-01T10:05:00Z"),
    (5, "beta", "2024-02-02T10:05:00Z"),
]
WHEN = {run_id: started for run_id, _, started in RUNS}


def _post(source, url, title, date, author, excerpt, first_run, last_run, removed_at=None):
    digest = hashlib.sha256(f"{title}|{date}|{author}|{excerpt}".encode()).hexdigest()
    return {
        "content_hash": digest,
        "hash_version": 1,
        "url": url,
        "title": title,
        "date": date,
        "author": author,
        "excerpt": excerpt,
        "source": source,
        "first_seen": WHEN[first_run],
        "last_seen": WHEN[last_run],
        "times_seen": last_run - first_run + 1,
        "first_run": first_run,
        "last_run": last_run,
        "post_key": post_key(url, digest),
        "removed_at": removed_at,
    }


A = "https://alpha.example/posts/"
B = "https://beta.example/posts/"
POSTS = {
    "hello": _post(
        "alpha", A + "hello", "Hello world", "2023-12-20", "Ann",
        "First greetings from alpha.", 1, 3,
    ),
    "tuning_v1": _post(
        "alpha", A + "tuning", "Tuning SQLite", "2024-01-10", "Bob",
        "Pragmas and a quokka.", 1, 1,
    ),
    "tuning_v2": _post(  # the same post, edited; its URL canonicalises to the same post_key
        "alpha", A + "tuning/?utm_source=feed", "Tuning SQLite, revised",
        "2024-01-10", "Bob", "Pragmas, indexes and the WAL.", 3, 3,
    ),
    "gone": _post(
        "beta", B + "gone", "Gone soon", "2024-01-05", "Cy",
        "Ephemeral words.", 2, 2, removed_at="2024-02-01T10:06:00Z",
    ),
    "fresh_alpha": _post(
        "alpha", A + "fresh", "Fresh from alpha", "2024-02-01", "Ann",
        "A brand new zebra.", 3, 3,
    ),
    "fresh_beta": _post(
        "beta", B + "fresh", "Fresh from beta", "2024-01-31", "Bob",
        "Another newcomer.", 4, 4,
    ),
    "old": _post(
        "alpha", A + "old", "Old alpha", "2022-11-02", "Cy",
        "Still listed, long ago.", 1, 3,
    ),
}  # fmt: skip
CURRENT = ["fresh_alpha", "fresh_beta", "tuning_v2", "gone", "hello", "old"]  # date desc
# What each run counted as new, as the writer counts it: posts whose first version it saw
FIRST_RUNS: dict[str, int] = {}
for _version in POSTS.values():
    _key = _version["post_key"]
    FIRST_RUNS[_key] = min(FIRST_RUNS.get(_key, _version["first_run"]), _version["first_run"])
NEW_POSTS = {run_id: list(FIRST_RUNS.values()).count(run_id) for run_id, _, _ in RUNS}


def build_archive(path: Path) -> Path:
    db = open_archive(str(path))
    try:
        db.table("runs").insert_all(
            {
                "id": run_id,
                "source": source,
                "url": f"https://{source}.example/posts/",
                "mode": "full",
                "started": started,
                "finished": started.replace(":00Z", ":30Z"),
                "status": "ok",
                "pages_fetched": 2,
                "entries_seen": 5,
                "new_posts": NEW_POSTS[run_id],
            }
            for run_id, source, started in RUNS
        )
        insert_versions(db, POSTS.values())
    finally:
        db.close()
    return path


@dataclass
class Datasette:
    base: str
    db: str  # the database's name in URLs: the file's stem

    def get(self, path: str, **params: str):
        response = requests.get(f"{self.base}{path}", params=params, timeout=10)
        assert response.status_code == 200, (path, params, response.text[:500])
        return response.json()

    def table(self, table: str, **params: str):
        return self.get(f"/{self.db}/{table}.json", **params)

    def rows(self, table_or_query: str, **params: str) -> list[dict]:
        return self.get(f"/{self.db}/{table_or_query}.json", _shape="array", **params)


@contextmanager
def running_datasette(db_path: Path, tmp: Path) -> Iterator[Datasette]:
    """A real ``datasette serve`` on a free 127.0.0.1 port, always stopped afterwards."""
    with datasette_process(db_path, tmp) as (base, _log):
        yield Datasette(base, db_path.stem)


@pytest.fixture(scope="module")
def datasette(tmp_path_factory) -> Iterator[Datasette]:
    """Shared by the read-only tests; the live-write test starts its own."""
    tmp = tmp_path_factory.mktemp("datasette")
    with running_datasette(build_archive(tmp / f"{DB_NAME}.db"), tmp) as ds:
        yield ds


def titles(rows: list[dict]) -> list[str]:
    return [row["title"] for row in rows]


def titles_of(*names: str) -> list[str]:
    return [POSTS[name]["title"] for name in names]


def facet_counts(data: dict, facet: str) -> dict[str, int]:
    return {r["value"]: r["count"] for r in data["facet_results"][facet]["results"]}


# --- against a real Datasette -------------------------------------------------------------


def test_metadata_title_and_database_block_are_served_under_the_file_stem(datasette):
    metadata = datasette.get("/-/metadata.json")
    assert metadata["title"] == "Listing archive"
    assert list(metadata["databases"]) == [DB_NAME]
    assert datasette.get(f"/{DB_NAME}.json")["database"] == DB_NAME


def test_current_posts_default_order_is_newest_date_first(datasette):
    assert titles(datasette.rows("current_posts")) == titles_of(*CURRENT)


def test_current_posts_has_one_row_per_post_with_its_newest_version(datasette):
    rows = {row["post_key"]: row for row in datasette.rows("current_posts")}
    tuning = rows[POSTS["tuning_v1"]["post_key"]]
    assert tuning["title"] == "Tuning SQLite, revised"
    assert tuning["versions"] == 2


def test_search_on_current_posts_finds_a_post_by_a_word_of_its_excerpt_only(datasette):
    assert titles(datasette.rows("current_posts", _search="zebra")) == ["Fresh from alpha"]
    assert datasette.rows("current_posts", _search="giraffe") == []


def test_search_on_current_posts_ignores_words_only_in_an_older_version(datasette):
    assert datasette.rows("current_posts", _search="quokka") == []
    # the index covers current versions only (m006), on posts too: the old words are gone
    assert datasette.rows("posts", _search="quokka") == []
    assert titles(datasette.rows("posts", _search="indexes")) == ["Tuning SQLite, revised"]


def test_current_posts_facets_by_source_author_and_year_by_default(datasette):
    data = datasette.table("current_posts")
    assert facet_counts(data, "source") == {"alpha": 4, "beta": 2}
    assert facet_counts(data, "author") == {"Ann": 2, "Bob": 2, "Cy": 2}
    assert facet_counts(data, "year") == {"2024": 4, "2023": 1, "2022": 1}


def test_facet_by_source_from_the_query_string_counts_posts_per_source(datasette):
    data = datasette.table("current_posts", _facet="source", source="beta")
    assert facet_counts(data, "source") == {"beta": 2}
    assert sorted(r[data["columns"].index("title")] for r in data["rows"]) == [
        "Fresh from beta",
        "Gone soon",
    ]


def test_posts_table_facets_every_version_by_source_and_author(datasette):
    data = datasette.table("posts")
    assert facet_counts(data, "source") == {"alpha": 5, "beta": 2}
    assert facet_counts(data, "author") == {"Ann": 2, "Bob": 3, "Cy": 2}


def test_posts_and_runs_default_order_is_newest_first(datasette):
    first_seen = [row["first_seen"] for row in datasette.rows("posts")]
    assert first_seen == sorted(first_seen, reverse=True)
    assert [row["id"] for row in datasette.rows("runs")] == [5, 4, 3, 2, 1]


def test_canned_query_new_in_latest_run_lists_posts_first_seen_by_each_sources_latest_run(
    datasette,
):
    rows = datasette.rows("new_in_latest_run")
    assert titles(rows) == titles_of("fresh_alpha", "fresh_beta")  # not the edited tuning post


def test_new_in_latest_run_names_the_run_and_falls_back_where_the_latest_found_nothing(
    datasette,
):
    rows = {row["source"]: row for row in datasette.rows("new_in_latest_run")}
    assert (rows["alpha"]["found_by_run"], rows["alpha"]["run_started"]) == (3, WHEN[3])
    assert rows["alpha"]["note"] == "latest run"
    # beta's latest run (5) found nothing: its newest posts, those of run 4, and why
    assert (rows["beta"]["found_by_run"], rows["beta"]["run_started"]) == (4, WHEN[4])
    assert rows["beta"]["note"] == f"latest run 5 ({WHEN[5]}) found nothing new"


def test_canned_query_edited_posts_lists_every_version_oldest_first(datasette):
    rows = datasette.rows("edited_posts")
    assert [(r["title"], r["version"]) for r in rows] == [
        ("Tuning SQLite", 1),
        ("Tuning SQLite, revised", 2),
    ]
    assert {r["post_key"] for r in rows} == {POSTS["tuning_v1"]["post_key"]}
    assert [r["content_hash"] for r in rows] == [
        POSTS["tuning_v1"]["content_hash"],
        POSTS["tuning_v2"]["content_hash"],
    ]
    assert {"date", "changes", "first_seen", "last_seen"} <= set(rows[0])


def test_edited_posts_says_what_each_version_changed_as_history_prints_it(datasette):
    first, second = datasette.rows("edited_posts")
    assert first["changes"] is None  # the first version changed nothing
    old, new = POSTS["tuning_v1"], POSTS["tuning_v2"]
    assert second["changes"].splitlines() == [
        f"title: {old['title']!r} → {new['title']!r}",
        "excerpt: [-Pragmas-] {+Pragmas, indexes+} and [-a quokka.-] {+the WAL.+}",
        f"url: {old['url']!r} → {new['url']!r}",
    ]


def test_edited_posts_shows_the_100_most_recently_edited_posts_every_version_each(tmp_path):
    """A first screen, not every edit of a million posts: the word diffs of the posts shown
    only (at a million posts, all 1,000 edited posts' diffs made the page 250-310 ms)."""
    db = open_archive(str(tmp_path / "archive.db"))
    try:
        insert_versions(db, [
            {"content_hash": f"{n}-{v}", "post_key": f"https://e.example/{n}",
             "title": f"Post {n} v{v}", "excerpt": f"text {v}", "source": "e",
             "first_seen": f"2024-01-01T{n // 60:02d}:{n % 60:02d}:0{v}Z",
             "last_seen": f"2024-01-01T{n // 60:02d}:{n % 60:02d}:0{v}Z"}
            for n in range(101) for v in (1, 2)
        ])  # fmt: skip
        metadata = metadata_for(tmp_path / "archive.db")
        sql = metadata["databases"]["archive"]["queries"]["edited_posts"]["sql"]
        prepare_connection(db.conn)
        rows = db.execute(sql).fetchall()
    finally:
        db.close()
    keys = list(dict.fromkeys(row[0] for row in rows))
    assert keys == [f"https://e.example/{n}" for n in range(100, 0, -1)]  # not the oldest
    assert [row[1] for row in rows] == [1, 2] * 100


def test_canned_query_removed_posts_lists_only_removed_posts(datasette):
    rows = datasette.rows("removed_posts")
    assert [(r["title"], r["removed_at"]) for r in rows] == [("Gone soon", "2024-02-01T10:06:00Z")]


def test_canned_query_posts_per_month_counts_current_posts_newest_month_first(datasette):
    rows = datasette.rows("posts_per_month")
    assert [(r["month"], r["posts"]) for r in rows] == [
        ("2024-02", 1),
        ("2024-01", 3),
        ("2023-12", 1),
        ("2022-11", 1),
    ]


def test_canned_queries_are_listed_with_their_titles(datasette):
    queries = {q["name"]: q for q in datasette.get(f"/{DB_NAME}.json")["queries"]}
    assert set(queries) == {"new_in_latest_run", "edited_posts", "removed_posts", "posts_per_month"}
    assert queries["edited_posts"]["title"] == "Edited posts"


def test_a_post_written_while_datasette_runs_is_searchable_without_restart(tmp_path):
    db_path = build_archive(tmp_path / "live.db")
    with running_datasette(db_path, tmp_path) as ds:
        assert ds.rows("current_posts", _search="narwhal") == []
        db = open_archive(str(db_path))  # as a scheduled run would, while Datasette reads
        try:
            late = _post(
                "beta", B + "late", "Late arrival", "2024-02-02", "Dee",
                "A narwhal surfaces.", 4, 4,
            )  # fmt: skip
            insert_versions(db, [late])
        finally:
            db.close()
        assert titles(ds.rows("current_posts", _search="narwhal")) == ["Late arrival"]
        assert titles(ds.rows("current_posts"))[0] == "Late arrival"
        assert facet_counts(ds.table("current_posts"), "source") == {"alpha": 4, "beta": 3}


# --- the metadata file ---------------------------------------------------------------------


def test_metadata_for_keys_the_database_block_by_the_file_stem(tmp_path):
    metadata = metadata_for(tmp_path / "demo.db")
    assert list(metadata["databases"]) == ["demo"]
    tables = metadata["databases"]["demo"]["tables"]
    assert tables["current_posts"]["sort_desc"] == "date"
    assert metadata["title"] and metadata["description"]


def test_metadata_describes_every_column_of_posts_runs_and_current_posts(tmp_path):
    db = open_archive(str(tmp_path / "archive.db"))
    try:
        tables = metadata_for(tmp_path / "archive.db")["databases"]["archive"]["tables"]
        for name in ("posts", "runs", "current_posts", "sightings", "pages"):
            columns = [c.name for c in db[name].columns]
            described = tables[name]["columns"]
            assert set(described) == set(columns), name
            assert all(described.values()), name
            assert tables[name]["description"]
    finally:
        db.close()


def test_canned_queries_run_read_only_and_without_parameters(tmp_path):
    db_path = build_archive(tmp_path / "archive.db")
    queries = metadata_for(db_path)["databases"]["archive"]["queries"]
    assert set(queries) == {"new_in_latest_run", "edited_posts", "removed_posts", "posts_per_month"}
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        prepare_connection(conn)  # the plugin's SQL functions, as Datasette's connections have
        for name, query in queries.items():
            assert query["title"] and query["description"], name
            conn.execute(query["sql"]).fetchall()  # parameters or a write would fail here
    finally:
        conn.close()


# --- the command and serve() -----------------------------------------------------------------


def test_datasette_command_binds_loopback_and_serves_the_archive_mutable(tmp_path):
    db, meta = tmp_path / "a.db", tmp_path / "m.json"
    command = datasette_command(db, meta, 8123)
    assert command[:5] == [sys.executable, "-m", "datasette", "serve", str(db)]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "8123"
    assert command[command.index("--metadata") + 1] == str(meta)
    assert "--immutable" not in command and "-i" not in command


def test_serve_refuses_a_missing_archive_with_a_clear_error(tmp_path):
    missing = tmp_path / "nope.db"
    with pytest.raises(FileNotFoundError, match=r"No archive at .*nope\.db"):
        serve(missing)


def test_serve_without_datasette_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(serve_module, "datasette_available", lambda: False)
    with pytest.raises(DatasetteMissing) as raised:
        serve(build_archive(tmp_path / "archive.db"))
    assert isinstance(raised.value, RuntimeError)
    assert "Datasette is not installed" in str(raised.value)
    assert "pip install 'datasette==0.65.5'" in str(raised.value)


def test_datasette_available_is_true_in_the_test_environment():
    assert serve_module.datasette_available()


def _fake_datasette(monkeypatch, script: str, seen: dict) -> None:
    """serve() runs ``script`` instead of Datasette; argv[1] is the metadata file."""

    def command(db_path, metadata_path, port, host="127.0.0.1", extra=()):
        seen["metadata_path"] = metadata_path
        return [sys.executable, "-c", script, str(metadata_path)]

    monkeypatch.setattr(serve_module, "datasette_command", command)


def test_serve_writes_the_metadata_for_the_run_and_returns_the_exit_code(tmp_path, monkeypatch):
    script = (
        "import json, sys; m = json.load(open(sys.argv[1])); sys.exit(7 * ('x' in m['databases']))"
    )
    seen: dict = {}
    _fake_datasette(monkeypatch, script, seen)
    assert serve(build_archive(tmp_path / "x.db")) == 7
    assert not seen["metadata_path"].exists()  # the temporary file is cleaned up


def _ctrl_c(tmp_path: Path, monkeypatch, script: str) -> int:
    """Run serve() on a fake Datasette; once it is up, press Ctrl-C (SIGINT to serve's
    thread: Datasette, in its own process group, gets it only from serve)."""
    ready = tmp_path / "ready"
    _fake_datasette(monkeypatch, script.replace("READY", str(ready)), {})
    monkeypatch.setattr(serve_module, "STOP_GRACE", 0.3)
    main = threading.get_ident()

    def press() -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not ready.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not ready.exists():
            return  # serve() never started the child: never interrupt pytest itself
        signal.pthread_kill(main, signal.SIGINT)

    presser = threading.Thread(target=press)
    presser.start()
    try:
        return serve(build_archive(tmp_path / "x.db"))
    finally:
        presser.join()


SLEEPER = (
    "import os, pathlib, signal, sys, time\n"
    "signal.signal(signal.SIGINT, lambda *a: sys.exit(0))\n"
    "pathlib.Path(r'READY.tmp').write_text(str(os.getpid()))\n"
    "os.replace(r'READY.tmp', r'READY')\n"
    "time.sleep(60)\n"
)


def test_ctrl_c_is_passed_to_datasette_which_stops_cleanly_and_serve_returns_0(
    tmp_path, monkeypatch
):
    assert _ctrl_c(tmp_path, monkeypatch, SLEEPER) == 0


def test_a_datasette_that_ignores_ctrl_c_is_killed_after_the_grace_and_serve_returns_130(
    tmp_path, monkeypatch
):
    stubborn = SLEEPER.replace("lambda *a: sys.exit(0)", "signal.SIG_IGN")
    assert _ctrl_c(tmp_path, monkeypatch, stubborn) == 130

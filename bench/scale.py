"""``python -m bench --scale``: browsing and writing at 10k, 100k and 1M posts.

Every browsing figure is taken through a real Datasette started as ``listing-archiver
serve`` starts it (its command line and settings, the shipped metadata), warm (each page
asked for once first), the median of 5. The write figures are ``save_page`` calls on a
copy of each archive, a page of 10 new posts each, as a run's writer makes them; the
run-start figures are the queries a run makes before its first page. Each figure is
printed for every archive and as the ratio of the 1M archive to the 10k one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
from sqlite_utils import Database

from listing_archiver.archive import drift, store
from listing_archiver.archive.history import find_post_key, post_history
from listing_archiver.archive.opening import open_reader
from listing_archiver.archive.schema import open_archive
from listing_archiver.datasette_plugin import prepare_connection
from listing_archiver.scraper.records import Entry
from listing_archiver.serve import datasette_command, metadata_for

from .report import write_readme
from .scale_build import CACHE, COMMON_WORD, SIZES, archive_path, build, source_name

ROUNDS = 5
RATIO_TARGET = -1.0  # a figure whose target is its ratio to the smallest archive (≤ 1.2×)
WRITE_PAGES = 2_000  # pages written on each archive's copy for the write figures
MEDIAN_WRITE = "save a page of 10 new posts (median)"
SLOWEST_WRITE = "slowest single page write"
STARTUP_TIMEOUT = 60.0


@dataclass(frozen=True)
class Figure:
    name: str
    target_ms: float  # what the issue asks for
    seconds: dict[str, float]  # archive size -> median (or max, as the name says)


@contextmanager
def datasette(db_path: Path) -> Iterator[str]:
    """A Datasette on ``db_path`` as ``serve`` starts it; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        metadata = Path(tmp) / "metadata.json"
        metadata.write_text(json.dumps(metadata_for(db_path)), "utf-8")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        log = (Path(tmp) / "datasette.log").open("wb")
        process = subprocess.Popen(
            datasette_command(db_path, metadata, port), stdout=log, stderr=log
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while not _answers(base):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Datasette did not start on {db_path}")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/-/versions.json", timeout=1).ok
    except requests.ConnectionError:
        return False


def median_of(call: Callable[[], object], rounds: int = ROUNDS) -> float:
    call()  # warm: the pages it reads are in the cache, as for a user's second click
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pages_to_browse(db_path: Path) -> dict[str, tuple[str, float]]:
    """Figure name -> (path under the Datasette base, target in ms)."""
    db = open_reader(str(db_path))
    try:
        author = db.execute(
            "select author from posts where is_current = 1 group by author"
            " order by count(*) desc limit 1"
        ).fetchone()[0]
        content_hash = db.execute("select content_hash from posts where rowid = 4242").fetchone()[0]
    finally:
        db.close()
    name = db_path.stem
    count = quote("select count(*) from current_posts")
    return {
        "`current_posts`, default page (sort, count, facets)": (f"/{name}/current_posts", 300),
        f"full-text search, a word in 23% of posts ({COMMON_WORD})": (
            f"/{name}/current_posts?_search={COMMON_WORD}",
            300,
        ),
        "facet by author": (f"/{name}/current_posts?_facet=author", 300),
        "a click on an author (filtered, sorted, faceted)": (
            f"/{name}/current_posts?author={quote(author)}",
            300,
        ),
        "a click on a source": (f"/{name}/current_posts?source={source_name(7)}", 300),
        "`count(*)` on `current_posts`": (f"/{name}.json?sql={count}", 300),
        'canned "new in the latest run"': (f"/{name}/new_in_latest_run", 300),
        'canned "posts per month"': (f"/{name}/posts_per_month", 300),
        'canned "edited posts"': (f"/{name}/edited_posts", 300),
        "a post's row page (`posts`)": (f"/{name}/posts/{content_hash}", 50),
    }


def browse(db_path: Path) -> tuple[dict[str, tuple[float, float]], list[str]]:
    """Median seconds and target per page, and the facets Datasette reported timed out."""
    pages = pages_to_browse(db_path)
    results: dict[str, tuple[float, float]] = {}
    timed_out: list[str] = []
    with datasette(db_path) as base:
        for figure, (path, target) in pages.items():

            def get(path: str = path) -> None:
                response = requests.get(base + path, timeout=120)
                if response.status_code != 200:
                    raise RuntimeError(f"{path}: HTTP {response.status_code}")

            results[figure] = (median_of(get), target)
        for path in (
            f"/{db_path.stem}/current_posts.json",
            pages_to_browse(db_path)[f"full-text search, a word in 23% of posts ({COMMON_WORD})"][
                0
            ].replace("current_posts?", "current_posts.json?"),
        ):
            data = requests.get(base + path, timeout=120).json()
            timed_out += [f"{path}: {facet}" for facet in data.get("facets_timed_out", [])]
    return results, timed_out


def history_and_run_start(db_path: Path) -> dict[str, tuple[float, float]]:
    """In-process figures: a post's history as ``history`` reads it, and a run's start."""
    db = open_reader(str(db_path))
    source = source_name(7)
    try:
        url = db.execute("select url from posts where rowid = 4242").fetchone()[0]
        history = median_of(lambda: post_history(db, find_post_key(db, url) or ""))
        start = median_of(
            lambda: (store.incremental_allowed(db, source), drift.baseline(db, source))
        )
        running = median_of(
            lambda: db.execute("select id from runs where status = 'running'").fetchall()
        )
    finally:
        db.close()
    return {
        "a post's history (`history`, in process)": (history, 50),
        "a run's start (previous run, drift baseline, runs left running)": (
            start + running,
            50,
        ),
    }


def write_rounds(paths: dict[str, Path]) -> dict[str, dict[str, tuple[float, float]]]:
    """``save_page`` on a copy of each archive: the median and the slowest of its
    WRITE_PAGES pages. The copies are written page by page in turn (a page into the 10k
    copy, the same page into the 100k copy, into the 1M copy, the next page…), so a
    change in the machine's load reaches every size alike: the median is a ratio to the
    smallest archive's, and load that drifts over the minutes of the bench moved it by
    more than what the archive's size does (0.8 against 1.3 ms, one archive after another)."""
    with tempfile.TemporaryDirectory(prefix="bench-scale-write-", dir=CACHE) as tmp:
        dbs: dict[str, Database] = {}
        runs: dict[str, int] = {}
        times: dict[str, list[float]] = {size: [] for size in paths}
        try:
            for size, path in paths.items():
                copy = Path(tmp) / f"{size}.db"
                shutil.copyfile(path, copy)
                _sync(copy)  # else the first checkpoint's sync pays for writing the whole copy
                dbs[size] = open_archive(str(copy))
                runs[size] = store.start_run(
                    dbs[size], source="writer.example", url="https://writer.example/"
                )
            for page in range(WRITE_PAGES):
                for size, db in dbs.items():
                    times[size].append(_write_page(db, runs[size], page))
        finally:
            for db in dbs.values():
                db.close()
    return {
        size: {
            MEDIAN_WRITE: (statistics.median(seconds), RATIO_TARGET),
            SLOWEST_WRITE: (max(seconds), 100),
        }
        for size, seconds in times.items()
    }


def _sync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_page(db: Database, run: int, page: int) -> float:
    """Seconds ``save_page`` took for a page of 10 new posts."""
    entries = [
        Entry(f"Written {page} {i}", f"https://writer.example/{page}/{i}",
              "2026-11-30", "Wren", f"page {page} entry {i} of the write figure")
        for i in range(10)
    ]  # fmt: skip
    start = time.perf_counter()
    store.save_page(db, run_id=run, source="writer.example", entries=entries,
                    page_url=f"https://writer.example/{page}")  # fmt: skip
    return time.perf_counter() - start


def space(db_path: Path) -> str:
    """Bytes per post and what takes them, from SQLite's dbstat."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        posts = conn.execute("select count(*) from posts where is_current = 1").fetchone()[0]
        sizes = dict(conn.execute("select name, sum(pgsize) from dbstat group by name"))
    finally:
        conn.close()
    total = db_path.stat().st_size
    groups = {"posts rows": 0, "full-text index": 0, "posts indexes": 0, "sightings": 0}
    other = 0
    for name, size in sizes.items():
        if name == "posts":
            groups["posts rows"] += size
        elif name.startswith("posts_fts"):
            groups["full-text index"] += size
        elif name.startswith(("posts_", "sqlite_autoindex_posts", "idx_posts")):
            groups["posts indexes"] += size
        elif "sightings" in name:
            groups["sightings"] += size
        else:
            other += size
    parts = ", ".join(f"{k} {v / posts:,.0f}" for k, v in groups.items())
    return f"{total / posts:,.0f} bytes per post: {parts}, the rest {other / posts:,.0f}"


def ensure_archives(progress: Callable[[str], None], sizes: list[str]) -> dict[str, Path]:
    paths = {}
    for size in sizes:
        path = archive_path(size)
        if not path.exists():
            progress(f"building the {size} archive at {path} (cached for later runs)")
            took = build(path, SIZES[size], progress)
            progress(f"  built in {took:.0f} s")
        paths[size] = path
    return paths


def run_scale(
    progress: Callable[[str], None], sizes: list[str]
) -> tuple[list[Figure], list[str], list[str]]:
    paths = ensure_archives(progress, sizes)
    by_figure: dict[str, dict[str, float]] = {}
    targets: dict[str, float] = {}
    timed_out: list[str] = []
    for size, path in paths.items():
        progress(f"measuring the {size} archive")
        found, late = browse(path)
        timed_out += [f"{size} {facet}" for facet in late]
        found |= history_and_run_start(path)
        for name, (seconds, target) in found.items():
            by_figure.setdefault(name, {})[size] = seconds
            targets[name] = target
    progress(f"writing {WRITE_PAGES:,} pages into a copy of each archive, page by page in turn")
    for size, found in write_rounds(paths).items():
        for name, (seconds, target) in found.items():
            by_figure.setdefault(name, {})[size] = seconds
            targets[name] = target
    figures = [Figure(name, targets[name], seconds) for name, seconds in by_figure.items()]
    notes = [f"at {sizes[-1]}: {space(paths[sizes[-1]])}"]
    for name, (seconds, target) in year_of_runs(progress, paths[sizes[0]]).items():
        verdict = "holds" if seconds * 1000 <= target else "**misses**"
        notes.append(f"{name}: {_ms(seconds)} (target ≤ {target:g} ms: {verdict})")
    return figures, notes, timed_out


SCALE_START = "<!-- bench-scale:start -->"
SCALE_END = "<!-- bench-scale:end -->"


def _ms(seconds: float) -> str:
    if seconds < 0.001:
        return f"{seconds * 1_000_000:,.0f} µs"
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def table(figures: list[Figure], sizes: list[str], notes: list[str]) -> str:
    """The Markdown section: absolute times per archive, the ratio to 10k, the target."""
    head = " | ".join(sizes)
    lines = [
        f"| figure | {head} | {sizes[-1]} / {sizes[0]} | target at {sizes[-1]} | result |",
        "| --- |" + " --- |" * (len(sizes) + 3),
    ]
    for figure in figures:
        cells = " | ".join(_ms(figure.seconds[size]) for size in sizes)
        ratio = figure.seconds[sizes[-1]] / figure.seconds[sizes[0]]
        if figure.target_ms == RATIO_TARGET:  # the write cost: a ratio to the smallest
            target, holds = f"≤ 1.2× {sizes[0]}", ratio <= 1.2
        else:
            target, holds = (
                f"≤ {figure.target_ms:g} ms",
                figure.seconds[sizes[-1]] * 1000 <= figure.target_ms,
            )
        result = "holds" if holds else "**misses**"
        lines.append(f"| {figure.name} | {cells} | {ratio:.2f}× | {target} | {result} |")
    return "\n".join([*lines, "", *(f"- {note}" for note in notes)])


def write_scale_readme(readme: Path, text: str) -> bool:
    return write_readme(readme, text, (SCALE_START, SCALE_END))


HOURLY_RUNS = 8_760  # a year of hourly runs, per source


def year_of_runs(progress: Callable[[str], None], small: Path) -> dict[str, tuple[float, float]]:
    """A run's start and each canned query on a copy of the 10k archive given a year of
    hourly runs for 1,000 sources (8.76M ``runs`` rows, cached), in process."""
    path = small.with_name(small.stem + "-year-of-runs.db")
    if not path.exists():
        progress(f"adding a year of hourly runs to a copy of {small.name} (cached)")
        partial = path.with_suffix(".partial")
        shutil.copyfile(small, partial)
        conn = sqlite3.connect(partial)
        with conn:
            conn.execute(
                "insert into runs (source, url, mode, started, finished, status,"
                " pages_fetched, not_modified, entries_seen, stop_reason)"
                " with recursive n(i) as (select 0 union all select i + 1 from n"
                f" where i < {HOURLY_RUNS * 1000 - 1})"
                " select printf('hourly-%04d.example', i % 1000), 'https://example/',"
                " 'incremental', '2025-01-01T00:00:00Z', '2025-01-01T00:00:05Z', 'ok',"
                " 0, 1, 10, 'not_modified' from n"
            )
        conn.close()
        partial.rename(path)
    queries = metadata_for(path)["databases"][path.stem]["queries"]
    db = open_reader(str(path))
    prepare_connection(db.conn)  # the plugin's SQL functions the canned queries call
    try:
        start = median_of(
            lambda: (
                store.incremental_allowed(db, "hourly-0007.example"),
                store.incremental_allowed(db, "a-new-source.example"),
                drift.baseline(db, "hourly-0007.example"),
                db.execute("select id from runs where status = 'running'").fetchall(),
            )
        )
        slowest = max(
            median_of(lambda sql=query["sql"]: db.execute(sql).fetchall())
            for query in queries.values()
        )
    finally:
        db.close()
    return {
        "a year of hourly runs (8.76M `runs` rows, on the 10k archive): a run's start": (
            start,
            50,
        ),
        "the slowest canned query there": (slowest, 50),
    }

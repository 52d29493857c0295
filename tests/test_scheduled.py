"""Scheduled runs over real loopback servers and a real archive: the sources file,
incremental walks, conditional GET, robots.txt, concurrency, the lock and reporting."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from click.testing import CliRunner

from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.store import start_run
from listing_archiver.cli import cli

from .scrape_process import DEADLINE
from .server import Reply, TestServer, serve_listing

ROBOTS_TXT = {"Content-Type": "text/plain"}


def posts(n: int, start: int = 0) -> list[str]:
    """``n`` post titles, newest first; a larger ``start`` means newer posts."""
    return [f"Post {i:04d}" for i in range(start + n, start, -1)]


def listing_hits(server: TestServer) -> list[str]:
    return [r.path for r in server.requests if r.path != "/robots.txt"]


def run(*args: str, db=None) -> object:
    argv = [args[0], str(db), *args[1:]] if db else list(args)
    return CliRunner().invoke(cli, argv)


def scrape(server: TestServer, db, *extra: str, path: str = "/"):
    return run("scrape", server.url(path), "--delay", "0", *extra, db=db)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "archive.db"


@pytest.fixture
def servers():
    started: list[TestServer] = []

    def start() -> TestServer:
        started.append(TestServer().start())
        return started[-1]

    yield start
    for server in started:
        server.stop()


def sources_file(tmp_path, *entries: tuple[str, str], top: str = "delay = 0\n"):
    text = top + "".join(f'[[source]]\nname = "{n}"\nurl = "{u}"\n' for n, u in entries)
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


# 1. The sources file -------------------------------------------------------------------


def test_run_archives_every_source_named_in_posts_source(servers, tmp_path, db_path):
    alpha, beta = servers(), servers()
    serve_listing(alpha, posts(12))
    serve_listing(beta, [f"Beta {t}" for t in posts(5)])
    path = sources_file(tmp_path, ("alpha", alpha.url("/")), ("beta", beta.url("/")))
    result = run("run", str(path), db=db_path)
    assert result.exit_code == 0, result.output
    db = open_archive(str(db_path))
    counts = dict(db.execute("select source, count(*) from posts group by source").fetchall())
    assert counts == {"alpha": 12, "beta": 5}


def test_a_bad_sources_file_exits_2_naming_file_source_and_key(tmp_path, db_path):
    path = tmp_path / "sources.toml"
    path.write_text('[[source]]\nname = "blog"\nurl = "http://127.0.0.1:9/"\nmax_pages = "ten"\n')
    result = run("run", str(path), db=db_path)
    assert result.exit_code == 2
    assert f'{path}: source #1 ("blog"): max_pages:' in result.stderr
    assert "Traceback" not in result.output
    assert not db_path.exists()


# 2. Incremental walks ------------------------------------------------------------------


def test_incremental_walk_stops_at_the_first_page_of_known_posts(server, db_path):
    serve_listing(server, posts(50), etag=False)
    assert scrape(server, db_path).exit_code == 0
    server.requests.clear()
    serve_listing(server, posts(53), etag=False)  # 3 new posts on top
    result = scrape(server, db_path)
    assert result.exit_code == 0
    assert listing_hits(server) == ["/", "/page/2/"]
    assert "3 new (incremental, stopped: reached known posts)" in result.stdout


def test_full_walks_to_the_end_and_fetches_every_page_afresh(server, db_path):
    serve_listing(server, posts(50))
    scrape(server, db_path)
    server.requests.clear()
    result = scrape(server, db_path, "--full")
    assert result.exit_code == 0
    assert len(listing_hits(server)) == 5
    assert not any("If-None-Match" in r.headers for r in server.requests)
    assert "(full, stopped: end of listing)" in result.stdout


def test_after_a_failed_run_the_next_walk_goes_to_the_end(server, db_path):
    serve_listing(server, posts(50), etag=False)
    server.route("/page/3/", Reply(status=404))
    assert scrape(server, db_path).exit_code == 1
    serve_listing(server, posts(50), etag=False)  # page 3 is back
    server.requests.clear()
    result = scrape(server, db_path)
    assert result.exit_code == 0
    assert len(listing_hits(server)) == 5  # page 1 was all known, but pages 3-5 were not
    assert open_archive(str(db_path))["posts"].count == 50


# 3. Conditional GET --------------------------------------------------------------------


def test_an_unchanged_rerun_of_a_50_page_listing_makes_one_listing_request(server, db_path):
    serve_listing(server, posts(500))
    assert scrape(server, db_path).exit_code == 0
    assert len(listing_hits(server)) == 50
    server.requests.clear()
    result = scrape(server, db_path)
    assert result.exit_code == 0
    assert listing_hits(server) == ["/"]
    assert "If-None-Match" in server.requests[-1].headers
    assert "0 pages fetched, 1 not modified, 10 entries seen, 0 new" in result.stdout
    assert "stopped: unchanged since last run" in result.stdout
    db = open_archive(str(db_path))
    seen_twice = db.execute("select count(*) from posts where times_seen = 2").fetchone()[0]
    assert seen_twice == 10  # page 1's known posts count as seen again


def test_after_three_new_posts_a_rerun_makes_at_most_two_listing_requests(server, db_path):
    serve_listing(server, posts(500))
    scrape(server, db_path)
    serve_listing(server, posts(503))
    server.requests.clear()
    result = scrape(server, db_path)
    assert result.exit_code == 0
    assert len(listing_hits(server)) <= 2
    assert open_archive(str(db_path))["posts"].count == 503


def test_last_modified_is_sent_back_as_if_modified_since(server, db_path):
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"
    serve_listing(server, posts(5), etag=False, headers={"Last-Modified": stamp})
    scrape(server, db_path)
    scrape(server, db_path)
    assert server.requests[-1].headers.get("If-Modified-Since") == stamp


# 4. Politeness -------------------------------------------------------------------------


def test_robots_txt_disallowing_the_listing_fails_the_source_clearly(server, db_path):
    serve_listing(server, posts(5))
    server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /\n", headers=ROBOTS_TXT))
    result = scrape(server, db_path)
    assert result.exit_code == 1
    assert "robots.txt" in result.stdout and "--ignore-robots" in result.stdout
    assert listing_hits(server) == []


def test_ignore_robots_neither_fetches_nor_obeys_robots_txt(server, db_path):
    serve_listing(server, posts(5))
    server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /\n", headers=ROBOTS_TXT))
    result = scrape(server, db_path, "--ignore-robots")
    assert result.exit_code == 0
    assert server.hits("/robots.txt") == 0
    assert listing_hits(server) == ["/"]


def test_a_crawl_delay_longer_than_the_delay_is_honoured(server, db_path):
    serve_listing(server, posts(30))
    server.route(
        "/robots.txt", Reply(body=b"User-agent: *\nCrawl-delay: 0.6\n", headers=ROBOTS_TXT)
    )
    assert scrape(server, db_path).exit_code == 0
    times = [r.at for r in server.requests if r.path != "/robots.txt"]
    assert len(times) == 3
    # Half the delay: the server stamps arrivals, and a loaded machine may wake it late
    # for one request and promptly for the next; without the Crawl-delay the gap is ~0.
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.3


def test_robots_txt_is_fetched_once_per_host_per_run(server, tmp_path, db_path):
    serve_listing(server, posts(5), prefix="/a")
    serve_listing(server, posts(5, start=100), prefix="/b")
    path = sources_file(tmp_path, ("a", server.url("/a/")), ("b", server.url("/b/")))
    assert run("run", str(path), db=db_path).exit_code == 0
    assert server.hits("/robots.txt") == 1


# 5. Many sources at once ---------------------------------------------------------------


def test_sources_on_different_hosts_run_concurrently(servers, tmp_path, db_path):
    alpha, beta = servers(), servers()
    for server, name in ((alpha, "Alpha"), (beta, "Beta")):
        serve_listing(server, [f"{name} {t}" for t in posts(40)])
    # Each source's page 2 is answered only once the other source has asked for its
    # page 1: sources walked one after the other would never get past page 2.
    for this, other in ((alpha, beta), (beta, alpha)):
        asked = threading.Event()
        other.routes["/"][0].arrived = asked
        this.routes["/page/2/"][0].gate = asked
    path = sources_file(tmp_path, ("alpha", alpha.url("/")), ("beta", beta.url("/")))
    result = run("run", str(path), "--jobs", "2", "--json", db=db_path)
    assert result.exit_code == 0, result.output
    assert [s["pages_fetched"] for s in json.loads(result.stdout)["sources"]] == [4, 4]


def test_one_hosts_requests_are_strictly_sequential_with_its_delay(server, tmp_path, db_path):
    for prefix, start in (("/a", 0), ("/b", 100), ("/c", 200)):
        serve_listing(server, posts(20, start=start), prefix=prefix)
    path = sources_file(tmp_path, *[(p, server.url(f"/{p}/")) for p in "abc"], top="delay = 0.3\n")
    assert run("run", str(path), "--jobs", "4", db=db_path).exit_code == 0
    assert server.max_active == 1
    times = [r.at for r in server.requests]
    assert len(times) == 7  # robots.txt + 2 pages x 3 sources
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.15  # half: stamped late


def test_many_sources_at_once_archive_everything_through_one_writer(servers, tmp_path, db_path):
    entries = []
    for i in range(6):
        server = servers()
        serve_listing(server, [f"S{i} {t}" for t in posts(25)])
        entries.append((f"s{i}", server.url("/")))
    path = sources_file(tmp_path, *entries)
    assert run("run", str(path), "--jobs", "3", db=db_path).exit_code == 0
    db = open_archive(str(db_path))
    assert db["posts"].count == 150
    assert [r["status"] for r in db["runs"].rows] == ["ok"] * 6


# 6. Unattended -------------------------------------------------------------------------


def test_the_archive_uses_wal_and_a_busy_timeout(db_path):
    db = open_archive(str(db_path))
    assert db.journal_mode == "wal"
    assert db.execute("pragma busy_timeout").fetchone()[0] >= 5000


def test_a_second_run_on_a_locked_archive_exits_3(server, db_path):
    serve_listing(server, posts(5))
    with archive_lock(db_path):
        result = scrape(server, db_path)
    assert result.exit_code == 3
    assert f"archive {db_path} is busy" in result.stderr
    assert listing_hits(server) == []


def test_wait_lets_a_second_run_wait_for_the_lock(server, db_path):
    serve_listing(server, posts(5))
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with archive_lock(db_path):
            held.set()
            release.wait(DEADLINE)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(DEADLINE)
    threading.Timer(0.5, release.set).start()  # while the scrape waits, as a rule
    result = scrape(server, db_path, "--wait", str(DEADLINE))
    holder.join()
    assert result.exit_code == 0, result.output


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(server, db_path):
    serve_listing(server, posts(5))
    db = open_archive(str(db_path))
    stale = start_run(db, source="blog", url=server.url("/"))
    db.close()
    assert scrape(server, db_path).exit_code == 0
    row = open_archive(str(db_path))["runs"].get(stale)
    assert row["status"] == "interrupted" and row["finished"]


def test_one_failing_source_exits_1_and_the_others_still_archive(servers, tmp_path, db_path):
    good, bad = servers(), servers()
    serve_listing(good, posts(5))
    path = sources_file(tmp_path, ("good", good.url("/")), ("bad", bad.url("/missing/")))
    result = run("run", str(path), db=db_path)
    assert result.exit_code == 1
    db = open_archive(str(db_path))
    runs = {r["source"]: r for r in db["runs"].rows}
    assert runs["good"]["status"] == "ok" and runs["good"]["new_posts"] == 5
    assert runs["bad"]["status"] == "failed"
    assert "HTTP 404" in runs["bad"]["error"]
    serve_listing(bad, posts(3, start=50), prefix="/missing")  # the site is back
    assert run("run", str(path), db=db_path).exit_code == 0
    assert open_archive(str(db_path))["posts"].count == 8


# 7. Reporting --------------------------------------------------------------------------


def test_run_prints_a_line_per_source_and_a_total(servers, tmp_path, db_path):
    alpha, beta = servers(), servers()
    serve_listing(alpha, posts(12))
    path = sources_file(tmp_path, ("alpha", alpha.url("/")), ("beta", beta.url("/nope/")))
    lines = run("run", str(path), db=db_path).stdout.splitlines()
    assert lines[0] == (
        "alpha: ok, 2 pages fetched, 0 not modified, 12 entries seen, 12 new"
        " (full, stopped: end of listing)"
    )
    assert lines[1].startswith("beta: failed, 0 pages fetched") and "HTTP 404" in lines[1]
    assert lines[2] == (
        "total: 2 sources (1 failed), 2 pages fetched, 0 not modified, 12 entries seen, 12 new,"
        " 0 changed, 0 removed"
    )


def test_json_prints_one_object_with_sources_and_total(server, db_path):
    serve_listing(server, posts(12))
    result = scrape(server, db_path, "--json")
    report = json.loads(result.stdout)
    [source] = report["sources"]
    assert source["status"] == "ok" and source["pages_fetched"] == 2 and source["new_posts"] == 12
    assert report["total"] == {
        "sources": 1,
        "failed": 0,
        "degraded": 0,
        "pages_fetched": 2,
        "not_modified": 0,
        "entries_seen": 12,
        "new_posts": 12,
        "changed_posts": 0,
        "removed_posts": 0,
    }


def test_json_counts_have_the_names_of_the_runs_columns(server, db_path):
    serve_listing(server, posts(12))
    report = json.loads(scrape(server, db_path, "--json").stdout)
    columns = set(open_archive(str(db_path))["runs"].columns_dict)
    [source] = report["sources"]
    counts = {key for key, value in source.items() if type(value) is int and key != "run_id"}
    assert counts == {"pages_fetched", "not_modified", "entries_seen", "new_posts",
                      "changed_posts", "removed_posts"}  # fmt: skip
    assert counts <= columns
    assert set(report["total"]) - {"sources", "failed", "degraded"} == counts


def test_quiet_is_silent_only_when_nothing_is_new_and_nothing_failed(server, db_path):
    serve_listing(server, posts(5))
    assert "5 new" in scrape(server, db_path, "--quiet").stdout
    quiet = scrape(server, db_path, "--quiet")
    assert (quiet.exit_code, quiet.output) == (0, "")
    server.route("/", Reply(status=500))
    assert "failed" in scrape(server, db_path, "--quiet").stdout


def test_runs_hold_a_row_per_source_per_run_with_counts(server, db_path):
    serve_listing(server, posts(12))
    scrape(server, db_path)
    scrape(server, db_path)
    rows = list(
        open_archive(str(db_path)).query(
            "select mode, status, pages_fetched, not_modified, entries_seen, new_posts, stop_reason"
            " from runs order by id"
        )
    )
    assert rows == [
        {
            "mode": "full",
            "status": "ok",
            "pages_fetched": 2,
            "not_modified": 0,
            "entries_seen": 12,
            "new_posts": 12,
            "stop_reason": "end",
        },
        {
            "mode": "incremental",
            "status": "ok",
            "pages_fetched": 0,
            "not_modified": 1,
            "entries_seen": 10,
            "new_posts": 0,
            "stop_reason": "not_modified",
        },
    ]

"""A trial run never hides a backlog: a walk cut short (``--max-pages``, robots.txt, an
error) leaves the source backfilling, and its next runs go on past the known posts, from
the first page no run has fetched, until one reaches the end; the summary says so.
Through the real CLI against a real listing on 127.0.0.1 and a real archive."""

from __future__ import annotations

import json
import sqlite3

import pytest
from click.testing import CliRunner

from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli
from listing_archiver.scraper.paginate import Walk

from .server import Reply, TestServer, serve_listing

ROBOTS_TXT = {"Content-Type": "text/plain"}


def posts(n: int, start: int = 0) -> list[str]:
    """``n`` post titles, newest first; a larger ``start`` means newer posts."""
    return [f"Post {i:04d}" for i in range(start + n, start, -1)]


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "archive.db"


def scrape(server: TestServer, db_path, *extra: str) -> dict[str, object]:
    """One ``scrape --json``: its report for the source, after its text twin was checked."""
    argv = ["scrape", str(db_path), server.url("/"), "--delay", "0", *extra]
    result = CliRunner().invoke(cli, [*argv, "--json"])
    assert "Traceback" not in result.output
    [report] = json.loads(result.stdout)["sources"]
    return dict(report)


def scrape_text(server: TestServer, db_path, *extra: str) -> str:
    argv = ["scrape", str(db_path), server.url("/"), "--delay", "0", *extra]
    return CliRunner().invoke(cli, argv).stdout


def listing_hits(server: TestServer) -> list[str]:
    return [r.path for r in server.requests if r.path != "/robots.txt"]


def archived(db_path) -> int:
    return open_archive(str(db_path))["posts"].count


def test_after_a_max_pages_trial_the_next_run_archives_the_rest_skipping_walked_pages(
    server, db_path
):
    serve_listing(server, posts(50))  # 5 pages
    trial = scrape(server, db_path, "--max-pages", "2")
    assert (trial["stop_reason"], trial["new_posts"], trial["backfilling"]) == (
        "max_pages",
        20,
        False,
    )
    server.requests.clear()

    text = scrape_text(server, db_path)

    # page 1 answers 304; page 2 was walked by the trial: on from page 3, the first unwalked
    assert listing_hits(server) == ["/", "/page/3/", "/page/4/", "/page/5/"]
    assert text.endswith(
        "3 pages fetched, 1 not modified, 40 entries seen, 30 new"
        " (incremental, backfilling, stopped: end of listing)\n"
    )
    assert archived(db_path) == 50
    server.requests.clear()
    after = scrape(server, db_path)  # walked to the end once: incremental runs stop early
    assert listing_hits(server) == ["/"]
    assert (after["mode"], after["stop_reason"], after["backfilling"]) == (
        "incremental",
        "not_modified",
        False,
    )


def test_max_pages_caps_each_backfilling_run_and_each_goes_on_where_the_last_stopped(
    server, db_path
):
    serve_listing(server, posts(50))
    scrape(server, db_path, "--max-pages", "1")
    walked = []
    for _ in range(3):
        server.requests.clear()
        report = scrape(server, db_path, "--max-pages", "2")  # page 1 (a 304) + one more
        walked += listing_hits(server)[1:]
        assert (report["backfilling"], report["stop_reason"]) == (True, "max_pages")
    assert walked == ["/page/2/", "/page/3/", "/page/4/"]
    assert archived(db_path) == 40
    server.requests.clear()
    last = scrape(server, db_path, "--max-pages", "2")
    assert listing_hits(server) == ["/", "/page/5/"]
    assert (last["backfilling"], last["stop_reason"], archived(db_path)) == (True, "end", 50)
    assert scrape(server, db_path)["backfilling"] is False


def test_new_posts_since_the_trial_are_archived_along_with_the_backlog(server, db_path):
    serve_listing(server, posts(30))
    scrape(server, db_path, "--max-pages", "1")
    serve_listing(server, posts(35))  # 5 new posts on top push the rest down
    report = scrape(server, db_path)
    assert (report["backfilling"], report["stop_reason"]) == (True, "end")
    assert (report["new_posts"], archived(db_path)) == (25, 35)


def test_a_walk_stopped_by_robots_txt_backfills_until_robots_txt_lets_it_reach_the_end(
    server, db_path
):
    serve_listing(server, posts(30))
    disallow = Reply(body=b"User-agent: *\nDisallow: /page/3/\n", headers=ROBOTS_TXT)
    server.route("/robots.txt", disallow)
    first = scrape(server, db_path)
    assert (first["stop_reason"], first["backfilling"], first["new_posts"]) == ("robots", False, 20)
    second = scrape(server, db_path)  # still forbidden: still backfilling, not "unchanged"
    assert (second["stop_reason"], second["backfilling"]) == ("robots", True)
    text = scrape_text(server, db_path)
    assert "(incremental, backfilling, stopped: robots.txt forbids the next page)" in text
    server.route("/robots.txt", Reply(body=b"User-agent: *\nAllow: /\n", headers=ROBOTS_TXT))
    server.requests.clear()
    third = scrape(server, db_path)
    assert listing_hits(server) == ["/", "/page/3/"]
    assert (third["stop_reason"], third["backfilling"], archived(db_path)) == ("end", True, 30)
    assert scrape(server, db_path)["backfilling"] is False


def test_after_a_failed_page_the_next_run_says_it_is_backfilling(server, db_path):
    serve_listing(server, posts(50))
    server.route("/page/3/", Reply(status=404))
    failed = scrape(server, db_path)
    assert (failed["status"], failed["backfilling"]) == ("failed", False)
    serve_listing(server, posts(50))  # page 3 is back
    text = scrape_text(server, db_path)
    # the next walk after a failure is a full one, as before: now it also says why
    assert "(full, backfilling, stopped: end of listing)" in text
    assert archived(db_path) == 50
    assert scrape(server, db_path)["backfilling"] is False


def test_a_failed_backfilling_run_says_backfilling_and_keeps_the_source_backfilling(
    server, db_path
):
    serve_listing(server, posts(30))
    scrape(server, db_path, "--max-pages", "1")
    server.route("/page/2/", Reply(status=404))
    text = scrape_text(server, db_path)
    assert "failed" in text and "(backfilling); error: GET" in text
    serve_listing(server, posts(30))
    assert scrape(server, db_path)["backfilling"] is True  # a full walk, after the failure
    assert archived(db_path) == 30


def test_a_backfilling_run_stops_at_known_posts_when_the_pages_after_them_were_walked(
    server, db_path
):
    serve_listing(server, posts(50))
    scrape(server, db_path)  # the whole listing, once
    serve_listing(server, posts(51))  # one new post
    capped = scrape(server, db_path, "--max-pages", "1")  # page 1 only: it was not all known
    assert (capped["stop_reason"], capped["new_posts"]) == ("max_pages", 1)
    server.requests.clear()
    text = scrape_text(server, db_path)
    # page 1 unchanged (304); from it, the pages archived before lead to the listing's end
    assert listing_hits(server) == ["/"]
    assert (
        "(incremental, backfilling, stopped: reached known posts, and the pages after them"
        " were walked before)" in text
    )
    assert scrape(server, db_path)["backfilling"] is False


def test_an_archive_from_before_the_walk_state_migration_is_judged_by_its_runs(server, db_path):
    serve_listing(server, posts(30))
    scrape(server, db_path, "--max-pages", "1")
    scrape(server, db_path)  # backfills: fully walked
    scrape(server, db_path, "--max-pages", "1")  # page 1 unchanged: still fully walked
    other = TestServer().start()
    try:
        serve_listing(other, posts(30))
        scrape(other, db_path, "--max-pages", "1", "--source", "trial")
        # Before m010 this run stopped at page 1, "unchanged since last run": the backlog hid
        conn = sqlite3.connect(db_path)
        with conn:
            conn.execute(
                "insert into runs (source, url, mode, started, status, stop_reason)"
                " values ('trial', 'x', 'incremental', 'now', 'ok', 'not_modified')"
            )
            conn.execute("drop index runs_walk_extent")
            conn.execute("delete from _sqlite_migrations where name = 'm010_walk_state'")
        conn.close()
        reports = {
            "trial": scrape(other, db_path, "--source", "trial"),
            "done": scrape(server, db_path),
        }
    finally:
        other.stop()
    indexes = open_archive(str(db_path))["runs"].indexes
    assert "runs_walk_extent" in {index.name for index in indexes}  # migrated
    assert (reports["trial"]["backfilling"], reports["trial"]["stop_reason"]) == (True, "end")
    assert reports["done"]["backfilling"] is False
    assert (
        open_archive(str(db_path))
        .execute("select count(*) from posts where source = 'trial'")
        .fetchone()[0]
        == 30
    )


def test_a_walk_resumed_elsewhere_goes_on_there_and_a_refused_resume_is_ignored(server, fetcher):
    serve_listing(server, posts(50))
    walk = Walk(server.url("/"), fetcher)
    walked = []
    for page in walk:
        walked.append(page.requested_url)
        if page.number == 1:
            walk.resume_at(server.url("/page/4/"))
    assert walked == [server.url(p) for p in ("/", "/page/4/", "/page/5/")]
    assert walk.stop_reason == "end"
    other_host = Walk(server.url("/"), fetcher, max_pages=2)
    followed = []
    for page in other_host:  # off the start host: the guard refuses it, the walk goes on
        followed.append(page.requested_url)
        other_host.resume_at("http://elsewhere.example/page/9/")
    assert followed == [server.url("/"), server.url("/page/2/")]
    assert other_host.stop_reason == "max_pages"

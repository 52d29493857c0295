"""End to end over real sockets and a real SQLite file: the job, the CLI and the demo."""

from __future__ import annotations

import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli
from listing_archiver.job import scrape_source
from listing_archiver.sources import Source
from listing_archiver.writer import SerialWriter

from .conftest import FIXTURES
from .server import Reply, TestServer

EARLIER = FIXTURES / "papermod" / "earlier"
LATER = FIXTURES / "papermod" / "later"
SHIFTED = [
    "[Paper] Adafactor: Adaptive Learning Rates with Sublinear Memory Cost",
    "Mistake I Made that Crippled My Streamlit App",
]


@pytest.fixture
def db(tmp_path):
    database = open_archive(str(tmp_path / "archive.db"))
    yield database
    database.close()


def scrape(db, url, *, full=False):
    return scrape_source(SerialWriter(db), Source(name="blog", url=url, delay=0), full=full)


def _titles(db):
    return [r["title"] for r in db.query("select title from posts")]


def test_the_seeds_case_archives_each_post_once(site, fetcher, db):
    """Pages 1-2 fetched before two posts were published, pages 3-4 after: the seeds."""
    site.route("/", Reply(body=(EARLIER / "index.html").read_bytes()))
    site.route("/page/2/", Reply(body=(EARLIER / "page" / "2" / "index.html").read_bytes()))
    site.root = LATER
    report = scrape(db, site.url("/"))
    assert (report.status, report.pages_fetched, report.entries_seen) == ("ok", 4, 19)
    assert report.new_posts == 17 and report.duplicates_avoided == 2
    titles = _titles(db)
    assert len(titles) == len(set(titles)) == 17
    for title in SHIFTED:
        row = next(db.query("select times_seen from posts where title = ?", [title]))
        assert row["times_seen"] == 1  # seen on page 2 and page 3 of the same run


def test_a_full_rerun_over_the_shifted_listing_adds_only_the_new_posts(site, db):
    first = scrape(db, site.url("/"))
    assert (first.entries_seen, first.new_posts) == (17, 17)
    before = {r["title"]: r for r in db.query("select * from posts")}
    site.root = LATER
    second = scrape(db, site.url("/"), full=True)
    assert (second.pages_fetched, second.entries_seen, second.new_posts) == (4, 19, 2)
    after = {r["title"]: r for r in db.query("select * from posts")}
    assert len(after) == 19
    assert sorted(set(after) - set(before)) == [
        "Fine-tuning Whisper on a Single Consumer GPU",
        "What I Learned Writing a Tiny Autograd Engine",
    ]
    for title, old in before.items():
        assert after[title]["times_seen"] == 2
        assert after[title]["last_seen"] > old["last_seen"]
        assert after[title]["first_seen"] == old["first_seen"]
    runs = list(db.query("select status, pages_fetched, entries_seen, new_posts from runs"))
    assert runs == [
        {"status": "ok", "pages_fetched": 4, "entries_seen": 17, "new_posts": 17},
        {"status": "ok", "pages_fetched": 4, "entries_seen": 19, "new_posts": 2},
    ]


def test_a_failure_mid_walk_keeps_earlier_pages_and_a_rerun_repairs(site, fetcher, db):
    site.route("/page/3/", Reply(status=404))
    failed = scrape(db, site.url("/"))
    assert (failed.status, failed.pages_fetched, failed.new_posts) == ("failed", 2, 10)
    assert "/page/3/: HTTP 404" in failed.error
    assert db["runs"].get(failed.run_id)["status"] == "failed"
    del site.routes["/page/3/"]
    repaired = scrape(db, site.url("/"))
    assert (repaired.status, repaired.new_posts) == ("ok", 7)
    assert db["posts"].count == 17


def test_cli_scrape_prints_one_summary_line(site, tmp_path):
    result = CliRunner().invoke(
        cli, ["scrape", str(tmp_path / "a.db"), site.url("/"), "--delay", "0"]
    )
    assert result.exit_code == 0, result.output
    host = f"127.0.0.1:{site.port}"
    assert result.stdout == (
        f"{host}: ok, 4 pages fetched, 0 not modified, 17 entries seen, 17 new"
        " (full, stopped: end of listing)\n"
    )


def test_cli_options_reach_the_walk(site, tmp_path):
    args = [
        "scrape",
        str(tmp_path / "a.db"),
        site.url("/"),
        "--delay",
        "0",
        "--max-pages",
        "2",
        "--profile",
        "papermod",
        "--user-agent",
        "my-bot/1",
        "--timeout",
        "5",
        "--full",
        "--source",
        "veritable",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("veritable: ok, 2 pages fetched, 0 not modified, 10 entries")
    assert {r.headers["User-Agent"] for r in site.requests} == {"my-bot/1"}


def test_cli_failed_walk_exits_1_with_the_reason_and_no_traceback(server, tmp_path):
    result = CliRunner().invoke(
        cli, ["scrape", str(tmp_path / "a.db"), server.url("/missing/"), "--delay", "0"]
    )
    assert result.exit_code == 1
    assert f"error: GET {server.url('/missing/')}: HTTP 404 Not Found" in result.stdout
    assert "Traceback" not in result.output


def test_cli_dead_site_is_a_clear_failure(tmp_path):
    dead = TestServer().start()
    url = dead.url("/")
    dead.stop()  # nothing listens on that port any more
    result = CliRunner().invoke(
        cli, ["scrape", str(tmp_path / "a.db"), url, "--delay", "0", "--timeout", "1"]
    )
    assert result.exit_code == 1
    assert "connection refused" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scrape", "a.db", "ftp://x/"], "'ftp://x/' is not a valid http(s) URL"),
        (["scrape", "http://127.0.0.1/"], "write the archive first"),
        (["scrape", "a.db", "http://127.0.0.1/", "--max-pages", "0"], "--max-pages"),
        (["scrape", "a.db", "http://127.0.0.1/", "--profile", "nope"], "'papermod'"),
        (["scrape", "a.db", "http://127.0.0.1/", "--delay", "-1"], "--delay"),
    ],
)
def test_cli_bad_arguments_exit_2_with_a_usage_message(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_cli_refuses_a_file_that_is_not_an_archive(tmp_path, site):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database, just my notes\n" * 100)
    result = CliRunner().invoke(cli, ["scrape", str(bogus), site.url("/")])
    assert result.exit_code == 2
    assert f"{bogus} is not a SQLite database" in result.stderr
    assert bogus.read_text().startswith("not a database")


def test_demo_runs_offline_and_reports_dedup(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "listing_archiver", "demo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    runs = [
        "4 pages fetched, 0 not modified, 17 entries seen, 17 new posts, 0 duplicates avoided",
        "full walk, stopped: end of listing",
        "2 pages fetched, 0 not modified, 10 entries seen, 2 new posts, 8 duplicates avoided",
        "incremental walk, stopped: reached known posts",
        "0 pages fetched, 1 not modified, 5 entries seen, 0 new posts, 5 duplicates avoided",
        "incremental walk, stopped: unchanged since last run",
        "4 pages fetched, 0 not modified, 18 entries seen, 0 new posts, 1 changed, 1 removed,"
        " 17 duplicates avoided",
        "demo.db holds 19 posts (20 versions), each version stored once, and 4 runs.",
    ]
    positions = [out.index(line) for line in runs]
    assert positions == sorted(positions)
    history = shlex.split(out.split("See an edit:  ")[1].splitlines()[0])
    assert history == [sys.executable, "-m", "listing_archiver", "history", "demo.db",
                       "https://veritable.example/post/mixed-precision-training/"]  # fmt: skip
    shown = subprocess.run(
        history,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "2 versions" in shown.stdout and "changed title:" in shown.stdout
    db = open_archive(str(tmp_path / "demo.db"))
    assert db["posts"].count == 20
    assert db["runs"].count == 4

"""Hash scheme 2, a post is its URL, through real scrapes of pages on 127.0.0.1: entries
at different URLs are never one row, whatever their fields; one post under the URL
forms a listing varies (tracking and session parameters, http/https, www.) is one row."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli

from .conftest import FIXTURES
from .server import TestServer, html_page


def entry(title: str, href: str, excerpt: str = "Same words.", date: str = "2024-05-01") -> str:
    """A PaperMod listing entry linking to ``href`` as written (absolute or not)."""
    return (
        f'<article class="post-entry"><header class="entry-header"><h2>{title}</h2></header>'
        f'<div class="entry-content"><p>{excerpt}</p></div>'
        f"<footer class=\"entry-footer\"><span title='{date} 00:00:00 +0000 UTC'>{date}</span>"
        f"&nbsp;·&nbsp;<span>Vera</span></footer>"
        f'<a class="entry-link" href="{href}"></a></article>'
    )


def scrape(server: TestServer, db_path, *args: str) -> str:
    result = CliRunner().invoke(
        cli, ["scrape", str(db_path), server.url("/"), "--delay", "0", *args]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "archive.db"


def test_ten_job_ads_of_one_title_and_nothing_else_are_ten_posts(tmp_path, db_path):
    board = TestServer(FIXTURES / "jobs").start()
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "jobs"\nurl = "{board.url("/")}"\ndelay = 0\n'
        '[source.selectors]\nitem = "li.job"\ntitle = "a"\nurl = "a"\n'
    )
    try:
        result = CliRunner().invoke(cli, ["run", str(db_path), str(sources)])
    finally:
        board.stop()
    assert result.exit_code == 0, result.output
    assert "10 entries seen, 10 new" in result.stdout
    db = open_archive(str(db_path))
    keys = [key for (key,) in db.execute("select post_key from current_posts")]
    assert sorted(keys) == [
        board.url(f"/jobs/{n}").replace("http:", "https:") for n in range(101, 111)
    ]
    same = list(db.query("select title, posts from same_content"))
    assert len(same) == 10 and {(r["title"], r["posts"]) for r in same} == {
        ("Senior Software Engineer", 10)
    }


def test_one_post_on_two_pages_and_two_runs_with_utm_and_jsessionid_is_one_row(server, db_path):
    server.page(
        "/",
        html_page(
            entry("Weekly roundup", "/post/roundup/?utm_source=rss&utm_medium=feed"),
            entry("Other news", "/post/other/", excerpt="Different."),
            next_href="/page/2/",
        ),
    )
    server.page("/page/2/", html_page(entry("Weekly roundup", "/post/roundup;jsessionid=0AF3B2")))
    first = scrape(server, db_path)
    second = scrape(server, db_path, "--full")
    assert "3 entries seen, 2 new" in first and "3 entries seen, 0 new" in second
    db = open_archive(str(db_path))
    [row] = db.query("select * from posts where title = 'Weekly roundup'")
    assert row["times_seen"] == 2
    assert row["url"] == server.url("/post/roundup/?utm_source=rss&utm_medium=feed")  # as seen
    sightings = "select count(*) from sightings where content_hash = ?"
    assert db.execute(sightings, [row["content_hash"]]).fetchone()[0] == 4


def test_http_https_and_www_links_to_one_path_are_one_row(server, db_path):
    forms = [
        "http://www.news.example/2024/05/launch/",
        "https://news.example/2024/05/launch",
        "HTTPS://News.Example:443/2024/05/launch/#comments",
        "https://www.news.example/2024/05/launch/?sid=91&PHPSESSID=2",
    ]
    server.page("/", html_page(*(entry("Launch day", href) for href in forms)))
    assert "4 entries seen, 1 new" in scrape(server, db_path)
    db = open_archive(str(db_path))
    [row] = db.query("select post_key, url from posts")
    assert row == {"post_key": "https://news.example/2024/05/launch", "url": forms[0]}


def test_identical_content_at_two_urls_is_two_posts_shown_together(server, db_path):
    server.page(
        "/",
        html_page(
            entry("Cross-posted", "https://blog.example/post/cross/"),
            entry("Cross-posted", "https://mirror.example/cross/"),
            entry("Only here", "/post/only-here/", excerpt="Other words."),
        ),
    )
    assert "3 entries seen, 3 new" in scrape(server, db_path)
    db = open_archive(str(db_path))
    assert db.execute("select count(*) from current_posts").fetchone()[0] == 3
    same = list(
        db.query("select post_key, url, title, source, first_seen, posts from same_content")
    )
    assert sorted(r["post_key"] for r in same) == [
        "https://blog.example/post/cross",
        "https://mirror.example/cross",
    ]
    assert all(r["posts"] == 2 and r["title"] == "Cross-posted" and r["first_seen"] for r in same)

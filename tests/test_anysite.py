"""Pointing the tool at any site: probe, a source's own selectors, excerpt cleaning,
and the drift alarm when a site's layout changes under a scheduled run."""

from __future__ import annotations

import json

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli
from listing_archiver.scraper.parse import parse_page
from listing_archiver.scraper.text import clean_excerpt
from listing_archiver.sources import ConfigError, load_sources

from .server import Reply, html_page, papermod_entry, serve_listing

JOBS_BOARD = """<html><head><title>Jobs</title></head><body>
<nav><a href="/">Home</a><a href="/about">About</a></nav>
<div class="board">
  <div class="job"><span class="role">Data Engineer</span> <a class="apply" href="/jobs/1">Apply</a>
    <span class="posted">03.11.2026</span><p class="blurb">Pipelines &amp; warehouses.</p></div>
  <div class="job"><span class="role">Site Reliability Engineer</span>
    <a class="apply" href="/jobs/2">Apply</a><span class="posted">01.11.2026</span>
    <p class="blurb">On call, one week in six.</p></div>
</div>
<a class="more" href="/jobs?page=2">See more jobs</a>
</body></html>"""


def run(*args):
    return CliRunner().invoke(cli, list(args))


# Probe ---------------------------------------------------------------------------------


def test_probe_shows_the_profile_entries_and_missing_fields(site, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("probe", site.url("/page/2/"))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Profile: papermod   Entries: 5\n")
    assert "2021-07-25" in result.stdout and "Ceshine Lee" in result.stdout
    assert "Missing: none" in result.stdout
    assert f"Next page: {site.url('/page/3/')}" in result.stdout
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_probe_json_is_an_array_of_the_five_fields(site):
    result = run("probe", site.url("/"), "--json")
    entries = json.loads(result.stdout)
    assert len(entries) == 5
    assert set(entries[0]) == {"title", "url", "date", "author", "excerpt"}
    assert entries[0]["url"] == site.url("/post/onnx-sentence-embeddings/")
    assert entries[0]["date"] == "2021-10-30"


def test_probe_reports_missing_fields_and_nulls(server):
    entry = papermod_entry("Untitled author", "u").replace("<span>Ann Author</span>", "")
    server.page("/", html_page(entry, papermod_entry("Second", "s")))
    result = run("probe", server.url("/"))
    assert "Missing: author on 1 of 2" in result.stdout
    assert json.loads(run("probe", server.url("/"), "--json").stdout)[0]["author"] is None


def test_probe_of_a_page_without_entries_exits_1_with_the_reason(server):
    server.page("/", "<html><body><p>Nothing here</p></body></html>")
    result = run("probe", server.url("/"))
    assert result.exit_code == 1
    assert f"{server.url('/')}: no entries found" in result.stderr


# A source's own selectors ----------------------------------------------------------------


def test_selectors_in_the_sources_file_read_a_site_no_profile_knows(server, tmp_path):
    server.page("/jobs", JOBS_BOARD)
    path = tmp_path / "sources.toml"
    path.write_text(f"""delay = 0
[[source]]
name = "jobs"
url = "{server.url("/jobs")}"
[source.selectors]
item = "div.job"
title = ".role"
url = "a.apply"
date = ".posted"
date_format = "%d.%m.%Y"
excerpt = ".blurb"
next = "a.more"
""")
    [source] = load_sources(path)
    assert source.selectors["item"] == "div.job"
    db = tmp_path / "a.db"
    result = run("run", str(db), str(path))
    assert "jobs: ok" in result.stdout, result.output
    rows = list(open_archive(str(db)).query("select title, url, date, excerpt from posts"))
    assert rows[0] == {
        "title": "Data Engineer",
        "url": server.url("/jobs/1"),
        "date": "2026-11-03",
        "excerpt": "Pipelines & warehouses.",
    }
    # page 2 (/jobs?page=2) came from the source's own `next` selector ("See more jobs")
    assert server.hits("/jobs") == 2


def test_selectors_override_a_profile_for_one_source():
    entry = papermod_entry("T", "t").replace("<span>Ann Author</span>", "<em class='by'>Bo</em>")
    page = parse_page(html_page(entry), "https://b.org/", overrides={"author": "em.by"})
    assert page.profile == "papermod+custom"
    assert page.entries[0].author == "Bo"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('item = "div..job"', "selectors: item: not a valid CSS selector"),
        ('itme = "div"', "selectors: unknown key 'itme' (did you mean 'item'?)"),
        ('date_format = "dd.mm.yyyy"', "selectors: date_format: expected a strptime format"),
    ],
)
def test_bad_selectors_are_config_errors_naming_the_key(tmp_path, table, message):
    path = tmp_path / "sources.toml"
    path.write_text(f'[[source]]\nurl = "https://a.example/"\n[source.selectors]\n{table}\n')
    with pytest.raises(ConfigError) as caught:
        load_sources(path)
    assert f'{path}: source #1 ("a.example"): {message}' in str(caught.value)


# Excerpts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<div>Short summary. <a href="/p">Read more »</a></div>', "Short summary."),
        ('<div>Kurz. <a href="/p">Weiterlesen</a></div>', "Kurz."),
        (
            '<div>Summary <a class="more-link" href="/p">Continue reading <span>Title</span>'
            "</a></div>",
            "Summary",
        ),
        ("<div><p>My Title: the summary proper.</p></div>", "the summary proper."),
        ("<div><h2>My Title</h2><p>The summary.</p></div>", "The summary."),
        (
            '<div><p>A whole post, kept whole.</p><p>Second paragraph with a <a href="/x">link</a>.'
            "</p></div>",
            "A whole post, kept whole. Second paragraph with a link.",
        ),
    ],
)
def test_excerpts_drop_read_more_links_and_the_repeated_title(html, expected):
    element = BeautifulSoup(html, "lxml").div
    assert clean_excerpt(element, title="My Title") == expected


# Drift alarm ---------------------------------------------------------------------------


def test_a_field_gone_missing_marks_the_run_degraded_and_archives_nothing_wrong(server, tmp_path):
    db = tmp_path / "a.db"
    titles = [f"Post {i}" for i in range(20, 0, -1)]
    serve_listing(server, titles)
    assert run("scrape", str(db), server.url("/"), "--delay", "0").exit_code == 0
    broken = [
        papermod_entry(f"Post {i}", f"post-{i}").replace("<span>Ann Author</span>", "")
        for i in range(23, 13, -1)
    ]  # the theme changed: no author any more
    server.page("/", html_page(*broken, next_href="/page/2/"))
    result = run("scrape", str(db), server.url("/"), "--delay", "0")
    assert result.exit_code == 1
    line = result.stdout.strip()
    assert line.startswith(f"127.0.0.1:{server.port}: degraded")
    assert "layout drift, page not archived: author missing from 10 of 10 entries" in line
    archive = open_archive(str(db))
    assert archive["posts"].count == 20  # no spurious author-less versions
    assert archive["runs"].get(2)["status"] == "degraded"
    accepted = run("scrape", str(db), server.url("/"), "--delay", "0", "--accept-drift")
    assert accepted.exit_code == 0, accepted.output


def test_a_page_that_yields_no_entries_marks_the_run_degraded(server, tmp_path):
    db = tmp_path / "a.db"
    serve_listing(server, [f"Post {i}" for i in range(5, 0, -1)])
    run("scrape", str(db), server.url("/"), "--delay", "0")
    server.route("/", Reply(body=b"<html><body><div class='new-theme'>Hi</div></body></html>"))
    result = run("scrape", str(db), server.url("/"), "--delay", "0", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["sources"][0]["status"] == "degraded"
    assert "no entries found" in report["sources"][0]["error"]
    assert report["total"]["degraded"] == 1 and report["total"]["failed"] == 0

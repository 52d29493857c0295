"""``probe`` as the workbench for a source: ``--sources FILE --source NAME`` tries a
source as ``run`` walks it; ``--explain`` says why the profile was chosen and why there
is no next page; messages say what to do next rather than "run probe"; and a selector
table that cannot work is refused when the sources file loads. Each case runs the real
command line in a child process against a real server on 127.0.0.1 serving fixtures/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.cli import cli

from .conftest import FIXTURES
from .server import Reply, TestServer, html_page, papermod_entry
from .test_errors import one_line, tool

AGENT = "workbench-bot/1 (+https://example.org/bot)"


@pytest.fixture
def board() -> Iterator[TestServer]:
    """The bundled job board (fixtures/jobs): a list of links no built-in profile knows."""
    server = TestServer(FIXTURES / "jobs").start()
    yield server
    server.stop()


def sources_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def jobs_source(url: str, name: str = "jobs") -> str:
    return (
        f'[[source]]\nname = "{name}"\nurl = "{url}"\ndelay = 0\nuser_agent = "{AGENT}"\n'
        '[source.selectors]\nitem = "li.job"\ntitle = "a"\nurl = "a"\n'
    )


# --- 1. a source of a sources file, tried as run would --------------------------------------


def test_probe_sources_tries_the_sources_selectors_and_user_agent(board, tmp_path):
    path = sources_file(tmp_path, jobs_source(board.url("/")))
    result = tool("probe", "--sources", str(path), "--source", "jobs", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    entries = json.loads(result.stdout)
    assert len(entries) == 10
    assert entries[0] == {
        "title": "Senior Software Engineer",
        "url": board.url("/jobs/101/"),
        "date": None,
        "author": None,
        "excerpt": None,
    }
    agents = {r.headers.get("User-Agent") for r in board.requests}
    assert agents == {AGENT}  # robots.txt and the page alike, as the source's run sends
    assert board.hits("/robots.txt") == 1


def test_probe_sources_explains_the_sources_own_selectors_in_text(board, tmp_path):
    path = sources_file(tmp_path, jobs_source(board.url("/")))
    result = tool("probe", "--sources", str(path), "--explain", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Profile: custom   Entries: 10\n")
    assert (
        "Why this profile: the source's own selectors (item, title, url): "
        "no built-in profile matches the page\n" in result.stdout
    )
    assert "the source's selectors" in result.stdout  # per field, in the table
    assert (
        "Next page: none (no next link: no rel=next, no link reading as next or older, no "
        "number after the current page in a numbered pager, no load-more link; nothing on the "
        "page looks like another page of the listing)\n" in result.stdout
    )


def test_probe_sources_follows_the_sources_hosts_and_says_why_a_link_is_refused(server, tmp_path):
    other_host = server.url("/page/2/", host="localhost")  # never fetched: one page only
    server.page("/", html_page(papermod_entry("One", "one"), next_href=other_host))
    plain = tool("probe", server.url("/"), "--ignore-robots", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    assert (
        f"Next page: none (the next link {other_host} leaves 127.0.0.1 "
        "(list localhost under hosts in a sources file to follow it))\n"
    ) in plain.stdout

    source = f'[[source]]\nname = "b"\nurl = "{server.url("/")}"\nhosts = ["localhost"]\n'
    path = sources_file(tmp_path, source + "delay = 0\n")
    tried = tool("probe", "--sources", str(path), "--ignore-robots", cwd=tmp_path)
    assert tried.returncode == 0, tried.stderr
    assert f"Next page: {other_host}\n" in tried.stdout
    assert server.hits("/page/2/") == 0


def test_probe_sources_profile_is_the_sources_and_the_option_replaces_it(site, tmp_path):
    source = f'[[source]]\nname = "blog"\nurl = "{site.url("/")}"\nprofile = "wordpress"\n'
    path = sources_file(tmp_path, source + "delay = 0\n")
    named = tool("probe", "--sources", str(path), "--source", "blog", cwd=tmp_path)
    assert named.returncode == 1
    assert "profile 'wordpress' found no entries" in one_line(named.stderr)
    given = tool(
        "probe", "--sources", str(path), "--profile", "papermod", "--explain", cwd=tmp_path
    )
    assert given.returncode == 0, given.stderr
    assert "Why this profile: given with --profile\n" in given.stdout


def test_probe_sources_without_such_a_source_lists_the_names_in_the_file(board, tmp_path):
    text = jobs_source(board.url("/"), "jobs") + jobs_source(board.url("/"), "careers")
    path = sources_file(tmp_path, text)
    unknown = tool("probe", "--sources", str(path), "--source", "job", cwd=tmp_path)
    assert unknown.returncode == 2
    assert one_line(unknown.stderr) == (
        f'Error: {path}: no source named "job" (did you mean "jobs"?); '
        'its sources: "jobs", "careers"'
    )
    unnamed = tool("probe", "--sources", str(path), cwd=tmp_path)
    assert unnamed.returncode == 2
    assert one_line(unnamed.stderr) == (
        f'Error: {path} has 2 sources; name one with --source: "jobs", "careers"'
    )
    assert board.requests == []  # nothing fetched for a source that was not found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give a URL or --sources FILE (with --source NAME), not both"),
        (("--source", "jobs", "URL"), "--source NAME picks a source of --sources FILE"),
        (("URL", "--sources", "s.toml"), "give a URL or --sources FILE"),
    ],
)
def test_probe_takes_a_url_or_a_source_not_both_nor_neither(board, tmp_path, args, message):
    sources_file(tmp_path, jobs_source(board.url("/")))
    argv = [board.url("/") if a == "URL" else a for a in args]
    result = tool("probe", *argv, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert board.requests == []


# --- 2. --explain: the profile and why, the next page and why; --json stays an array ------


def test_explain_json_adds_why_the_profile_and_the_next_page_to_the_entries(site, tmp_path):
    plain = tool("probe", site.url("/page/4/"), "--json", cwd=tmp_path)
    explained = tool("probe", site.url("/page/4/"), "--json", "--explain", cwd=tmp_path)
    assert plain.returncode == explained.returncode == 0, explained.stderr
    report = json.loads(explained.stdout)
    assert report["entries"] == json.loads(plain.stdout)  # the plain array, unchanged
    assert report["profile"] == "papermod"
    assert report["profile_reason"] == (
        "detected: the page's generator tag and markup match the built-in profile "
        "'papermod', and it fills every field of every entry"
    )
    assert report["next"] == {
        "url": None,
        "reason": "no next link: nothing matches the profile's next selector "
        "'nav.pagination a.next'; no rel=next, no link reading as next or older, no number "
        "after the current page in a numbered pager, no load-more link; nothing on the page "
        "looks like another page of the listing",
    }
    first = json.loads(tool("probe", site.url("/"), "--json", "--explain", cwd=tmp_path).stdout)
    assert first["next"] == {"url": site.url("/page/2/"), "reason": None}


def test_without_explain_the_last_page_says_next_page_none_and_why(site, tmp_path):
    result = tool("probe", site.url("/page/4/"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert last.startswith("Next page: none (no next link: nothing matches the profile's")
    assert "Why this profile" not in result.stdout  # that is --explain's


def test_explain_says_why_a_learned_profile_beat_the_built_in_ones(server, tmp_path):
    items = "".join(
        f'<li><a href="/news/item-{d}/">Council meets about item number {d}</a>'
        f'<span class="date">2024-03-{d:02d}</span></li>'
        for d in range(1, 6)
    )
    server.page("/", f'<html><body><main><ul class="news">{items}</ul></main></body></html>')
    result = tool("probe", server.url("/"), "--json", "--explain", "--ignore-robots", cwd=tmp_path)
    report = json.loads(result.stdout)
    assert report["profile"] == "learned"
    assert report["profile_reason"].startswith(
        "no built-in profile matches the page; a profile learned from the page fills "
        "15 of 25 fields in 5 entries"
    )


def test_a_next_page_robots_txt_forbids_is_shown_with_the_reason(site, tmp_path):
    site.route(
        "/robots.txt",
        Reply(body=b"User-agent: *\nDisallow: /page/2/\n", headers={"Content-Type": "text/plain"}),
    )
    result = tool("probe", site.url("/"), "--pages", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        f"Next page: {site.url('/page/2/')} (robots.txt forbids it: a walk stops before it)\n"
        in result.stdout
    )
    assert site.hits("/page/2/") == 0


# --- 3. messages say what to do next ----------------------------------------------------------


def test_a_wrong_profile_names_the_profile_that_fits_not_layout_drift(site, tmp_path):
    result = tool("probe", site.url("/"), "--profile", "wordpress", cwd=tmp_path)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert line == (
        f"Error: {site.url('/')}: profile 'wordpress' found no entries: its item selector "
        "'li.wp-block-post, article.type-post, div.type-post' matches nothing on this page, "
        "which matches the built-in profile 'papermod': use that profile, or leave the "
        "profile out to detect it"
    )
    assert "layout" not in line and "probe" not in line


def test_a_failed_scrape_says_what_to_do_without_sending_the_user_to_probe(site, tmp_path):
    db = tmp_path / "a.db"
    result = tool(
        "scrape", str(db), site.url("/"), "--profile", "wordpress", "--delay", "0",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert "use that profile, or leave the profile out to detect it" in result.stdout
    assert "probe" not in result.stdout + result.stderr


def test_a_page_nothing_reads_says_what_to_do_without_sending_the_user_to_probe(server, tmp_path):
    server.page("/", "<html><body><p>Nothing here</p></body></html>")
    result = tool("scrape", str(tmp_path / "a.db"), server.url("/"), cwd=tmp_path)
    assert result.returncode == 1
    assert "give the source its own selectors, item and title" in result.stdout
    assert "probe" not in result.stdout + result.stderr


def test_a_sources_item_selector_that_matches_nothing_says_to_fix_it(board, tmp_path):
    text = jobs_source(board.url("/")).replace('item = "li.job"', 'item = "li.vacancy"')
    path = sources_file(tmp_path, text)
    result = tool("probe", "--sources", str(path), cwd=tmp_path)
    assert result.returncode == 1
    assert one_line(result.stderr).endswith(
        "profile 'custom' found no entries: its item selector 'li.vacancy' matches nothing "
        "on this page: fix item under [source.selectors]"
    )


# --- 4. a selector table that cannot work is a config error when the file loads ---------------


def test_selectors_without_item_or_a_profile_are_refused_at_load_time(board, tmp_path):
    text = f'[[source]]\nname = "jobs"\nurl = "{board.url("/")}"\n[source.selectors]\n'
    path = sources_file(tmp_path, text + 'date = ".posted"\n')
    run = tool("run", str(tmp_path / "a.db"), str(path), cwd=tmp_path)
    probe = tool("probe", "--sources", str(path), cwd=tmp_path)
    expected = (
        f'Error: {path}: source #1 ("jobs"): selectors: date without item, and no profile to '
        "extend: add item (the selector of one entry block) under [source.selectors], or "
        'name the profile these selectors go before, with profile = "NAME" (one of '
    )
    for result in (run, probe):
        assert result.returncode == 2
        assert one_line(result.stderr).startswith(expected)
    assert board.requests == []  # refused before any request
    assert not (tmp_path / "a.db").exists()


@pytest.mark.parametrize(
    "profile",
    ['profile = "papermod"\n[[source]]', '[[source]]\nprofile = "papermod"'],
    ids=["top-level default", "the source's own"],
)
def test_selectors_without_item_extend_a_named_profile(site, tmp_path, profile):
    text = f'delay = 0\n{profile}\nname = "blog"\nurl = "{site.url("/")}"\n'
    path = sources_file(tmp_path, text + '[source.selectors]\nauthor = ".entry-footer span"\n')
    result = tool("probe", "--sources", str(path), "--explain", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Profile: papermod+custom   Entries: 5\n")
    assert (
        "Why this profile: the source's profile = 'papermod', the source's own selectors "
        "(author) put first\n" in result.stdout
    )


def test_titles_and_selectors_in_square_brackets_are_shown_as_written(server):
    """Rich reads "[...]" as markup: "a[href]" lost its "[href]", a title holding "[/b]"
    crashed the table. Shown through the CLI at a width that folds nothing."""
    server.page("/", html_page(papermod_entry("Notes on [/b] and [x]", "notes")))
    result = CliRunner().invoke(
        cli, ["probe", server.url("/"), "--explain", "--ignore-robots"], env={"COLUMNS": "250"}
    )
    assert result.exit_code == 0, result.output
    assert "Notes on [/b] and [x]" in result.stdout
    assert "a.entry-link[href]  |  .entry-header a[href]" in result.stdout

"""``probe`` on a site no built-in profile knows: the first N pages as a walk reads them
(``--pages``), where each field came from (``--explain``), and the learned profile
handed over as an editable TOML file (``--save-profile``) that ``--profile FILE`` and
a sources file's ``profile = "path"`` read back. Real server, the real CLI."""

from __future__ import annotations

import json

from click.testing import CliRunner

from listing_archiver.cli import cli
from listing_archiver.scraper.profile import load_profile
from listing_archiver.sources import load_sources


def _news(days: range, next_href: str | None) -> str:
    items = "".join(
        f'<li><a href="/news/item-{d}/">Council meets about item number {d}</a>'
        f'<span class="date">2024-03-{d:02d}</span></li>'
        for d in days
    )
    nav = f'<a rel="next" href="{next_href}">Older</a>' if next_href else ""
    return f'<html><body><main><ul class="news">{items}</ul>{nav}</main></body></html>'


def _serve(server) -> None:  # type: ignore[no-untyped-def]
    server.page("/", _news(range(1, 6), "/page/2/"))
    server.page("/page/2/", _news(range(6, 9), None))


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def test_probe_pages_previews_the_walk_and_numbers_each_entrys_page(server):
    _serve(server)
    result = run("probe", server.url("/"), "--pages", "2", "--json", "--ignore-robots")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.stdout)
    assert [e["page"] for e in entries] == [1] * 5 + [2] * 3
    assert [e["date"] for e in entries] == [f"2024-03-{d:02d}" for d in range(1, 9)]
    assert server.hits("/page/2/") == 1


def test_probe_json_stays_the_array_and_explain_wraps_it_with_each_fields_origin(server):
    _serve(server)
    plain = json.loads(run("probe", server.url("/"), "--json", "--ignore-robots").stdout)
    assert isinstance(plain, list) and set(plain[0]) == {
        "title",
        "url",
        "date",
        "author",
        "excerpt",
    }
    explained = json.loads(
        run("probe", server.url("/"), "--json", "--explain", "--ignore-robots").stdout
    )
    assert explained["entries"] == plain
    assert explained["profile"] == "learned"
    date = explained["fields"]["date"]
    assert date["from"] == "column heuristic" and date["selectors"]
    assert explained["fields"]["author"] == {"from": "not found", "selectors": []}
    text = run("probe", server.url("/"), "--explain", "--ignore-robots").stdout
    assert "Where each field comes from" in text and "column heuristic" in text


def test_a_saved_profile_reads_the_site_again_from_the_cli_and_from_a_sources_file(
    server, tmp_path, monkeypatch
):
    _serve(server)
    saved = tmp_path / "news.toml"
    first = run("probe", server.url("/"), "--json", "--save-profile", str(saved), "--ignore-robots")
    assert first.exit_code == 0, first.output
    profile = load_profile(saved.read_text("utf-8"), str(saved))
    assert profile.name == "learned" and profile.date
    again = run("probe", server.url("/"), "--json", "--profile", str(saved), "--ignore-robots")
    assert json.loads(again.stdout) == json.loads(first.stdout)

    monkeypatch.chdir(tmp_path)
    sources = tmp_path / "sources.toml"
    sources.write_text(
        f'[[source]]\nname = "news"\nurl = "{server.url("/")}"\nprofile = "news.toml"\n',
        encoding="utf-8",
    )
    assert load_sources(sources)[0].profile == "news.toml"


def test_a_profile_file_that_does_not_load_is_refused_with_the_reason(server, tmp_path):
    _serve(server)
    broken = tmp_path / "broken.toml"
    broken.write_text('name = "x"\nitem = "li"\nsurprise = 1\n', encoding="utf-8")
    result = run("probe", server.url("/"), "--profile", str(broken), "--ignore-robots")
    assert result.exit_code == 2
    assert "unknown key(s) surprise" in result.output

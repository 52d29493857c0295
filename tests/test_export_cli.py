"""``listing-archiver export`` through the command line: standard output, ``--since``,
``--limit``, ``--all-versions`` in every format, an unknown ``--source``, the order of
undated posts after real scrapes, and the Atom feed's links and authors as feedparser
reads them."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import feedparser
import pytest
from click.testing import CliRunner

from listing_archiver.archive.atom import entry_id
from listing_archiver.archive.export import FORMATS
from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.selection import EXPORT_COLUMNS, VERSION_COLUMNS
from listing_archiver.cli import cli

from .current_oracle import insert_versions
from .scrape_process import ROOT
from .server import html_page, papermod_entry
from .test_export import BETA_A, BETA_X, EDITED, LINKLESS, ORDER, REMOVED, ROWS, UNDATED

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def archive(tmp_path):
    """The library tests' archive (two sources, an edited post, an undated one), as a file."""
    path = tmp_path / "archive.db"
    db = open_archive(str(path))
    db.table("runs").insert_all(
        [
            {"id": 1, "source": "alpha", "url": "https://a.example/", "status": "ok"},
            {"id": 2, "source": "beta", "url": "https://b.example/news/", "status": "ok"},
        ]
    )
    insert_versions(db, ROWS)
    db.close()
    return path


def export(*args: str):
    return CliRunner().invoke(cli, ["export", *map(str, args)], catch_exceptions=False)


def keys_of(fmt: str, text: str) -> list[str]:
    """The post key of each row (entry), whatever the format."""
    if fmt == "csv":
        return [row["post_key"] for row in csv.DictReader(io.StringIO(text, newline=""))]
    if fmt == "json":
        return [row["post_key"] for row in json.loads(text)]
    if fmt == "ndjson":
        return [json.loads(line)["post_key"] for line in text.splitlines()]
    parsed = feedparser.parse(text.encode("utf-8"))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    by_id = {entry_id(row["post_key"]): row["post_key"] for row in ROWS}
    return [by_id[entry.id] for entry in parsed.entries]


def test_dash_output_is_standard_output(archive):
    result = export(archive, "--format", "json", "-o", "-")
    assert result.exit_code == 0
    assert [row["post_key"] for row in json.loads(result.stdout)] == ORDER


@pytest.mark.parametrize("fmt", FORMATS)
def test_since_keeps_posts_dated_on_or_after_it_and_undated_ones_first_seen_since(archive, fmt):
    dated = export(archive, "--format", fmt, "--since", "2021-03-19")
    assert dated.exit_code == 0
    assert keys_of(fmt, dated.stdout) == [REMOVED, LINKLESS, BETA_A, BETA_X, UNDATED]
    # the undated post was first seen 2026-01-01T12:00Z: on that day, so in; a day later, out
    in_2026 = export(archive, "--format", fmt, "--since", "2026-01-01")
    assert keys_of(fmt, in_2026.stdout) == [UNDATED]
    assert keys_of(fmt, export(archive, "--format", fmt, "--since", "2026-01-02").stdout) == []


@pytest.mark.parametrize("value", ["2021-13-01", "yesterday", "18/03/2021"])
def test_a_bad_since_date_is_a_usage_error_naming_it(archive, value):
    result = export(archive, "--since", value)
    assert result.exit_code == 2
    assert f"Invalid value for '--since': '{value}' is not a date" in result.stderr
    assert "YYYY-MM-DD" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("fmt", FORMATS)
def test_limit_keeps_the_first_n_posts_in_export_order(archive, fmt):
    result = export(archive, "--format", fmt, "--limit", "2")
    assert keys_of(fmt, result.stdout) == [REMOVED, LINKLESS]
    assert export(archive, "--limit", "0").exit_code == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_all_versions_exports_every_version_current_first_and_says_which_is_current(archive, fmt):
    result = export(archive, "--format", fmt, "--all-versions", "--source", "alpha")
    keys = keys_of(fmt, result.stdout)
    assert keys == [REMOVED, EDITED, EDITED, UNDATED]  # the edited post's two versions together
    if fmt == "atom":  # one id, two updated times: RFC 4287's revisions of one entry
        entries = feedparser.parse(result.stdout.encode()).entries
        assert [e.updated for e in entries[1:3]] == [
            "2026-01-02T00:00:00.000Z",
            "2026-01-01T00:00:00.000Z",
        ]
        return
    rows = (
        list(csv.DictReader(io.StringIO(result.stdout, newline="")))
        if fmt == "csv"
        else json.loads(result.stdout)
        if fmt == "json"
        else [json.loads(line) for line in result.stdout.splitlines()]
    )
    assert all(tuple(row) == VERSION_COLUMNS for row in rows)
    edited = [row for row in rows if row["post_key"] == EDITED]
    assert [row["content_hash"] for row in edited] == ["a1v2", "a1v1"]
    assert [str(row["is_current"]) for row in edited] == ["1", "0"]
    assert [row["first_seen"] for row in edited] == [
        "2026-01-02T00:00:00.000Z",
        "2026-01-01T00:00:00.000Z",
    ]


def test_all_versions_limit_counts_posts_so_a_post_keeps_all_its_versions(archive):
    limited = json.loads(
        export(archive, "--format", "json", "--all-versions", "--limit", "5").stdout
    )
    assert [row["post_key"] for row in limited][-2:] == [EDITED, EDITED]
    assert len({row["post_key"] for row in limited}) == 5


def test_without_all_versions_the_columns_are_unchanged(archive):
    result = export(archive, "--format", "json")
    assert all(tuple(row) == EXPORT_COLUMNS for row in json.loads(result.stdout))


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_source_is_exit_2_naming_the_sources_the_archive_has(archive, fmt, tmp_path):
    out = tmp_path / "out.txt"
    result = export(archive, "--format", fmt, "--source", "gamma", "-o", out)
    assert result.exit_code == 2
    assert "the archive has no source 'gamma': it has alpha, beta" in result.stderr
    assert not [p for p in tmp_path.iterdir() if not p.name.startswith("archive.db")]
    to_stdout = export(archive, "--format", fmt, "--source", "gamma")
    assert (to_stdout.exit_code, to_stdout.stdout) == (2, "")


def test_an_unknown_source_in_an_empty_archive_says_it_has_none(tmp_path):
    path = tmp_path / "empty.db"
    open_archive(str(path)).close()
    result = export(path, "--source", "alpha")
    assert result.exit_code == 2
    assert "the archive has no source 'alpha': it has no sources yet" in result.stderr


def test_atom_to_a_file_links_itself_by_name_and_to_the_listing(archive, tmp_path):
    out = tmp_path / "beta.xml"
    assert export(archive, "--format", "atom", "--source", "beta", "-o", out).exit_code == 0
    parsed = feedparser.parse(out.read_bytes())
    assert parsed.bozo == 0 and parsed.version == "atom10"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"alternate": "https://b.example/news/", "self": "beta.xml"}


def test_atom_feed_url_is_its_self_link_and_only_atom_takes_one(archive):
    url = "https://feeds.example/beta.xml"
    result = export(archive, "--format", "atom", "--source", "beta", "--feed-url", url)
    links = {link.rel: link.href for link in feedparser.parse(result.stdout.encode()).feed.links}
    assert links["self"] == url
    to_stdout = feedparser.parse(export(archive, "--format", "atom", "--source", "beta").stdout)
    assert "self" not in {link.rel for link in to_stdout.feed.links}  # nothing to name
    for args in (["--format", "csv", "--feed-url", url], ["--format", "atom", "--feed-url", "x"]):
        result = export(archive, *args)
        assert result.exit_code == 2 and "Invalid value for --feed-url" in result.stderr


def test_atom_entries_carry_their_author_or_none_never_unknown(archive):
    text = export(archive, "--format", "atom", "--source", "alpha").stdout
    assert "unknown" not in text
    parsed = feedparser.parse(text.encode())
    assert parsed.bozo == 0
    tree = ET.fromstring(text.encode())
    authors = {
        e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}author/{ATOM}name")
        for e in tree.iter(f"{ATOM}entry")
    }
    assert authors == {
        entry_id(EDITED): "Ann & Éva",
        entry_id(REMOVED): "Bob",
        entry_id(UNDATED): None,
    }


# Undated posts after real scrapes: in the order the site lists them


def undated_entry(title: str) -> str:
    slug = title.lower().replace(" ", "-")
    return (
        f'<article class="post-entry"><header class="entry-header"><h2>{title}</h2></header>'
        f'<div class="entry-content"><p>About {title}</p></div>'
        f'<a class="entry-link" href="/post/{slug}/"></a></article>'
    )


def serve_pages(server, pages: list[list[str]]) -> None:
    for number, entries in enumerate(pages, 1):
        path = "/" if number == 1 else f"/page/{number}/"
        next_href = f"/page/{number + 1}/" if number < len(pages) else None
        server.page(path, html_page(*entries, next_href=next_href))


def scrape(server, db) -> None:
    command = [sys.executable, "-m", "listing_archiver", "scrape", str(db),
               server.url("/"), "--delay", "0", "--ignore-robots", "--source", "site"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_undated_posts_come_after_dated_ones_in_the_order_the_site_lists_them(server, tmp_path):
    db = tmp_path / "site.db"
    older = papermod_entry("Dated old", "dated-old", date="2020-01-02")
    newer = papermod_entry("Dated new", "dated-new", date="2021-05-06")
    first = [
        [undated_entry("U1"), newer, undated_entry("U2")],
        [undated_entry("U3"), undated_entry("U4")],
        [older, undated_entry("U5")],
    ]
    serve_pages(server, first)
    scrape(server, db)
    # Later, two new undated posts appear at the top and push the rest down.
    flat = [undated_entry("N1"), undated_entry("N2")] + [e for page in first for e in page]
    serve_pages(server, [flat[i : i + 3] for i in range(0, len(flat), 3)])
    scrape(server, db)
    result = export(db, "--format", "json")
    titles = [row["title"] for row in json.loads(result.stdout)]
    assert titles == ["Dated new", "Dated old", "N1", "N2", "U1", "U2", "U3", "U4", "U5"]
    rows = json.loads(export(db, "--format", "json", "--all-versions").stdout)
    assert [row["title"] for row in rows] == titles

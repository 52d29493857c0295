"""The pure parser: PaperMod fields against the user's own documents, detection, next links."""

from __future__ import annotations

from datetime import datetime

import pytest

from listing_archiver.scraper.errors import NoEntriesError
from listing_archiver.scraper.parse import parse_page
from listing_archiver.scraper.profile import get_profile

from .conftest import FIXTURES, read_seed, shared_file
from .server import html_page, papermod_entry

BASE = "https://blog.example.org/page/3/"


def _as_seed(entry):
    d = datetime.strptime(entry["date"], "%B %d, %Y").date().isoformat()
    return (entry["title"], d, entry["author"], entry["excerpt"])


def _fields(page):
    return [(e.title, e.date, e.author, e.excerpt) for e in page.entries]


def test_reference_page_entries_match_the_seed_text_exactly():
    html = shared_file("reference", "papermod", "page-3.html").read_text("utf-8")
    seed = read_seed(shared_file("seeds", "000_121c329167cef22d.txt"))
    page = parse_page(html, "https://blog.ceshine.net/page/3/")
    assert page.profile == "papermod"
    assert _fields(page) == [_as_seed(e) for e in seed]
    assert page.entries[0].url == "https://blog.ceshine.net/post/adafactor/"
    assert page.next_urls[0] == "https://blog.ceshine.net/page/4/"


@pytest.mark.parametrize(
    ("fixture", "seed"),
    [("earlier/page/2", "001_92830445ecc06997.txt"), ("later/page/3", "000_121c329167cef22d.txt")],
)
def test_fixture_pages_hold_the_seed_entries(fixture, seed):
    html = (FIXTURES / "papermod" / fixture / "index.html").read_text("utf-8")
    expected = [_as_seed(e) for e in read_seed(shared_file("seeds", seed))]
    assert _fields(parse_page(html, "http://127.0.0.1/")) == expected


def test_papermod_entry_fields_are_clean_and_absolute():
    html = (FIXTURES / "papermod" / "later" / "index.html").read_text("utf-8")
    page = parse_page(html, "http://127.0.0.1:8000/")
    first = page.entries[0]
    assert first.title == "Fine-tuning Whisper on a Single Consumer GPU"
    assert first.url == "http://127.0.0.1:8000/post/whisper-single-gpu/"
    assert first.date == "2021-12-05"
    assert first.author == "Ceshine Lee"
    assert first.excerpt.startswith("Photo Credit Motivation Speech recognition")
    assert first.excerpt.endswith("in check. ...")
    assert page.next_urls == ("http://127.0.0.1:8000/page/2/",)


def test_home_info_block_on_page_one_is_not_a_post():
    html = (FIXTURES / "papermod" / "earlier" / "index.html").read_text("utf-8")
    titles = [e.title for e in parse_page(html, "http://h/").entries]
    assert len(titles) == 5
    assert "Veritable Tech Blog" not in titles


def test_text_is_nfc_and_whitespace_collapsed():
    html = (FIXTURES / "papermod" / "later" / "page" / "4" / "index.html").read_text("utf-8")
    assert "e\u0301" in html  # the fixture writes the accent decomposed (NFD)
    cafe = parse_page(html, "http://h/").entries[0]
    assert cafe.title == "Notes from a Caf\u00e9: Reading Papers Away from the Desk"
    assert "  " not in cafe.excerpt and "\n" not in cafe.excerpt


def test_date_falls_back_to_visible_text_without_machine_readable_attribute():
    entry = (
        '<article class="post-entry"><header class="entry-header"><h2>T</h2></header>'
        '<footer class="entry-footer"><time>March 9, 2021</time>&nbsp;·&nbsp;<span>Ann</span>'
        '</footer><a class="entry-link" href="/post/t/"></a></article>'
    )
    assert parse_page(html_page(entry), BASE).entries[0].date == "2021-03-09"


def test_reading_time_in_the_footer_is_not_taken_for_the_author():
    entry = papermod_entry("T", "t").replace("<span>Ann Author</span>", "<span>5 min</span>")
    assert parse_page(html_page(entry), BASE).entries[0].author is None


def test_a_page_without_entries_is_an_error_naming_url_and_profile():
    with pytest.raises(NoEntriesError) as caught:
        parse_page(html_page(), BASE, get_profile("papermod"))
    assert BASE in str(caught.value) and "'papermod'" in str(caught.value)


def test_a_page_with_nothing_to_archive_is_an_error_naming_the_url():
    with pytest.raises(NoEntriesError) as caught:
        parse_page("<html><body><p>hello</p></body></html>", BASE)
    assert str(caught.value).startswith(f"{BASE}: no entries found: no built-in profile")


@pytest.mark.parametrize(
    "nav",
    [
        '<link rel="next" href="/page/4/">',
        '<a rel="next" href="/page/4/">4</a>',
        '<a href="/page/4/">Older posts</a>',
        '<a href="/page/4/">»</a>',
        '<a href="/page/4/">›</a>',
        '<a href="/page/4/">⟩</a>',
        '<a href="/page/4/">Next page</a>',
        '<a href="/page/2/">« Newer</a><a href="/page/4/">Older</a>',
    ],
)
def test_next_link_is_found_by_rel_profile_or_text(nav):
    html = html_page(papermod_entry("T", "t"), head=nav if nav.startswith("<link") else "")
    if not nav.startswith("<link"):
        html = html.replace("</main>", nav + "</main>")
    page = parse_page(html, BASE)
    assert page.next_urls[0] == "https://blog.example.org/page/4/"


def test_previous_and_newer_links_are_not_next():
    html = html_page(papermod_entry("T", "t")).replace(
        "</main>", '<a href="/page/2/">« Prev</a><a href="/page/2/">Newer posts</a></main>'
    )
    assert parse_page(html, BASE).next_urls == ()

"""Entries that link to other sites (a lobste.rs-style aggregator): each entry's URL is
its title's off-site href, a story whose title reads like "Next" is an entry and not
the next page, and the walk follows only the site's own pages, never a story's host."""

from __future__ import annotations

from listing_archiver.scraper.paginate import Walk
from listing_archiver.scraper.parse import parse_page

HOME, ELSEWHERE = "https://links.example/", "https://elsewhere.example"
USERS = ("ferris", "mkoi", "lenore", "osk")


def _story(n: int, title: str, href: str) -> str:
    user = USERS[n % len(USERS)]
    return (
        f'<li id="story_s{n}" class="story"><div class="story_liner h-entry">'
        f'<div class="voters"><a class="upvoter" href="/login"></a><div class="score">{n}</div>'
        f'</div><div class="details"><span role="heading" aria-level="1" class="link">'
        f'<a class="u-url" href="{href}">{title}</a></span>'
        f'<span class="tags"><a class="tag" href="/t/tools">tools</a></span>'
        f'<div class="byline"><img class="avatar" alt="{user} avatar" src="/a/{user}.png">'
        f'<span> via </span><a class="u-author h-card" href="/~{user}">{user}</a> '
        f'<time datetime="2024-05-{n:02d} 09:00:00 -0500">{n} hours ago</time> | '
        f'<span class="comments_label"><a href="/s/s{n}/c">{n} comments</a></span>'
        "</div></div></div></li>"
    )


def _stories(elsewhere: str, numbers: range, more: str | None) -> str:
    """Stories whose titles link to ``elsewhere`` (another host), and a link to page 2."""
    titles = {1: "Next steps for Rust"}  # four words with "next": it reads like a pager
    items = "".join(
        _story(n, titles.get(n, f"A tool for problem {n}"), f"{elsewhere}/off/{n}") for n in numbers
    )
    link = f'<div class="morelink"><a href="{more}">Page 2 &gt;&gt;</a></div>' if more else ""
    return f'<html><body><ol class="stories list">{items}</ol>{link}</body></html>'


def test_off_site_entries_keep_their_urls_and_the_walk_follows_only_its_own_pages(server, fetcher):
    for n in range(1, 9):
        server.page(f"/off/{n}", "<html><body><p>Somewhere else</p></body></html>")
    elsewhere = server.url("", "localhost")  # the same server under another host name
    server.page("/", _stories(elsewhere, range(1, 5), "/page/2"))
    server.page("/page/2", _stories(elsewhere, range(5, 9), None))
    pages = list(Walk(server.url("/"), fetcher))
    assert [p.url for p in pages] == [server.url("/"), server.url("/page/2")]
    assert [p.profile for p in pages] == ["learned", "learned"]
    entries = [e for p in pages for e in p.entries]
    assert [e.url for e in entries] == [server.url(f"/off/{n}", "localhost") for n in range(1, 9)]
    assert entries[0].title == "Next steps for Rust"
    assert [e.author for e in entries[4:]] == [USERS[n % 4] for n in range(5, 9)]
    assert [e.date for e in entries[4:]] == [f"2024-05-{n:02d}" for n in range(5, 9)]
    assert all(server.hits(f"/off/{n}") == 0 for n in range(1, 9))


def test_an_entry_titled_like_a_pager_is_no_next_page_and_the_sites_own_page_is():
    page = parse_page(_stories(ELSEWHERE, range(1, 5), "/page/2"), HOME)
    assert page.entries[0].url == "https://elsewhere.example/off/1"
    assert page.next_urls == ("https://links.example/page/2",)


def test_a_word_in_a_byline_is_no_summary():
    page = parse_page(_stories(ELSEWHERE, range(1, 5), None), HOME)
    assert [e.excerpt for e in page.entries] == [None] * 4
    assert [e.author for e in page.entries] == [USERS[n % 4] for n in range(1, 5)]

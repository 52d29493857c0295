"""Walking a listing over real sockets: order, loop guard, host guard, page cap."""

from __future__ import annotations

import pytest

from listing_archiver.scraper.errors import ScraperError
from listing_archiver.scraper.paginate import Walk

from .server import html_page, papermod_entry


def test_walks_every_page_of_the_listing_in_order(site, fetcher):
    pages = list(Walk(site.url("/"), fetcher))
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert [len(p.entries) for p in pages] == [5, 5, 5, 2]
    assert pages[1].url == site.url("/page/2/")
    assert {p.profile for p in pages} == {"papermod"}


def test_max_pages_stops_the_walk(site, fetcher):
    assert len(list(Walk(site.url("/"), fetcher, max_pages=2))) == 2
    assert site.hits("/page/3/") == 0


def test_a_next_link_back_to_page_one_ends_the_walk(server, fetcher):
    server.page("/", html_page(papermod_entry("A", "a"), next_href="/p2"))
    server.page("/p2", html_page(papermod_entry("B", "b"), next_href="/"))
    pages = list(Walk(server.url("/"), fetcher))
    assert len(pages) == 2
    assert server.hits("/") == 1


def test_a_next_link_off_the_start_host_is_not_followed(server, fetcher):
    offhost = server.url("/p2", host="localhost")  # same machine, another host name
    server.page("/", html_page(papermod_entry("A", "a"), next_href=offhost))
    server.page("/p2", html_page(papermod_entry("B", "b")))
    assert len(list(Walk(server.url("/"), fetcher))) == 1
    assert server.hits("/p2") == 0


@pytest.mark.parametrize(
    "href", ["javascript:void(0)", "mailto:a@b.c", "file:///etc/passwd", "data:text/html,x"]
)
def test_non_http_next_links_are_not_followed(server, fetcher, href):
    server.page("/", html_page(papermod_entry("A", "a"), next_href=href))
    assert len(list(Walk(server.url("/"), fetcher))) == 1
    assert len(server.requests) == 1


def test_relative_next_links_resolve_against_the_page(server, fetcher):
    server.page("/blog/", html_page(papermod_entry("A", "a"), next_href="page/2/"))
    server.page("/blog/page/2/", html_page(papermod_entry("B", "b")))
    assert [p.url for p in Walk(server.url("/blog/"), fetcher)] == [
        server.url("/blog/"),
        server.url("/blog/page/2/"),
    ]


def test_a_walk_only_starts_from_an_http_url(fetcher):
    with pytest.raises(ScraperError, match="not a valid http"):
        list(Walk("file:///etc/passwd", fetcher))


@pytest.mark.parametrize("form", ["{url}#", "{url}#top", "{upper}"])
def test_a_start_url_differing_only_by_fragment_or_case_is_walked_not_a_loop(site, fetcher, form):
    url = site.url("/")
    start = form.format(url=url, upper=url.replace("http://", "HTTP://", 1))
    walk = Walk(start, fetcher, max_pages=1)
    pages = list(walk)
    assert [page.number for page in pages] == [1]  # requests answers it as http://.../
    assert pages[0].entries and walk.stop_reason != "loop"

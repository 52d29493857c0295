"""robots.txt against a real loopback server: matching, caching, and RFC 9309 statuses."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from listing_archiver.scraper.errors import RobotsDisallowed, TransportError
from listing_archiver.scraper.fetch import DEFAULT_USER_AGENT, Fetcher
from listing_archiver.scraper.robots import RobotsCache, agent_token, robots_url

from .conftest import FAST
from .server import Reply, TestServer

UA = DEFAULT_USER_AGENT  # "listing-archiver/<version> (+<project url>)"


def serve_robots(server: TestServer, text: str) -> None:
    server.route(
        "/robots.txt", Reply(body=text.encode("utf-8"), headers={"Content-Type": "text/plain"})
    )


def is_allowed(cache: RobotsCache, url: str) -> bool:
    try:
        cache.check(url, UA)
    except RobotsDisallowed:
        return False
    return True


# --- matching --------------------------------------------------------------------------


def test_disallow_for_our_agent_blocks_that_path_and_allows_another(server, fetcher):
    serve_robots(server, "User-agent: listing-archiver\nDisallow: /private/\n")
    cache = RobotsCache(fetcher)
    with pytest.raises(RobotsDisallowed) as caught:
        cache.check(server.url("/private/page"), UA)
    assert caught.value.url == server.url("/private/page")
    assert f"robots.txt ({server.url('/robots.txt')}) disallows it for listing-archiver" in str(
        caught.value
    )
    cache.check(server.url("/blog/"), UA)  # does not raise


def test_star_group_applies_when_no_group_names_our_agent(server, fetcher):
    serve_robots(
        server,
        "User-agent: otherbot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin/\n",
    )
    cache = RobotsCache(fetcher)
    assert not is_allowed(cache, server.url("/admin/login"))
    assert is_allowed(cache, server.url("/blog/"))


def test_group_naming_our_agent_wins_over_star(server, fetcher):
    serve_robots(
        server,
        "User-agent: *\nDisallow: /\n\nUser-agent: listing-archiver\nDisallow: /drafts/\n",
    )
    cache = RobotsCache(fetcher)
    assert is_allowed(cache, server.url("/blog/"))
    assert not is_allowed(cache, server.url("/drafts/x"))


def test_group_named_in_another_case_still_matches_our_agent(server, fetcher):
    serve_robots(server, "User-agent: Listing-Archiver\nDisallow: /blog/\n")
    assert not is_allowed(RobotsCache(fetcher), server.url("/blog/"))


def test_group_matching_only_a_word_in_our_full_header_does_not_apply(server, fetcher):
    # The header holds "github.com"; only the product token "listing-archiver" counts.
    serve_robots(server, "User-agent: github\nDisallow: /\n")
    assert is_allowed(RobotsCache(fetcher), server.url("/blog/"))


def test_wildcard_disallow_blocks_paginated_urls_only(server, fetcher):
    serve_robots(server, "User-agent: *\nDisallow: /*?page=\n")
    cache = RobotsCache(fetcher)
    assert not is_allowed(cache, server.url("/blog/?page=2"))
    assert not is_allowed(cache, server.url("/news/archive?page=10"))
    assert is_allowed(cache, server.url("/blog/"))
    assert is_allowed(cache, server.url("/blog/page/2/"))


def test_longer_allow_overrides_a_shorter_disallow(server, fetcher):
    serve_robots(server, "User-agent: *\nDisallow: /blog/\nAllow: /blog/public/\n")
    cache = RobotsCache(fetcher)
    assert is_allowed(cache, server.url("/blog/public/post"))
    assert not is_allowed(cache, server.url("/blog/secret"))


def test_crawl_delay_is_read_for_our_agent(server, fetcher):
    serve_robots(
        server,
        "User-agent: *\nCrawl-delay: 1\n\nUser-agent: listing-archiver\nCrawl-delay: 2.5\n",
    )
    assert RobotsCache(fetcher).crawl_delay(server.url("/blog/"), UA) == 2.5


def test_no_crawl_delay_gives_none(server, fetcher):
    serve_robots(server, "User-agent: *\nDisallow: /admin/\n")
    assert RobotsCache(fetcher).crawl_delay(server.url("/blog/"), UA) is None


def test_empty_robots_txt_allows_everything(server, fetcher):
    serve_robots(server, "")
    cache = RobotsCache(fetcher)
    assert is_allowed(cache, server.url("/anything?page=3"))
    assert cache.crawl_delay(server.url("/"), UA) is None


# --- fetching once per origin ----------------------------------------------------------


def test_robots_txt_is_fetched_once_per_host_however_often_checked(server, fetcher):
    serve_robots(server, "User-agent: *\nDisallow: /admin/\n")
    cache = RobotsCache(fetcher)
    for n in range(20):
        assert is_allowed(cache, server.url(f"/blog/page/{n}/"))
        assert not is_allowed(cache, server.url(f"/admin/{n}"))
        cache.crawl_delay(server.url("/"), UA)
    assert server.hits("/robots.txt") == 1


def test_each_host_and_port_has_its_own_robots_txt_fetched_once(server, fetcher):
    other = TestServer().start()
    try:
        serve_robots(server, "User-agent: *\nDisallow: /a/\n")
        serve_robots(other, "User-agent: *\nDisallow: /b/\n")
        cache = RobotsCache(fetcher)
        for _ in range(5):
            assert not is_allowed(cache, server.url("/a/x"))
            assert is_allowed(cache, server.url("/b/x"))
            assert is_allowed(cache, other.url("/a/x"))
            assert not is_allowed(cache, other.url("/b/x"))
        assert server.hits("/robots.txt") == 1
        assert other.hits("/robots.txt") == 1
    finally:
        other.stop()


def test_different_spellings_of_one_origin_share_one_fetch(server, fetcher):
    serve_robots(server, "User-agent: *\nDisallow: /admin/\n")
    cache = RobotsCache(fetcher)
    base = f"HTTP://127.0.0.1:{server.port}"
    assert not is_allowed(cache, f"{base}/admin/")
    assert not is_allowed(cache, server.url("/admin/?q=1"))
    assert server.hits("/robots.txt") == 1


def test_threads_checking_one_new_host_at_once_fetch_robots_txt_once(server, fetcher):
    server.route(
        "/robots.txt",
        Reply(
            body=b"User-agent: *\nDisallow: /admin/\n",
            headers={"Content-Type": "text/plain"},
            stall=0.2,  # keep the first fetch in flight while the others arrive
        ),
    )
    cache = RobotsCache(fetcher)
    start = threading.Barrier(8)
    results: list[bool] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        start.wait()
        allowed = is_allowed(cache, server.url(f"/blog/{n}"))
        with lock:
            results.append(allowed)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == [True] * 8
    assert server.hits("/robots.txt") == 1


# --- RFC 9309 status handling ----------------------------------------------------------


@pytest.mark.parametrize("status", [404, 401, 403, 410])
def test_4xx_robots_txt_is_unavailable_and_allows_everything(server, fetcher, status):
    server.route("/robots.txt", Reply(status=status))
    cache = RobotsCache(fetcher)
    rules = cache.rules_for(server.url("/"))
    assert rules.parser is None
    assert rules.unreachable is None
    assert is_allowed(cache, server.url("/admin/"))
    assert server.hits("/robots.txt") == 1  # a 4xx is not retried


def test_503_through_every_retry_disallows_with_a_clear_reason(server, fetcher):
    server.route("/robots.txt", Reply(status=503))
    cache = RobotsCache(fetcher)
    with pytest.raises(RobotsDisallowed) as caught:
        cache.check(server.url("/blog/"), UA)
    robots = server.url("/robots.txt")
    assert (
        f"robots.txt could not be fetched (GET {robots}: HTTP 503 Service Unavailable); "
        "not crawling, per RFC 9309"
    ) in str(caught.value)
    assert server.hits("/robots.txt") == FAST.attempts  # the fetcher's retries, then no more
    assert not is_allowed(cache, server.url("/other/"))
    assert server.hits("/robots.txt") == FAST.attempts  # the verdict holds for the run


def test_503_that_recovers_within_the_retries_is_parsed(server, fetcher):
    server.route(
        "/robots.txt",
        Reply(status=503),
        Reply(body=b"User-agent: *\nDisallow: /admin/\n", headers={"Content-Type": "text/plain"}),
    )
    cache = RobotsCache(fetcher)
    assert is_allowed(cache, server.url("/blog/"))
    assert not is_allowed(cache, server.url("/admin/"))
    assert server.hits("/robots.txt") == 2


def test_persistent_429_disallows_like_a_server_error(server, fetcher):
    server.route("/robots.txt", Reply(status=429))
    with pytest.raises(RobotsDisallowed, match=r"HTTP 429 Too Many Requests\); not crawling"):
        RobotsCache(fetcher).check(server.url("/blog/"), UA)


def test_a_dead_host_is_reported_for_the_page_not_as_a_robots_rule(fetcher):
    gone = TestServer().start()
    url = gone.url("/blog/")
    gone.stop()  # nothing listens on that port any more
    cache = RobotsCache(fetcher)
    with pytest.raises(TransportError) as caught:
        cache.check(url, UA)
    assert str(caught.value) == f"cannot connect to {url} (connection refused)"  # the page
    assert "--ignore-robots" not in str(caught.value)  # ignoring robots would not help
    assert not cache.rules_for(url).allows(url, UA)
    assert cache.crawl_delay(url, UA) is None


def test_robots_txt_larger_than_the_cap_disallows(server):
    small = Fetcher(replace(FAST, max_bytes=100))
    try:
        serve_robots(server, "User-agent: *\n" + "Disallow: /x\n" * 50)
        with pytest.raises(RobotsDisallowed, match="larger than 100 bytes"):
            RobotsCache(small).check(server.url("/blog/"), UA)
    finally:
        small.close()


def test_redirected_robots_txt_is_followed(server, fetcher):
    server.route("/robots.txt", Reply(status=301, headers={"Location": "/real-robots.txt"}))
    server.route(
        "/real-robots.txt",
        Reply(body=b"User-agent: *\nDisallow: /admin/\n", headers={"Content-Type": "text/plain"}),
    )
    cache = RobotsCache(fetcher)
    assert not is_allowed(cache, server.url("/admin/"))
    assert is_allowed(cache, server.url("/blog/"))


# --- pure helpers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "token"),
    [
        ("listing-archiver/0.1.0 (+https://github.com/x/listing-archiver)", "listing-archiver"),
        ("listing-archiver", "listing-archiver"),
        ("  my_bot/2.0", "my_bot"),
        ("Mozilla/5.0 (compatible; Foobot/1.0)", "Mozilla"),
    ],
)
def test_agent_token_is_the_product_token(user_agent, token):
    assert agent_token(user_agent) == token


def test_agent_token_of_the_default_user_agent_is_listing_archiver():
    assert agent_token(UA) == "listing-archiver"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/blog/page/2/?q=1#top", "http://127.0.0.1:8080/robots.txt"),
        ("https://example.com/news", "https://example.com/robots.txt"),
        ("https://example.com", "https://example.com/robots.txt"),
        ("HTTPS://Example.COM:8443/a", "https://example.com:8443/robots.txt"),
        ("http://example.com:80/a", "http://example.com/robots.txt"),
        ("https://example.com:443/a", "https://example.com/robots.txt"),
        ("http://user:pw@example.com:81/a", "http://example.com:81/robots.txt"),
        ("http://[::1]:8000/a", "http://[::1]:8000/robots.txt"),
    ],
)
def test_robots_url_keeps_scheme_host_and_port_and_drops_the_rest(url, expected):
    assert robots_url(url) == expected


@pytest.mark.parametrize("url", ["/blog/", "example.com/blog", ""])
def test_robots_url_of_a_relative_url_is_refused(url):
    with pytest.raises(ValueError, match="not an absolute URL"):
        robots_url(url)

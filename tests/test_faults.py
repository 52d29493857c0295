"""Faults over real sockets on 127.0.0.1, one test per fault, each ending in the right
behaviour (retry, skip, or one clear line naming the URL), in bounded time and memory,
with no traceback and nothing already archived lost.

Levels: the fetcher (exception type, message, attempts the server saw, time, memory),
the walk (pagination loops, bad next links, broken markup), and the CLI end to end
(a fault on page 3 after pages 1-2 were archived, then a rerun once it clears).
"""

from __future__ import annotations

import contextlib
import math
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.utils import formatdate
from functools import partial

import pytest
from click.testing import CliRunner

from listing_archiver import job
from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli
from listing_archiver.scraper.errors import (
    FetchError,
    HTTPStatusError,
    NotHTML,
    ResponseTooLarge,
    TransportError,
)
from listing_archiver.scraper.fetch import Fetcher, FetchSettings
from listing_archiver.scraper.paginate import END, LOOP, Walk

from .conftest import FAST
from .server import (
    Reply,
    TestServer,
    big_body,
    encoded,
    gzip_bomb,
    html_page,
    papermod_entry,
    serve_listing,
)

MB = 1024 * 1024
CAP = FAST.max_bytes  # 10 MiB, the default
# Seconds any single fault may cost, retries included: a hang guard with room for a loaded
# machine, yet well under every stall the tests inject (STALL), so a stall waited out fails.
TIME_BOUND = 20.0
STALL = 60.0  # seconds a stalling server stays silent (it stops at once at teardown)
MEMORY_BOUND = 40 * MB  # peak traced while refusing a page far larger than CAP
OK = Reply(body=b"<html><body><p>fine</p></body></html>")
GZIP = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}


@pytest.fixture
def make_fetcher() -> Iterator[Callable[..., Fetcher]]:
    """Fetchers with FAST settings changed as asked; all closed afterwards."""
    made: list[Fetcher] = []

    def make(**changes: object) -> Fetcher:
        made.append(Fetcher(replace(FAST, **changes)))  # type: ignore[arg-type]
        return made[-1]

    yield make
    for fetcher in made:
        fetcher.close()


def fails(fetcher: Fetcher, url: str, kind: type[FetchError]) -> tuple[FetchError, float]:
    """Fetch ``url`` expecting ``kind`` exactly; check the message is one clean line
    naming the URL and the time bounded. Returns the error and the seconds it took."""
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetcher.get(url)
    elapsed = time.monotonic() - started
    error = caught.value
    assert type(error) is kind, f"{type(error).__name__}: {error}"
    message = str(error)
    assert "\n" not in message, message
    assert message.startswith(f"GET {url}: "), message
    for noise in ("Traceback", "object at 0x", "HTTPConnectionPool", "urllib3"):
        assert noise not in message, message
    assert elapsed < TIME_BOUND
    return error, elapsed


@contextlib.contextmanager
def peak_memory() -> Iterator[list[int]]:
    """Yields a list that holds, after the block, the peak bytes traced within it
    (every thread: the test server's allocations count too, so it streams reused chunks)."""
    result: list[int] = []
    tracing = tracemalloc.is_tracing()
    if not tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield result
    finally:
        result.append(tracemalloc.get_traced_memory()[1] - base)
        if not tracing:
            tracemalloc.stop()


# --- 5xx bursts -----------------------------------------------------------------------


def test_a_5xx_burst_shorter_than_the_retries_is_ridden_out(server, fetcher):
    server.route("/burst", Reply(status=500), Reply(status=502), Reply(status=503), OK)
    started = time.monotonic()
    assert "fine" in fetcher.get(server.url("/burst")).text
    assert server.hits("/burst") == FAST.attempts == 4
    assert time.monotonic() - started < TIME_BOUND


def test_one_fetcher_retries_on_two_threads_at_once_each_with_its_own_attempts(server, fetcher):
    # The walk and its prefetching thread share a fetcher (and its retry policy).
    server.route("/a", Reply(status=503), Reply(status=503), OK)
    server.route("/b", Reply(status=503), Reply(status=503), Reply(status=503), OK)
    with ThreadPoolExecutor(2) as pool:
        pages = list(pool.map(fetcher.get, [server.url("/a"), server.url("/b")]))
    assert all("fine" in page.text for page in pages)
    assert (server.hits("/a"), server.hits("/b")) == (3, 4)


def test_a_5xx_burst_longer_than_the_retries_fails_with_one_line(server, fetcher):
    url = server.url("/down")
    server.route("/down", Reply(status=504))
    error, _ = fails(fetcher, url, HTTPStatusError)
    assert str(error) == f"GET {url}: HTTP 504 Gateway Timeout"
    assert server.hits("/down") == FAST.attempts


# --- 429 and Retry-After ------------------------------------------------------------------


def test_429_retry_after_in_seconds_is_waited_out(server, fetcher):
    server.route("/busy", Reply(status=429, headers={"Retry-After": "1"}), OK)
    started = time.monotonic()
    assert "fine" in fetcher.get(server.url("/busy")).text
    assert 0.95 <= time.monotonic() - started < TIME_BOUND  # the server's second, not the ms
    # backoff; the upper bound only shows it did not wait the 60 s cap
    assert server.hits("/busy") == 2


def test_429_retry_after_as_an_http_date_waits_until_that_date(server, fetcher):
    when = math.ceil(time.time()) + 2  # a whole second: HTTP dates have no fractions
    busy = Reply(status=429, headers={"Retry-After": formatdate(when, usegmt=True)})
    server.route("/busy", busy, OK)
    started_wall, started = time.time(), time.monotonic()
    assert "fine" in fetcher.get(server.url("/busy")).text
    elapsed, expected = time.monotonic() - started, when - started_wall  # 2 to 3 s
    assert expected - 0.3 <= elapsed <= expected + 10  # that date: not the backoff, not the cap
    assert server.hits("/busy") == 2


@pytest.mark.parametrize("retry_after", ["99999", "Fri, 31 Dec 9999 23:59:59 GMT"])
def test_429_with_an_absurd_retry_after_waits_only_the_cap(server, make_fetcher, retry_after):
    fetcher = make_fetcher(retry_after_cap=0.3)
    server.route("/busy", Reply(status=429, headers={"Retry-After": retry_after}), OK)
    started = time.monotonic()
    assert "fine" in fetcher.get(server.url("/busy")).text
    assert 0.25 <= time.monotonic() - started < TIME_BOUND  # the cap: neither 0 nor 27 hours
    assert server.hits("/busy") == 2


def test_429_that_never_ends_gives_up_after_the_attempts_at_the_cap(server, make_fetcher):
    fetcher = make_fetcher(retry_after_cap=0.2)
    url = server.url("/busy")
    server.route("/busy", Reply(status=429, headers={"Retry-After": "99999"}))
    error, elapsed = fails(fetcher, url, HTTPStatusError)
    assert str(error) == f"GET {url}: HTTP 429 Too Many Requests"
    assert server.hits("/busy") == FAST.attempts
    assert elapsed < TIME_BOUND  # 3 waits of 0.2 s, not of 99999


def test_an_unreadable_retry_after_falls_back_to_the_backoff(server, fetcher):
    server.route("/busy", Reply(status=429, headers={"Retry-After": "in a bit"}), OK)
    started = time.monotonic()
    assert "fine" in fetcher.get(server.url("/busy")).text
    assert time.monotonic() - started < TIME_BOUND  # FAST's millisecond backoff, not the 60 s cap
    assert server.hits("/busy") == 2


# --- stalls, resets, truncation ---------------------------------------------------------


@pytest.mark.parametrize(
    "stall",
    [Reply(stall=STALL), Reply(body=b"<p>" + b"a" * 5000, stall=STALL, stall_after=100)],
    ids=["before-the-headers", "mid-body"],
)
def test_a_stall_past_the_read_timeout_is_retried_then_a_clear_timeout(server, make_fetcher, stall):
    fetcher = make_fetcher(read_timeout=0.3, attempts=2)
    url = server.url("/stall")
    server.route("/stall", stall)
    error, elapsed = fails(fetcher, url, TransportError)
    assert str(error) == f"GET {url}: timed out waiting for the server"
    assert server.hits("/stall") == 2
    assert elapsed < TIME_BOUND  # 2 x 0.3 s and the backoff: the stall was cut off


def test_a_single_stall_is_retried_and_the_page_had(server, make_fetcher):
    fetcher = make_fetcher(read_timeout=0.3)
    server.route("/stall", Reply(stall=STALL), OK)
    assert "fine" in fetcher.get(server.url("/stall")).text
    assert server.hits("/stall") == 2


def test_a_server_dripping_bytes_under_the_read_timeout_is_cut_off(server, make_fetcher):
    fetcher = make_fetcher(read_timeout=0.3, body_timeout=1.0, attempts=1)

    def drip() -> Iterator[bytes]:  # STALL s of one byte per 0.1 s, then the page ends
        yield b"<p>"
        for _ in range(DRIPS):
            if server.closing.wait(0.1):
                return
            yield b"x"

    DRIPS = int(STALL * 10)
    server.route("/drip", Reply(body=drip(), length=3 + DRIPS))
    started = time.monotonic()
    with pytest.raises(TransportError):
        fetcher.get(server.url("/drip"))
    assert time.monotonic() - started < TIME_BOUND  # the 1 s body timeout, not the whole drip


@pytest.mark.parametrize("after", [0, 1000], ids=["right-after-the-headers", "mid-body"])
def test_a_connection_reset_mid_body_is_retried_then_a_clear_error(server, fetcher, after):
    url = server.url("/reset")
    server.route("/reset", Reply(body=b"<p>" + b"a" * 100_000, reset_after=after))
    error, _ = fails(fetcher, url, TransportError)
    assert str(error) == f"GET {url}: connection broke while reading the body"
    assert server.hits("/reset") == FAST.attempts


def test_a_single_connection_reset_is_retried_and_the_page_had(server, fetcher):
    server.route("/reset", Reply(body=b"<p>" + b"a" * 100_000, reset_after=1000), OK)
    assert "fine" in fetcher.get(server.url("/reset")).text
    assert server.hits("/reset") == 2


def test_a_body_shorter_than_its_content_length_is_retried_then_a_clear_error(server, fetcher):
    url = server.url("/short")
    server.route("/short", Reply(body=b"<html><body><p>the first half", length=100_000))
    error, _ = fails(fetcher, url, TransportError)
    assert str(error) == f"GET {url}: connection broke while reading the body"
    assert server.hits("/short") == FAST.attempts


def test_a_single_truncated_body_is_retried_and_the_whole_page_had(server, fetcher):
    server.route("/short", Reply(body=b"<p>the first half", length=1000), OK)
    page = fetcher.get(server.url("/short"))
    assert "fine" in page.text and "first half" not in page.text  # never the broken half
    assert server.hits("/short") == 2


# --- size: a 60 MB page and a gzip bomb ----------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(lambda: Reply(body=big_body(60 * MB), length=60 * MB), id="content-length"),
        pytest.param(
            lambda: Reply(body=big_body(60 * MB), content_length=False), id="no-content-length"
        ),
        pytest.param(lambda: Reply(body=gzip_bomb(), headers=GZIP), id="gzip-bomb"),
        pytest.param(
            lambda: Reply(body=gzip_bomb(), headers=GZIP, content_length=False),
            id="gzip-bomb-no-content-length",
        ),
    ],
)
def test_a_page_far_over_the_cap_is_refused_in_bounded_memory(server, fetcher, reply):
    """60 MB raw, or 1 GiB of zeros in ~1 MB of gzip (decompressed bytes are counted)."""
    assert len(gzip_bomb()) < CAP  # built before tracing; only inflating it passes the cap
    url = server.url("/big")
    server.route("/big", reply())
    with peak_memory() as peak:
        error, _ = fails(fetcher, url, ResponseTooLarge)  # within TIME_BOUND
    assert str(error) == f"GET {url}: response larger than 10,485,760 bytes; refused"
    assert server.hits("/big") == 1  # a refusal is final
    assert peak[0] < MEMORY_BOUND, f"peak {peak[0] / MB:.1f} MiB"


def test_memory_follows_the_cap_not_the_page(server, make_fetcher):
    fetcher = make_fetcher(max_bytes=1 * MB)
    gzip_bomb()
    server.route("/big", Reply(body=gzip_bomb(), headers=GZIP))
    with peak_memory() as peak:
        fails(fetcher, server.url("/big"), ResponseTooLarge)
    assert peak[0] < 4 * MB, f"peak {peak[0] / MB:.1f} MiB for a 1 MiB cap"


# --- charsets ---------------------------------------------------------------------------

QUOTES = "“Smart quotes” and a café"
JAPANESE = "日本語のブログ記事です"


def test_windows_1252_declared_only_in_meta_decodes_quotes_and_accents(server, fetcher):
    html = f'<html><head><meta charset="windows-1252"></head><body><p>{QUOTES}</p></body></html>'
    server.route("/cp1252", encoded(html, "cp1252", "text/html"))  # no charset in HTTP
    page = fetcher.get(server.url("/cp1252"))
    assert QUOTES in page.text
    assert page.encoding == "windows-1252"


@pytest.mark.parametrize(
    ("head", "content_type"),
    [
        ("", "text/html; charset=Shift_JIS"),
        ('<meta charset="Shift_JIS">', "text/html"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', "text/html"),
    ],
    ids=["http-header", "meta-charset", "meta-http-equiv"],
)
def test_shift_jis_decodes_whether_declared_in_http_or_only_in_meta(
    server, fetcher, head, content_type
):
    html = f"<html><head>{head}</head><body><p>{JAPANESE}</p></body></html>"
    server.route("/sjis", encoded(html, "shift_jis", content_type))
    page = fetcher.get(server.url("/sjis"))
    assert JAPANESE in page.text
    assert page.encoding == "shift_jis"


def test_utf8_with_a_bom_and_no_declaration_decodes(server, fetcher):
    server.route("/bom", encoded(f"<html><body><p>{QUOTES}</p></body></html>", "utf-8-sig"))
    page = fetcher.get(server.url("/bom"))
    assert QUOTES in page.text
    assert not page.text.startswith("\ufeff")


def test_a_wrong_http_charset_still_yields_readable_text(server, fetcher):
    """Says UTF-8, is windows-1252 (a server default over an old page): not valid UTF-8."""
    html = (
        "<html><body><p>Our “new” café opens on Monday; the menu has crème brûlée "
        "and coffee.</p></body></html>"
    )
    server.route("/liar", encoded(html, "cp1252", "text/html; charset=utf-8"))
    page = fetcher.get(server.url("/liar"))
    assert "Our “new” café opens on Monday" in page.text
    assert "\ufffd" not in page.text


@pytest.mark.parametrize(
    ("encoding", "head", "titles"),
    [
        ("cp1252", '<meta charset="windows-1252">', [QUOTES, "Crème brûlée, naïvely"]),
        ("shift_jis", '<meta charset="Shift_JIS">', [JAPANESE, "東京の天気"]),
    ],
    ids=["windows-1252", "shift_jis"],
)
def test_a_listing_in_a_legacy_charset_declared_in_meta_archives_right_titles(
    server, fetcher, encoding, head, titles
):
    entries = [papermod_entry(t, f"post-{i}") for i, t in enumerate(titles)]
    html = html_page(*entries, head=head).replace("·", "&middot;")  # not in Shift_JIS
    server.route("/", encoded(html, encoding, "text/html"))
    [page] = Walk(server.url("/"), fetcher)
    assert [e.title for e in page.entries] == titles


# --- content types ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("image/png", b"\x89PNG\r\n\x1a\n" + bytes(64)), ("application/pdf", b"%PDF-1.7\n%...")],
)
def test_a_non_html_answer_is_refused_at_once_with_its_type(server, fetcher, content_type, body):
    url = server.url("/file")
    server.route("/file", Reply(body=body, headers={"Content-Type": content_type}))
    error, _ = fails(fetcher, url, NotHTML)
    assert str(error) == f"GET {url}: not an HTML page (Content-Type: {content_type}); skipped"
    assert server.hits("/file") == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/xhtml+xml; charset=utf-8"},
        {"Content-Type": "TEXT/HTML; Charset=UTF-8"},
        {},
    ],
    ids=["xhtml", "upper-case", "no-content-type"],
)
def test_xhtml_and_unlabelled_answers_are_accepted(server, fetcher, headers):
    body = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><p>fine</p></body></html>'
    server.route("/page", Reply(body=body, headers=headers))
    assert "fine" in fetcher.get(server.url("/page")).text
    assert server.hits("/page") == 1


# --- empty 200 --------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"", b" \r\n\t \n"], ids=["empty", "whitespace"])
def test_an_empty_200_is_retried_then_a_clear_error(server, fetcher, body):
    url = server.url("/empty")
    server.route("/empty", Reply(body=body))
    error, _ = fails(fetcher, url, TransportError)
    assert str(error) == f"GET {url}: empty response body"
    assert server.hits("/empty") == FAST.attempts


def test_a_single_empty_200_is_retried_and_the_page_had(server, fetcher):
    server.route("/empty", Reply(body=b""), OK)
    assert "fine" in fetcher.get(server.url("/empty")).text
    assert server.hits("/empty") == 2


# --- redirects ------------------------------------------------------------------------------


def test_a_redirect_on_the_same_server_is_followed(server, fetcher):
    server.redirect("/old", "/new", status=301)
    server.route("/new", OK)
    page = fetcher.get(server.url("/old"))
    assert page.url == server.url("/new") and "fine" in page.text
    assert (server.hits("/old"), server.hits("/new")) == (1, 1)


def test_a_redirect_to_itself_is_a_loop_refused_without_retrying(server, fetcher):
    url = server.url("/loop")
    server.redirect("/loop", "/loop")
    error, _ = fails(fetcher, url, FetchError)
    assert str(error) == f"GET {url}: redirect loop ({url} -> {url})"
    assert server.hits("/loop") == 1


def test_a_two_step_redirect_loop_is_refused_before_going_round_again(server, fetcher):
    server.redirect("/a", "/b")
    server.redirect("/b", server.url("/a"))
    error, _ = fails(fetcher, server.url("/a"), FetchError)
    assert "redirect loop" in str(error)
    assert (server.hits("/a"), server.hits("/b")) == (1, 1)


def test_an_endless_redirect_chain_stops_at_max_redirects(server, fetcher):
    for hop in range(30):
        server.redirect(f"/hop/{hop}", f"/hop/{hop + 1}")
    error, _ = fails(fetcher, server.url("/hop/0"), FetchError)
    assert str(error).endswith(f": more than {FAST.max_redirects} redirects")
    assert len(server.requests) == FAST.max_redirects + 1


def test_a_redirect_to_another_host_is_refused_and_that_host_never_asked(server, make_fetcher):
    fetcher = make_fetcher(hosts=frozenset({"127.0.0.1"}))  # as a job sets it
    url, elsewhere = server.url("/go"), server.url("/new", host="localhost")
    server.redirect("/go", elsewhere)
    server.route("/new", OK)
    error, _ = fails(fetcher, url, FetchError)
    assert str(error) == f"GET {url}: redirect to another host ({elsewhere}) not followed"
    assert server.hits("/new") == 0
    assert {r.host for r in server.requests} == {"127.0.0.1"}


def test_localhost_does_reach_this_server_so_the_refusal_above_is_real(server, fetcher):
    server.redirect("/go", server.url("/new", host="localhost"))
    server.route("/new", OK)
    assert "fine" in fetcher.get(server.url("/go")).text  # no allow-list: followed
    assert server.hits("/new", host="localhost") == 1


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,<p>hi</p>", "ftp://127.0.0.1/"],
)
def test_a_redirect_to_a_non_http_url_is_refused(server, fetcher, location):
    url = server.url("/go")
    server.redirect("/go", location)
    error, _ = fails(fetcher, url, FetchError)
    assert "redirect to a non-http URL" in str(error) and str(error).endswith("refused")
    assert len(server.requests) == 1


# --- the walk: loops, bad next links, broken markup ---------------------------------------


def test_a_pagination_loop_a_b_a_ends_after_two_pages(server, fetcher):
    server.page("/a/", html_page(papermod_entry("On A", "on-a"), next_href="/b/"))
    server.page("/b/", html_page(papermod_entry("On B", "on-b"), next_href="/a/"))
    walk = Walk(server.url("/a/"), fetcher)
    started = time.monotonic()
    assert [p.entries[0].title for p in walk] == ["On A", "On B"]
    assert (server.hits("/a/"), server.hits("/b/")) == (1, 1)
    assert time.monotonic() - started < TIME_BOUND


def test_a_pagination_loop_is_reported_as_a_loop(server, fetcher):
    server.page("/a/", html_page(papermod_entry("On A", "on-a"), next_href="/b/"))
    server.page("/b/", html_page(papermod_entry("On B", "on-b"), next_href="/a/"))
    walk = Walk(server.url("/a/"), fetcher)
    assert len(list(walk)) == 2
    assert walk.stop_reason == LOOP


@pytest.mark.parametrize(
    "href",
    [
        "file:///etc/passwd",
        "javascript:void(0)",
        "data:text/html,<p>page 2</p>",
        "mailto:editor@example.com",
        "ftp://127.0.0.1/page/2/",
        "http://localhost:{port}/page/2/",
        "//localhost:{port}/page/2/",
        "http://example.invalid/page/2/",
    ],
)
def test_a_next_link_off_http_or_off_host_is_not_followed_nor_requested(server, fetcher, href):
    server.page("/", html_page(papermod_entry("A", "a"), next_href=href.format(port=server.port)))
    server.page("/page/2/", html_page(papermod_entry("B", "b")))
    walk = Walk(server.url("/"), fetcher)
    assert len(list(walk)) == 1
    assert walk.stop_reason == END
    assert [(r.path, r.host) for r in server.requests] == [("/", "127.0.0.1")]


def test_a_bad_next_link_gives_way_to_a_good_candidate(server, fetcher):
    head = '<link rel="next" href="/page/2/">'
    server.page("/", html_page(papermod_entry("A", "a"), next_href="javascript:next()", head=head))
    server.page("/page/2/", html_page(papermod_entry("B", "b")))
    assert [p.url for p in Walk(server.url("/"), fetcher)] == [
        server.url("/"),
        server.url("/page/2/"),
    ]


def _broken_entry(title: str, slug: str, date: str, author: str, content: str) -> str:
    """A PaperMod entry as a hand-edited template writes it: no closing tags."""
    return (
        f'\n<article class="post-entry">\n  <header class="entry-header"><h2>{title}\n'
        f"  </h2></header>\n  {content}\n"
        f"  <footer class=\"entry-footer\"><span title='{date} 00:00:00 +0000 UTC'>{date}"
        f"</span>&nbsp;·&nbsp;<span>{author}</span></footer>\n"
        f'  <a class="entry-link" aria-label="post link to {title}" href="/post/{slug}/"></a>\n'
    )


BROKEN = (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="generator" content="Hugo 0.149.1"><title>Broken Blog</title>\n<body>\n'
    '<header class="header"><nav class="nav"><a href="/">Broken Blog</a></nav></header>\n'
    '<main class="main">'
    + _broken_entry(
        "Unclosed paragraphs",
        "unclosed-p",
        "2024-05-03",
        "Ann Author",
        '<div class="entry-content"><p>First paragraph<p>and a second, neither closed</div>',
    )
    + "</article>"
    # no </article>: the next entry is parsed as nested inside this one
    + _broken_entry(
        "Missing its end tag",
        "missing-end",
        "2024-04-20",
        "Bob Writer",
        '<div class="entry-content"><p>The theme forgot to close this article.</p></div>',
    )
    + _broken_entry(
        "Nested in the one before",
        "nested",
        "2024-04-02",
        "Cy Coder",
        '<div class="entry-content"><p>An article in an article.</div>',
    )
    + "</article></article>"
    + _broken_entry(
        "Stray end tags &amp; an unclosed em",
        "stray",
        "2024-03-11",
        "Ann Author",
        '<div class="entry-content"><p>Stray </span>end</b> tags and <em>emphasis.</p></div>',
    )
    + "</article>\n"
    '<footer class="page-footer"><nav class="pagination">'
    '<a class="next" href="/page/2/">Next&nbsp;&nbsp;»</a></nav></footer>\n'
    "</main>\n<footer class=footer><span>&copy; 2024 Broken Blog"  # never closed either
)


def test_malformed_html_still_yields_every_entry(server, fetcher):
    server.page("/", BROKEN)
    server.page("/page/2/", html_page(papermod_entry("Page two", "two")))
    first, second = Walk(server.url("/"), fetcher)
    assert first.profile == "papermod"
    fields = [(e.title, e.url, e.date, e.author, e.excerpt) for e in first.entries]
    post = server.url("/post/{}/").format
    assert fields == [
        (
            "Unclosed paragraphs",
            post("unclosed-p"),
            "2024-05-03",
            "Ann Author",
            "First paragraph and a second, neither closed",
        ),
        (
            "Missing its end tag",
            post("missing-end"),
            "2024-04-20",
            "Bob Writer",
            "The theme forgot to close this article.",
        ),
        (
            "Nested in the one before",
            post("nested"),
            "2024-04-02",
            "Cy Coder",
            "An article in an article.",
        ),
        (
            "Stray end tags & an unclosed em",
            post("stray"),
            "2024-03-11",
            "Ann Author",
            "Stray end tags and emphasis.",
        ),
    ]
    assert [e.title for e in second.entries] == ["Page two"]  # the next link survived too


def test_an_unclosed_excerpt_div_does_not_swallow_the_entries_after_it(server, fetcher):
    entries = "".join(
        _broken_entry(
            t,
            t.lower(),
            "2024-05-03",
            "Ann Author",
            f'<div class="entry-content"><p>Summary of {t}.</p>',
        )
        + "</article>"
        for t in ["Alpha", "Beta", "Gamma"]
    )
    server.page("/", html_page(entries, next_href="/page/2/"))
    [page] = Walk(server.url("/"), fetcher, max_pages=1)
    assert [e.title for e in page.entries] == ["Alpha", "Beta", "Gamma"]  # this much holds
    assert [e.excerpt for e in page.entries] == [
        "Summary of Alpha.",
        "Summary of Beta.",
        "Summary of Gamma.",
    ]


# --- end to end: the CLI with a fault on page 3 ---------------------------------------------

POSTS = [f"Post number {n}" for n in range(15, 0, -1)]  # newest first; 5 a page: 3 pages
DEFAULT_ATTEMPTS = FetchSettings().attempts
PAGE3 = "/page/3/"


@pytest.fixture
def quick_retries(monkeypatch):
    """The CLI's own settings but for millisecond backoff, so retried faults stay quick."""
    monkeypatch.setattr(
        job,
        "FetchSettings",
        partial(FetchSettings, backoff_initial=0.01, backoff_max=0.05, backoff_jitter=0),
    )


def scrape_cli(server: TestServer, db, *options: str):
    args = ["scrape", str(db), server.url("/"), "--delay", "0", *options]
    return CliRunner().invoke(cli, args)


def archived(db) -> list[dict]:
    database = open_archive(str(db))
    try:
        return list(database.query("select title, times_seen, removed_at from posts"))
    finally:
        database.close()


def assert_failed_cleanly(result, server: TestServer, reason: str, new: int = 10) -> None:
    """Exit 1, no traceback, and one summary line: pages 1-2 archived, page 3's URL and why."""
    url = server.url(PAGE3)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == (
        f"127.0.0.1:{server.port}: failed, 2 pages fetched, 0 not modified, "
        f"10 entries seen, {new} new; error: GET {url}: {reason}\n"
    )


PAGE3_FAULTS = {
    "60-mb-page": (
        lambda s: Reply(body=big_body(60 * MB), content_length=False),
        "response larger than 10,485,760 bytes; refused",
        1,
    ),
    "gzip-bomb": (
        lambda s: Reply(body=gzip_bomb(), headers=GZIP),
        "response larger than 10,485,760 bytes; refused",
        1,
    ),
    "pdf": (
        lambda s: Reply(body=b"%PDF-1.7\n", headers={"Content-Type": "application/pdf"}),
        "not an HTML page (Content-Type: application/pdf); skipped",
        1,
    ),
    "redirect-off-host": (
        lambda s: Reply(status=302, headers={"Location": s.url(PAGE3, "localhost")}, etag=False),
        "redirect to another host (http://localhost:{port}/page/3/) not followed",
        1,
    ),
    "redirect-loop": (
        lambda s: Reply(status=301, headers={"Location": PAGE3}, etag=False),
        "redirect loop (http://127.0.0.1:{port}/page/3/ -> http://127.0.0.1:{port}/page/3/)",
        1,
    ),
    "reset-mid-body": (
        lambda s: Reply(body=b"<p>" + b"a" * 50_000, reset_after=2000),
        "connection broke while reading the body",
        DEFAULT_ATTEMPTS,
    ),
    "truncated-body": (
        lambda s: Reply(body=b"<html><body><p>half a page", length=50_000),
        "connection broke while reading the body",
        DEFAULT_ATTEMPTS,
    ),
    "stall": (lambda s: Reply(stall=STALL), "timed out waiting for the server", DEFAULT_ATTEMPTS),
    "empty-200": (lambda s: Reply(body=b""), "empty response body", DEFAULT_ATTEMPTS),
    "5xx-burst": (lambda s: Reply(status=503), "HTTP 503 Service Unavailable", DEFAULT_ATTEMPTS),
}


@pytest.mark.parametrize("fault", list(PAGE3_FAULTS))
def test_cli_fault_on_page_3_keeps_pages_1_2_and_a_rerun_repairs(
    server, tmp_path, quick_retries, fault
):
    make, reason, attempts = PAGE3_FAULTS[fault]
    db = tmp_path / "archive.db"
    serve_listing(server, POSTS, per_page=5)
    server.route(PAGE3, make(server))
    started = time.monotonic()
    failed = scrape_cli(server, db, "--timeout", "0.5")
    assert time.monotonic() - started < TIME_BOUND
    assert_failed_cleanly(failed, server, reason.format(port=server.port))
    assert server.hits(PAGE3) == attempts
    assert all(r.host == "127.0.0.1" for r in server.requests)
    assert sorted(r["title"] for r in archived(db)) == sorted(POSTS[:10])  # nothing lost

    serve_listing(server, POSTS, per_page=5)  # the fault clears
    repaired = scrape_cli(server, db)
    assert repaired.exit_code == 0, repaired.output
    assert "15 entries seen, 5 new" in repaired.stdout
    rows = archived(db)
    assert sorted(r["title"] for r in rows) == sorted(POSTS)  # each post once: no duplicates
    assert {r["title"]: r["times_seen"] for r in rows} == {
        t: 2 if t in POSTS[:10] else 1 for t in POSTS
    }


def test_cli_a_failed_full_rerun_marks_nothing_removed(server, tmp_path, quick_retries):
    db = tmp_path / "archive.db"
    serve_listing(server, POSTS, per_page=5)
    assert scrape_cli(server, db).exit_code == 0
    server.route(PAGE3, Reply(body=b"<p>" + b"a" * 50_000, reset_after=2000))
    failed = scrape_cli(server, db, "--full")
    assert_failed_cleanly(failed, server, "connection broke while reading the body", new=0)
    rows = archived(db)
    assert len(rows) == 15 and all(r["removed_at"] is None for r in rows)


def test_cli_a_transient_reset_on_page_3_is_retried_and_the_run_ok(server, tmp_path, quick_retries):
    db = tmp_path / "archive.db"
    serve_listing(server, POSTS, per_page=5)
    page3 = server.routes[PAGE3][0]
    server.route(PAGE3, replace(page3, reset_after=500), page3)
    result = scrape_cli(server, db)
    assert result.exit_code == 0, result.output
    assert "3 pages fetched, 0 not modified, 15 entries seen, 15 new" in result.stdout
    assert server.hits(PAGE3) == 2
    assert len(archived(db)) == 15


def test_cli_a_next_link_to_another_host_ends_the_walk_unrequested(server, tmp_path):
    db = tmp_path / "archive.db"
    offhost = server.url("/page/2/", host="localhost")
    server.page("/", html_page(papermod_entry("Only post", "only"), next_href=offhost))
    result = scrape_cli(server, db)
    assert result.exit_code == 0, result.output
    assert "1 page fetched" in result.stdout and "stopped: end of listing" in result.stdout
    assert server.hits("/page/2/") == 0
    assert {r.host for r in server.requests} == {"127.0.0.1"}


def test_cli_a_pagination_loop_ends_after_two_pages(server, tmp_path):
    db = tmp_path / "archive.db"
    serve_listing(server, POSTS[:10], per_page=5)
    server.page("/page/2/", html_page(papermod_entry("Back to one", "back"), next_href="/"))
    result = scrape_cli(server, db)
    assert result.exit_code == 0, result.output
    assert "2 pages fetched" in result.stdout
    assert (server.hits("/"), server.hits("/page/2/")) == (1, 1)


def test_cli_a_full_walk_that_loops_marks_nothing_removed(server, tmp_path):
    db = tmp_path / "archive.db"
    serve_listing(server, POSTS, per_page=5)
    assert scrape_cli(server, db).exit_code == 0
    page2 = [papermod_entry(t, t.lower().replace(" ", "-")) for t in POSTS[5:10]]
    server.page("/page/2/", html_page(*page2, next_href="/"))  # page 2 now links back to 1
    result = scrape_cli(server, db, "--full")
    assert [r["title"] for r in archived(db) if r["removed_at"] is not None] == []
    assert "stopped: pagination loops back" in result.stdout

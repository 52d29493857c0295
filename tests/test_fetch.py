"""The fetcher against a real loopback server: retries, limits, decoding, politeness."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from bs4.dammit import UnicodeDammit

from listing_archiver import PROJECT_URL, __version__
from listing_archiver.scraper.errors import HTTPStatusError, ResponseTooLarge, TransportError
from listing_archiver.scraper.fetch import Fetcher, FetchSettings, decode_html, parse_retry_after

from .conftest import FAST
from .server import Reply

OK = Reply(body=b"<html><body>fine</body></html>")


def test_503_then_200_is_retried(server, fetcher):
    server.route("/flaky", Reply(status=503), OK)
    page = fetcher.get(server.url("/flaky"))
    assert "fine" in page.text
    assert server.hits("/flaky") == 2


def test_429_with_retry_after_waits_and_succeeds(server, fetcher):
    server.route("/busy", Reply(status=429, headers={"Retry-After": "1"}), OK)
    started = time.monotonic()
    page = fetcher.get(server.url("/busy"))
    assert "fine" in page.text
    assert time.monotonic() - started >= 0.95  # honoured, not the millisecond backoff
    assert server.hits("/busy") == 2


def test_retry_after_beyond_the_cap_is_cut_to_the_cap(server):
    fetcher = Fetcher(replace(FAST, retry_after_cap=0.2))
    server.route("/later", Reply(status=503, headers={"Retry-After": "3600"}), OK)
    started = time.monotonic()
    assert "fine" in fetcher.get(server.url("/later")).text
    assert time.monotonic() - started < 5


def test_404_fails_at_once_naming_url_and_status(server, fetcher):
    with pytest.raises(HTTPStatusError) as caught:
        fetcher.get(server.url("/gone"))
    assert server.hits("/gone") == 1
    assert caught.value.status == 404
    assert str(caught.value) == f"GET {server.url('/gone')}: HTTP 404 Not Found"


def test_persistent_5xx_gives_up_after_the_configured_attempts(server, fetcher):
    server.route("/down", Reply(status=502))
    with pytest.raises(HTTPStatusError, match="HTTP 502"):
        fetcher.get(server.url("/down"))
    assert server.hits("/down") == FAST.attempts


def test_a_20mb_page_with_content_length_is_refused_unread(server, fetcher):
    server.route("/huge", Reply(body=b"x" * (20 * 1024 * 1024)))
    with pytest.raises(ResponseTooLarge, match="larger than 10,485,760 bytes"):
        fetcher.get(server.url("/huge"))
    assert server.hits("/huge") == 1  # a refusal is final, not retried


def test_a_20mb_streamed_page_is_refused_while_streaming(server, fetcher):
    chunk = b"<p>" + b"y" * (1024 * 1024 - 3)
    server.route("/stream", Reply(body=(chunk for _ in range(20)), content_length=False))
    with pytest.raises(ResponseTooLarge):
        fetcher.get(server.url("/stream"))


def test_a_stalled_server_fails_after_bounded_retries(server):
    fetcher = Fetcher(replace(FAST, read_timeout=0.3, attempts=2))
    server.route("/stall", Reply(stall=30))
    started = time.monotonic()
    with pytest.raises(TransportError, match="timed out"):
        fetcher.get(server.url("/stall"))
    assert time.monotonic() - started < 5
    assert server.hits("/stall") == 2


def test_default_settings_fail_a_stalled_walk_within_two_minutes():
    d = FetchSettings()
    backoff = sum(
        min(d.backoff_initial * 2**i, d.backoff_max) + d.backoff_jitter
        for i in range(d.attempts - 1)
    )
    assert d.attempts * d.read_timeout + backoff <= 120  # a stall
    assert d.attempts * d.body_timeout + backoff <= 120  # a drip


def test_connection_refused_is_a_clear_transport_error(server, fetcher):
    url = server.url("/")
    server.stop()
    with pytest.raises(TransportError) as caught:
        fetcher.get(url)
    assert str(caught.value) == f"cannot connect to {url} (connection refused)"


def test_default_user_agent_names_tool_version_and_project(server, fetcher):
    server.route("/", OK)
    fetcher.get(server.url("/"))
    agent = server.requests[0].headers["User-Agent"]
    assert agent == f"listing-archiver/{__version__} (+{PROJECT_URL})"


def test_one_session_keeps_the_connection_alive(server, fetcher):
    server.route("/a", OK)
    for _ in range(3):
        fetcher.get(server.url("/a"))
    assert len({r.client_port for r in server.requests}) == 1


def test_politeness_delay_spaces_requests_to_one_host(server):
    fetcher = Fetcher(replace(FAST, delay=0.3))
    server.route("/a", OK)
    started = time.monotonic()
    fetcher.get(server.url("/a"))
    fetcher.get(server.url("/a"))
    assert time.monotonic() - started >= 0.3


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("<p>café</p>".encode(), "text/html; charset=utf-8", "café"),
        # no charset anywhere: detected as UTF-8, never requests' ISO-8859-1 fallback
        ("<p>naïve café — déjà vu</p>".encode(), "text/html", "naïve café — déjà vu"),
        (
            '<meta charset="windows-1252"><p>caf\xe9 \x93q\x94</p>'.encode("latin-1"),
            "text/html",
            "café “q”",
        ),
        ("\ufeff<p>bom café</p>".encode(), "text/html", "bom café"),
        # the HTTP charset wins over a contradicting <meta>
        (
            '<meta charset="utf-8"><p>caf\xe9</p>'.encode("latin-1"),
            "text/html; charset=ISO-8859-1",
            "café",
        ),
    ],
)
def test_decodes_by_http_charset_then_bom_then_meta_then_detection(body, content_type, expected):
    text, _ = decode_html(body, content_type)
    assert expected in text


@pytest.mark.parametrize(
    "body",
    [
        "<p>Grüße — “quoted” 東京</p>".encode(),
        "\ufeff<p>a BOM to strip</p>".encode(),
        b"<p>caf\xe9: not UTF-8 after all</p>",
        "<p>utf-16 with its BOM</p>".encode("utf-16"),
    ],
)
@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
def test_a_page_said_to_be_utf8_decodes_as_unicodedammit_decodes_it(body, charset):
    dammit = UnicodeDammit(body, known_definite_encodings=[charset.lower()], is_html=True)
    expected = (dammit.unicode_markup, dammit.original_encoding)
    assert decode_html(body, f"text/html; charset={charset}") == expected


def test_decoding_over_the_wire_ignores_iso_8859_1_default(server, fetcher):
    server.route(
        "/u", Reply(body="<p>Grüße aus Köln</p>".encode(), headers={"Content-Type": "text/html"})
    )
    assert "Grüße aus Köln" in fetcher.get(server.url("/u")).text


def test_retry_after_reads_seconds_and_http_dates():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(later, now=now.timestamp()) == pytest.approx(90)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None

"""Any string as a URL, to ``scrape``, ``probe`` and as ``url`` in a sources file for ``run``:
a clean exit (0, 1 or 2), never a traceback.

Only 127.0.0.1 is ever contacted: a string that is a valid URL is used only when it points at
this module's server (the bundled blog), and skipped otherwise, so a generated
``http://example.org/`` is never fetched."""

from __future__ import annotations

import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from listing_archiver.cli import cli
from listing_archiver.scraper.urls import http_url_problem

from .conftest import FIXTURES
from .server import TestServer

PORT = "{port}"  # stands for the server's port, known only once it listens

SCHEMES = st.one_of(
    st.just("http://"),
    st.sampled_from(
        ["https://", "HTTP://", "ftp://", "file://", "javascript:", "", "//", "http:/"]
    ),
)
USER_INFO = st.sampled_from(["", "ann:pw@", "@", "a b@", ":@"])
HOSTS = st.one_of(  # half the time the server's host, so that some URLs are valid
    st.just("127.0.0.1"),
    st.sampled_from(
        [
            "[::1",
            "[::1]",
            "::1]",
            "[127.0.0.1]",
            "[",
            "]",
            "exa mple.org",
            "",
            "a..b",
            ".",
            "-",
            "ß",
            "\u0660a",
            "a" * 64 + ".org",
            "%41",
            "[v1.x]",
            "127.0.0.1\x00",
            "＃x",
        ]
    ),
)
PORTS = st.one_of(
    st.just(":" + PORT),
    st.just(""),
    st.builds(":{}".format, st.text("0123456789abc+-_ ٣", max_size=7)),
    st.builds(":{}".format, st.integers(-10, 10**6)),
)
PATHS = st.one_of(
    st.sampled_from(["", "/", "/page/2/", "/missing/", "/a b", "?q=1", "#top", "/\n", "/%zz"]),
    st.text(st.characters(codec="utf-8"), max_size=8),
)
URL_LIKE = st.builds(
    lambda *parts: "".join(parts),
    SCHEMES,
    USER_INFO,
    HOSTS,
    PORTS,
    PATHS,
    st.sampled_from(["", "", "", " "]),
)
# Valid URLs of the server, with any path: the walks that do run must end cleanly too.
OURS = st.builds(lambda path: f"http://127.0.0.1:{PORT}/{path}", PATHS)
ANY_URL = st.one_of(st.text(st.characters(codec="utf-8"), max_size=40), URL_LIKE, OURS)


@pytest.fixture(scope="module")
def blog() -> Iterator[TestServer]:
    server = TestServer(FIXTURES / "papermod" / "earlier").start()
    yield server
    server.stop()


def fetched_only_if_ours(url: str, server: TestServer) -> str:
    """``url`` with the server's port filled in; skipped if it would be fetched elsewhere
    (or over https, which the server does not speak)."""
    url = url.replace(PORT, str(server.port))
    if http_url_problem(url) is None:  # it would be fetched: only from our server
        parts = urlsplit(url)
        # https would be a TLS handshake with a plain HTTP server: retried, slowly
        assume(parts.scheme.lower() == "http")
        assume(parts.hostname == "127.0.0.1" and parts.port == server.port)
    return url


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, escaping what TOML does not allow raw."""
    escaped = "".join(
        f"\\u{ord(ch):04x}" if ch in '"\\' or ord(ch) < 0x20 or ord(ch) == 0x7F else ch
        for ch in text
    )
    return f'"{escaped}"'


def assert_clean(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert result.exit_code in (0, 1, 2), result.output


@settings(
    deadline=None,
    max_examples=150,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(raw=ANY_URL)
@example(raw="http://127.0.0.1:99999/")
@example(raw="http://127.0.0.1:abc/")
@example(raw="http://[::1")
@example(raw="http://127.0.0.1:{port}/")
@example(raw="-v")
@example(raw="HTTP://127.0.0.1:{port}/#")  # found by this test: read as a redirect loop
def test_any_string_as_a_url_is_a_clean_exit_never_a_traceback(blog, raw):
    url = fetched_only_if_ours(raw, blog)
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "a.db")
        run = ["--delay", "0", "--max-pages", "1"]
        assert_clean(runner.invoke(cli, ["scrape", *run, "--", db, url]))
        assert_clean(runner.invoke(cli, ["probe", "--", url]))
        sources = Path(tmp) / "sources.toml"
        document = f"delay = 0\nmax_pages = 1\n[[source]]\nurl = {toml_string(url)}\n"
        assert tomllib.loads(document)["source"][0]["url"] == url
        sources.write_text(document, "utf-8")
        assert_clean(runner.invoke(cli, ["run", db, str(sources)]))

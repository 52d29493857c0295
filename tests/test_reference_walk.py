"""The real pages of ``../shared/reference/engines/`` walked over loopback, as a user's
walk reads them: each site's ``site/`` folder served on 127.0.0.1 with its absolute
links to its origin pointed at the local server, page 1 -> page 2 followed by the walk,
the feed discovered and fetched from the served site. What the walk reads must be what
``python -m tests.accuracy`` scores (read from the files), so the accuracy table is the
walk's own figure. Skipped cleanly where ../shared is absent (a user's clone).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from listing_archiver.scraper.paginate import Walk
from listing_archiver.scraper.records import Entry

from . import reference
from .conftest import SHARED
from .server import Reply, TestServer

SITES = reference.site_dirs() if reference.available() else []
FEED_SUFFIXES = (".xml", ".rss", ".atom")


def _serve(server: TestServer, site: Path, origin: str) -> None:
    """Every file of the site at its path, the origin's absolute links made local."""
    for file in (site / "site").rglob("*"):
        if not file.is_file():
            continue
        path = "/" + file.relative_to(site / "site").as_posix()
        body = _local(file.read_bytes(), server, origin)
        feed = file.suffix in FEED_SUFFIXES or file.parent.name == "feed"
        kind = "application/xml" if feed else "text/html; charset=utf-8"
        reply = Reply(body=body, headers={"Content-Type": kind})
        server.route(path, reply)
        if path.endswith("/index.html"):
            folder = path[: -len("index.html")]
            server.route(folder, reply)
            if folder != "/":  # as static hosts do: a folder's URL without its slash
                server.redirect(folder.rstrip("/"), folder)


def _local(body: bytes, server: TestServer, origin: str) -> bytes:
    """The origin's absolute and scheme-relative links pointed at the local server."""
    host = origin.split("://", 1)[1]
    local = server.url("").rstrip("/")
    body = body.replace(origin.encode(), local.encode())
    return body.replace(f"//{host}".encode(), local.split(":", 1)[1].encode())


def _as_origin(entries: list[Entry], local: str, origin: str) -> list[Entry]:
    def back(url: str | None) -> str | None:
        return url.replace(local, origin, 1) if url else url

    return [Entry(e.title, back(e.url), e.date, e.author, e.excerpt) for e in entries]


@pytest.fixture
def shared_present() -> None:
    if not (SHARED / "reference" / "engines").is_dir():
        pytest.skip("../shared/reference/engines is not present (only next to the project)")


@pytest.mark.usefixtures("shared_present")
@pytest.mark.parametrize("site", SITES or [None], ids=[s.name for s in SITES] or ["absent"])
def test_a_reference_site_walked_over_loopback_reads_as_the_accuracy_table_scores_it(
    server, fetcher, site
):
    assert site is not None
    origin = json.loads((site / "origin.json").read_text("utf-8"))["origin"]
    _serve(server, site, origin)
    pages = reference.page_urls(site)
    start = pages[0][1].replace(origin, server.url("").rstrip("/"), 1)
    walk = Walk(start, fetcher, max_pages=len(pages))
    walked = list(walk)
    local = server.url("").rstrip("/")

    # The walk followed the site's own next link to the page the truth calls page 2.
    assert [p.url.replace(local, origin, 1) for p in walked] == [url for _, url in pages]
    expected = list(reference.walk_site(site))
    for page, (_, _, profile, entries) in zip(walked, expected, strict=True):
        assert page.profile == profile
        assert _as_origin(list(page.entries), local, origin) == entries
    # The feed, when the walk wanted one, was discovered on the served site, once.
    feed_requests = [r.path for r in server.requests if r.path not in _page_paths(walked, local)]
    assert len(feed_requests) <= reference_feed_tries()
    if walk.learned_profile is not None and walk.learned_profile.learned_from == "feed":
        assert feed_requests, "learned from a feed that was never requested"
        assert len(set(feed_requests)) == len(feed_requests)


def _page_paths(walked: list, local: str) -> set[str]:  # type: ignore[type-arg]
    return {p.url.replace(local, "", 1) or "/" for p in walked}


def reference_feed_tries() -> int:
    from listing_archiver.scraper.feeds import MAX_TRIES

    return MAX_TRIES

"""Learned profiles kept in the archive: learned once per source (the feed fetched on
the first run only), reused by later runs so fields and hashes hold, and learned again
once when the drift alarm fires on a learned profile, kept only if it restores the
fields; both profiles recorded. Real server, real SQLite file."""

from __future__ import annotations

import pytest

from listing_archiver.archive.schema import open_archive
from listing_archiver.job import scrape_source
from listing_archiver.scraper.profile import load_profile
from listing_archiver.sources import Source
from listing_archiver.writer import SerialWriter

from .server import Reply, TestServer

FEED = (
    '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<channel><title>t</title>{items}</channel></rss>"
)
FEED_ITEM = (
    "<item><title>Story number {d} of the week</title><link>{base}story/{d}/</link>"
    "<dc:creator>Jo Writer</dc:creator><pubDate>Mon, {d:02d} Apr 2024 10:00:00 +0000</pubDate>"
    "<description>Opening line of story {d}.</description></item>"
)


def _date(d: int, layout: str) -> str:
    if layout == "moved":  # the theme changed: the date now sits in a <time> in a meta line
        return f'<p class="meta"><time datetime="2024-04-{d:02d}">April {d}, 2024</time></p>'
    if layout == "dateless":
        return ""
    return f"<span>April {d}, 2024</span>"


def _page(stories: range, layout: str, next_href: str | None) -> str:
    rows = "".join(
        f'<div class="row"><h2><a href="/story/{d}/">Story number {d} of the week</a></h2>'
        f"<p><span>Jo Writer</span></p>{_date(d, layout)}<div>Opening line of story {d}.</div>"
        "</div>"
        for d in stories
    )
    nav = f'<a rel="next" href="{next_href}">Older</a>' if next_href else ""
    head = '<link rel="alternate" type="application/rss+xml" href="/feed.rss">'
    return f"<html><head>{head}</head><body><main>{rows}{nav}</main></body></html>"


def _serve(server: TestServer, layout: str = "first") -> None:
    server.page("/", _page(range(1, 7), layout, "/p2"))
    server.page("/p2", _page(range(7, 13), layout, None))
    items = "".join(FEED_ITEM.format(d=d, base=server.url("/")) for d in range(1, 7))
    server.route("/feed.rss", Reply(body=FEED.format(items=items).encode(), headers={}))


@pytest.fixture
def db(tmp_path):
    database = open_archive(str(tmp_path / "archive.db"))
    yield database
    database.close()


def _run(db, server):
    source = Source(name="news", url=server.url("/"), delay=0)
    return scrape_source(SerialWriter(db), source, full=True)


def _profiles(db):
    return list(db.query("select * from learned_profiles order by id"))


def test_the_first_run_keeps_what_it_learned_and_the_next_reuses_it_without_the_feed(server, db):
    _serve(server)
    first = _run(db, server)
    assert (first.status, first.new_posts) == ("ok", 12)
    [row] = _profiles(db)
    assert (row["source"], row["status"], row["learned_from"]) == ("news", "active", "feed")
    assert row["page_url"] == server.url("/") and row["run_id"] == first.run_id
    profile = load_profile(row["profile"], "stored")  # the TOML a user could edit
    assert profile.name == "learned" and profile.author

    second = _run(db, server)
    assert (second.status, second.new_posts, second.changed_posts) == ("ok", 0, 0)
    assert server.hits("/feed.rss") == 1  # the first run's only: learned once per source
    assert len(_profiles(db)) == 1
    authors = {r["author"] for r in db.query("select author from posts")}
    assert authors == {"Jo Writer"}


def test_a_drift_on_a_learned_profile_learns_again_and_keeps_the_profile_that_restores(server, db):
    _serve(server)
    _run(db, server)
    _serve(server, "moved")
    again = _run(db, server)
    assert again.status == "ok"
    assert (again.new_posts, again.changed_posts) == (0, 0)  # same fields: no forked hashes
    old, new = _profiles(db)
    assert (old["status"], new["status"]) == ("replaced", "active")
    assert old["replaced_by"] == new["id"] and new["run_id"] == again.run_id
    assert "time" in " ".join(load_profile(new["profile"], "new").date)


def test_a_relearned_profile_that_does_not_restore_the_fields_is_recorded_and_not_kept(server, db):
    _serve(server)
    _run(db, server)
    _serve(server, "dateless")
    again = _run(db, server)
    assert again.status == "degraded" and "date missing" in (again.error or "")
    old, new = _profiles(db)
    assert (old["status"], new["status"]) == ("active", "rejected")
    assert db.execute("select count(*) from posts").fetchone()[0] == 12  # nothing archived

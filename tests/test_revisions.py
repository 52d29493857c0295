"""Edits, removals and provenance over the fixture blog at three moments (earlier,
later, revised: one post edited, one deleted, one link given tracking parameters),
and the history, export and serve commands on the result."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from listing_archiver import serve as serve_module
from listing_archiver.archive.identity import canonical_url
from listing_archiver.archive.schema import open_archive
from listing_archiver.cli import cli

from .conftest import FIXTURES
from .server import Reply, serve_listing

SITE = FIXTURES / "papermod"
EDITED_OLD = "A Gentle Introduction to Mixed Precision Training"
EDITED_NEW = "A Gentle Introduction to Mixed-Precision Training with bfloat16"
REMOVED = "Visualizing Attention Maps of Vision Transformers"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Blog.Example.ORG:443/Post/A/", "https://blog.example.org/Post/A"),
        ("http://blog.example.org:80/", "https://blog.example.org/"),  # http and https: one
        ("http://blog.example.org:8080/p", "https://blog.example.org:8080/p"),
        (
            "https://b.org/p/?utm_source=rss&utm_Medium=x&id=3&fbclid=1&gclid=2#top",
            "https://b.org/p?id=3",
        ),
        ("https://b.org/p?b=2&a=1", "https://b.org/p?b=2&a=1"),  # other parameters kept, in order
        ("http://www.b.org/p/", "https://b.org/p"),  # a leading www. is dropped
        ("https://WWW.b.org:8443/p", "https://b.org:8443/p"),
        ("https://www.localhost/p", "https://www.localhost/p"),  # no dotted name would remain
        ("https://wwwb.org/p", "https://wwwb.org/p"),
        ("https://b.org/p;jsessionid=0AF3B2C1?id=3", "https://b.org/p?id=3"),
        ("https://b.org/p/;JSESSIONID=0AF3/", "https://b.org/p"),
        ("https://b.org/p?JSESSIONID=1&Sid=2&phpsessid=3&page=2", "https://b.org/p?page=2"),
        ("https://b.org/p;v=2", "https://b.org/p;v=2"),  # other path parameters kept
        ("https://b.org/p?side=1&sids=2", "https://b.org/p?side=1&sids=2"),
    ],
)
def test_post_key_is_the_canonical_url(url, canonical):
    assert canonical_url(url) == canonical


def scrape_blog(site, db_path, *args):
    return CliRunner().invoke(
        cli,
        ["scrape", str(db_path), site.url("/"), "--delay", "0", "--source", "blog", *args],
    )


def moments(site, db_path, *names, args=("--full",)):
    """Scrape the fixture blog as it was at each moment, in turn; the summary lines."""
    lines = []
    for name in names:
        site.root = SITE / name
        result = scrape_blog(site, db_path, *args)
        assert result.exit_code == 0, result.output
        lines.append(result.stdout.strip())
    return lines


def current(db, title):
    return next(db.query("select * from current_posts where title = ?", [title]), None)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "archive.db"


def test_an_edit_is_a_new_version_of_the_same_post(site, db_path):
    *_, revised = moments(site, db_path, "earlier", "later", "revised")
    assert "0 new, 1 changed, 1 removed" in revised
    db = open_archive(str(db_path))
    versions = list(
        db.query(
            "select title, post_key from posts where post_key = (select post_key from posts"
            " where title = ?) order by first_seen",
            [EDITED_OLD],
        )
    )
    assert [v["title"] for v in versions] == [EDITED_OLD, EDITED_NEW]  # the old one is kept
    assert current(db, EDITED_NEW)["versions"] == 2
    assert current(db, EDITED_OLD) is None
    assert db.execute("select count(*) from current_posts").fetchone()[0] == 19
    run = db.execute(
        "select changed_posts, removed_posts, new_posts from runs order by id desc limit 1"
    ).fetchone()
    assert run == (1, 1, 0)


def test_a_link_with_tracking_parameters_is_the_same_post(site, db_path):
    moments(site, db_path, "earlier", "later", "revised")
    db = open_archive(str(db_path))
    rows = list(
        db.query(
            "select post_key, url, times_seen from posts where title = ?",
            ["Tracking Experiments with a Plain SQLite File"],
        )
    )
    assert len(rows) == 1
    assert rows[0]["post_key"] == canonical_url(site.url("/post/experiments-in-sqlite"))
    assert rows[0]["times_seen"] == 3


def test_a_full_walk_marks_posts_no_longer_listed_and_clears_them_on_return(site, db_path):
    moments(site, db_path, "later", "revised")
    db = open_archive(str(db_path))
    assert current(db, REMOVED)["removed_at"] is not None
    assert (
        db.execute("select count(*) from current_posts where removed_at is not null").fetchone()[0]
        == 1
    )
    [back] = moments(site, db_path, "later")
    assert current(db, REMOVED)["removed_at"] is None
    assert db.execute("select count(*) from posts").fetchone()[0] == 20  # rows never deleted
    assert "removed" not in back.split("(")[0]


def test_an_incremental_walk_never_marks_removals(server, db_path):
    # Not even one that reaches the end of the listing: it asked for pages conditionally
    # and may stop early on another run, so only a full walk says what is gone.
    def scrape(*args: str):
        argv = ["scrape", str(db_path), server.url("/"), "--delay", "0", *args]
        result = CliRunner().invoke(cli, argv)
        assert result.exit_code == 0, result.output
        return result.stdout

    def removed_at(title: str) -> object:
        return current(open_archive(str(db_path)), title)["removed_at"]

    serve_listing(server, ["Post 3", "Post 2", "Post 1"])
    scrape()
    serve_listing(server, ["Post 4", "Post 3", "Post 1"])  # Post 2 deleted, Post 4 new
    assert "1 new (incremental, stopped: end of listing)" in scrape()
    assert removed_at("Post 2") is None
    assert "1 removed" in scrape("--full")  # the same listing, walked in full
    assert removed_at("Post 2") is not None


def test_a_full_walk_that_does_not_reach_the_end_never_marks_removals(site, db_path):
    moments(site, db_path, "later")
    moments(site, db_path, "revised", args=("--full", "--max-pages", "3"))
    site.root = SITE / "revised"
    site.route("/page/4/", Reply(status=404))
    assert scrape_blog(site, db_path, "--full").exit_code == 1
    db = open_archive(str(db_path))
    assert db.execute("select count(*) from posts where removed_at is not null").fetchone()[0] == 0


def test_where_and_when_a_post_was_first_seen_is_one_query(site, db_path):
    moments(site, db_path, "earlier", "later")
    db = open_archive(str(db_path))
    first = db.execute(
        "select s.run_id, s.page_number, s.position, s.page_url, s.seen_at from sightings s"
        " join posts p using (content_hash) where p.title like '[Paper] Adafactor%'"
        " order by s.run_id, s.id limit 1"
    ).fetchone()
    assert first[:4] == (1, 2, 4, site.url("/page/2/"))
    later = db.execute(
        "select page_number, position from sightings s join posts p using (content_hash)"
        " where p.title like '[Paper] Adafactor%' and s.run_id = 2"
    ).fetchone()
    assert later == (3, 1)  # pushed to page 3 by the two new posts
    per_run = dict(db.execute("select run_id, count(*) from sightings group by run_id").fetchall())
    assert per_run == {1: 17, 2: 8}  # run 2: its 2 new posts, and the 6 pushed a page on
    moved = db.execute(
        "select count(*) from sightings s join sightings e on e.content_hash = s.content_hash"
        " and e.run_id = 1 where s.run_id = 2 and e.page_number != s.page_number"
    ).fetchone()[0]
    assert moved == 6


def test_a_second_walk_of_an_unchanged_listing_adds_no_sighting(site, db_path):
    moments(site, db_path, "earlier", "earlier")
    db = open_archive(str(db_path))
    per_run = dict(db.execute("select run_id, count(*) from sightings group by run_id").fetchall())
    assert per_run == {1: 17}
    seen = db.execute("select min(times_seen), max(times_seen), min(last_run) from posts")
    assert seen.fetchone() == (2, 2, 2)  # counted on the versions instead


def test_posts_counted_from_a_304_move_their_counters_and_add_no_sighting(server, db_path):
    serve_listing(server, [f"Post {i}" for i in range(25, 0, -1)])  # with ETags
    for _ in range(2):
        result = CliRunner().invoke(cli, ["scrape", str(db_path), server.url("/"), "--delay", "0"])
        assert result.exit_code == 0, result.output
    db = open_archive(str(db_path))
    assert db.execute("select count(*) from sightings where run_id = 2").fetchone()[0] == 0
    page_one = db.execute(
        "select count(*) from posts where times_seen = 2 and last_run = 2"
    ).fetchone()[0]
    assert page_one == 10
    assert db.execute("select not_modified from runs where id = 2").fetchone()[0] == 1


def test_history_prints_versions_oldest_first_with_what_changed(site, db_path):
    moments(site, db_path, "earlier", "later", "revised")
    url = site.url("/post/mixed-precision-training/?utm_source=x#top")
    result = CliRunner().invoke(cli, ["history", str(db_path), url])
    assert result.exit_code == 0, result.output
    out = result.stdout
    key = canonical_url(site.url("/post/mixed-precision-training"))
    assert out.startswith(f"{key}: 2 versions")
    assert out.index("Version 1:") < out.index("Version 2:")
    assert f"  title: {EDITED_OLD}" in out
    assert f"changed title: '{EDITED_OLD}' → '{EDITED_NEW}'" in out
    assert "changed excerpt: " in out and "[-float16 or-]" in out
    assert "found on page 1, position 5" in out and "found on page 2, position 2" in out


def test_history_of_a_removed_post_says_since_when(site, db_path):
    moments(site, db_path, "later", "revised")
    result = CliRunner().invoke(
        cli, ["history", str(db_path), site.url("/post/vit-attention-maps/")]
    )
    assert "Removed: no longer listed since " in result.stdout


def test_history_of_an_unknown_url_exits_1(site, db_path):
    moments(site, db_path, "later")
    result = CliRunner().invoke(cli, ["history", str(db_path), "https://elsewhere.example/x"])
    assert result.exit_code == 1
    assert f"{db_path} has no post at https://elsewhere.example/x" in result.stderr


def test_export_writes_current_posts_to_stdout_or_a_file(site, db_path, tmp_path):
    moments(site, db_path, "earlier", "later", "revised")
    out = CliRunner().invoke(cli, ["export", str(db_path), "--format", "ndjson"])
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 19 and rows[0]["title"] == "Fine-tuning Whisper on a Single Consumer GPU"
    feed = tmp_path / "feed.xml"
    result = CliRunner().invoke(
        cli, ["export", str(db_path), "--format", "atom", "--source", "blog", "-o", str(feed)]
    )
    assert result.exit_code == 0
    assert result.stderr == f"19 posts written to {feed}\n"
    assert feed.read_text("utf-8").count("<entry>") == 19


def test_export_rejects_an_unknown_format_and_a_missing_archive(tmp_path):
    missing = CliRunner().invoke(cli, ["export", str(tmp_path / "none.db")])
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    (tmp_path / "a.db").touch()
    bad = CliRunner().invoke(cli, ["export", str(tmp_path / "a.db"), "--format", "xml"])
    assert bad.exit_code == 2 and "'xml' is not one of" in bad.stderr


def test_serve_without_datasette_says_how_to_install_it(tmp_path, monkeypatch):
    db = tmp_path / "a.db"
    open_archive(str(db)).close()
    monkeypatch.setattr(serve_module, "datasette_available", lambda: False)
    result = CliRunner().invoke(cli, ["serve", str(db)])
    assert result.exit_code == 1
    assert "pip install 'datasette==0.65.5'" in result.stderr

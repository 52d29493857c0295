"""Secrets stay out of messages, logs and the archive; SQL takes only bound values."""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.store import _count, start_run
from listing_archiver.cli import cli
from listing_archiver.scraper.urls import redact

from .server import serve_listing


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://ann:hunter2@blog.example.org/p", "https://***@blog.example.org/p"),
        (
            "https://b.org/feed?page=2&token=abc&api_key=k&lang=en",
            "https://b.org/feed?page=2&token=***&api_key=***&lang=en",
        ),
        ("https://b.org/p?session=s1&Signature=x", "https://b.org/p?session=***&Signature=***"),
        ("https://b.org/plain/path", "https://b.org/plain/path"),
    ],
)
def test_redact_hides_credentials_and_secret_query_values(url, shown):
    assert redact(url) == shown


def test_a_url_with_secrets_never_reaches_output_logs_or_the_archive(server, tmp_path, caplog):
    serve_listing(server, [f"Post {i}" for i in range(12, 0, -1)])
    url = server.url("/").replace("http://", "http://ann:hunter2@") + "?token=s3cr3t"
    db = tmp_path / "a.db"
    with caplog.at_level(logging.DEBUG):
        ok = CliRunner().invoke(cli, ["-vvv", "scrape", str(db), url, "--delay", "0"])
        failed = CliRunner().invoke(
            cli, ["scrape", str(db), url.replace("/?", "/missing/?"), "--delay", "0"]
        )
    assert ok.exit_code == 0 and failed.exit_code == 1
    said = ok.output + failed.output + caplog.text
    assert "token=***" in failed.output
    for secret in ("hunter2", "s3cr3t"):
        assert secret not in said
        archive = open_archive(str(db))
        rows = archive.execute("select source, url, error from runs").fetchall()
        assert secret not in repr(rows)


def test_run_counters_refuse_a_column_name_that_is_not_one(tmp_path):
    db = open_archive(str(tmp_path / "a.db"))
    run = start_run(db, source="s", url="u")
    with pytest.raises(ValueError, match="not a run counter"):
        _count(db, run, **{"new_posts = 0; drop table posts; --": 1})
    assert db["posts"].exists()

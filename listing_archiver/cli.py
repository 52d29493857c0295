"""The ``listing-archiver`` command line: wires options to the job, errors to messages."""

from __future__ import annotations

import logging
import sqlite3
import sys
from pathlib import Path
from urllib.parse import urlsplit

import click
from sqlite_utils import Database

from archive.schema import open_archive
from scraper.errors import ScraperError
from scraper.fetch import Fetcher, FetchSettings
from scraper.paginate import check_start_url
from scraper.profiles import PROFILES, get_profile

from . import __version__
from .job import scrape as run_scrape

DEFAULTS = FetchSettings()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="listing-archiver")
@click.option("-v", "--verbose", count=True, help="Log each page (-v) or every request (-vv).")
def cli(verbose: int) -> None:
    """Archive paginated listing pages into a deduplicated SQLite database."""
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(message)s", stream=sys.stderr)
    if verbose < 2:  # urllib3's connection chatter is noise at -v
        logging.getLogger("urllib3").setLevel(logging.WARNING)


@cli.command()
@click.argument("url")
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite archive to write (created if missing).",
)
@click.option(
    "--delay",
    type=click.FloatRange(min=0),
    default=DEFAULTS.delay,
    show_default=True,
    help="Seconds to wait between two requests to the site.",
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after this many pages.")
@click.option(
    "--profile",
    type=click.Choice(sorted(PROFILES)),
    help="Site profile to parse with.  [default: detect from the first page]",
)
@click.option(
    "--user-agent",
    default=DEFAULTS.user_agent,
    show_default=True,
    help="User-Agent header to send.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULTS.read_timeout,
    show_default=True,
    help="Seconds of silence tolerated from the server (connecting: at most 10).",
)
@click.option(
    "--full",
    is_flag=True,
    help="Walk every page to the end of the listing (currently always the case).",
)
@click.option(
    "--source", help="Name recorded in posts.source and runs.source.  [default: the URL's host]"
)
def scrape(
    url: str,
    db_path: Path,
    delay: float,
    max_pages: int | None,
    profile: str | None,
    user_agent: str,
    timeout: float,
    full: bool,
    source: str | None,
) -> None:
    """Walk the listing at URL page by page and archive every entry into --db.

    Each post is stored once, keyed by a hash of its content; seeing it again (on
    another page, or in a later run) only updates last_seen and times_seen.
    Exits 0 when the walk completed, 1 when it failed (pages already archived stay).
    """
    try:
        check_start_url(url)
    except ScraperError as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None
    settings = FetchSettings(
        delay=delay,
        user_agent=user_agent,
        read_timeout=timeout,
        connect_timeout=min(timeout, DEFAULTS.connect_timeout),
    )
    db = _open(db_path)
    fetcher = Fetcher(settings)
    try:
        report = run_scrape(
            db,
            url,
            source=source or urlsplit(url).netloc,
            fetcher=fetcher,
            profile=get_profile(profile) if profile else None,
            max_pages=max_pages,
        )
    finally:
        fetcher.close()
        db.close()
    click.echo(report.summary())
    if report.status != "ok":
        sys.exit(1)


@cli.command()
@click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("demo.db"),
    show_default=True,
    help="Archive to create; an existing file of this name is replaced.",
)
def demo(db_path: Path) -> None:
    """Archive the bundled sample blog twice, offline, and show what dedup did.

    Serves fixtures/ on a free 127.0.0.1 port, scrapes the listing as it was at an
    earlier moment and again after two new posts pushed every entry down the pages.
    """
    from .demo import run_demo

    run_demo(db_path, click.echo)


def _open(path: Path) -> Database:
    try:
        return open_archive(str(path))
    except (sqlite3.DatabaseError, OSError) as exc:  # not a database, unwritable folder...
        raise click.ClickException(f"cannot open archive {path}: {exc}") from None


def main() -> None:
    cli(prog_name="listing-archiver")

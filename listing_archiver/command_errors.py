"""What every command shares at its edge: exit codes, one-line errors, the DB argument.

Library errors become ``click.ClickException`` here (as sqlite-utils does), never a
traceback for a user's mistake.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlite_utils import Database

from listing_archiver.archive.errors import ArchiveBusy, ArchiveUnusable
from listing_archiver.archive.opening import open_reader
from listing_archiver.scraper.errors import InvalidURL
from listing_archiver.scraper.paginate import check_start_url

EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 1, 2, 3

# The DB argument of the commands that read an archive: it must exist already.
existing_archive = click.argument(
    "db_path", metavar="DB", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


class ConfigProblem(click.ClickException):
    exit_code = EXIT_USAGE


class ArchiveProblem(click.ClickException):
    """The archive cannot be used as asked (not one, read-only, too old or new): exit 2."""

    exit_code = EXIT_USAGE


def check_url(url: str) -> None:
    """A malformed URL is a usage error: one line naming it, exit 2, nothing opened."""
    try:
        check_start_url(url)
    except InvalidURL as exc:
        raise ConfigProblem(str(exc)) from None


def read_archive(path: Path) -> Database:
    """The archive opened read-only for a reader; a refusal is one line, exit 2."""
    try:
        return open_reader(str(path))
    except ArchiveUnusable as exc:
        raise ArchiveProblem(str(exc)) from None


@contextmanager
def archive_errors() -> Iterator[None]:
    """The archive's refusals as one line: exit 3 when busy, 2 when it cannot be used."""
    try:
        yield
    except ArchiveBusy as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_BUSY)
    except ArchiveUnusable as exc:
        raise ArchiveProblem(str(exc)) from None

"""The commands that read an archive (``history``, ``runs``, ``export``, ``serve``) or upgrade it:
they never walk a site, and readers open the archive read-only (``archive.opening``)."""

from __future__ import annotations

import sys
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import click

from listing_archiver.archive import runs as run_log
from listing_archiver.archive.errors import ExportPathError, ExportWriteError, UnknownSource
from listing_archiver.archive.export import (
    FORMATS,
    FeedOptions,
    Selection,
    export_posts,
    write_to_path,
)
from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.opening import upgrade_archive
from listing_archiver.archive.selection import check_source

from .command_errors import (
    ConfigProblem,
    archive_errors,
    existing_archive,
    read_archive,
)
from .output import write_to_stdout


@click.command()
@existing_archive
@click.argument("url")
def history(db_path: Path, url: str) -> None:
    """Show every version of the post at URL, oldest first, and what changed.

    URL may be written as the site links it: tracking parameters, a trailing slash
    or a #fragment do not matter. Exits 1 when the archive has no such post.
    """
    from listing_archiver.archive.history import find_post_key, format_history, post_history

    with closing(read_archive(db_path)) as db:
        key = find_post_key(db, url)
        if key is None:
            raise click.ClickException(f"{db_path} has no post at {url}")
        click.echo(format_history(key, post_history(db, key)))


def _iso_date(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    """``--since``: a calendar date written as ISO 8601 (2024-03-18); anything else is a
    usage error naming it. (A callback rather than a ParamType: click 8.2 made ParamType
    generic and 8.1 is not, so a subclass cannot be typed for both.)"""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2024-03-18"
        ) from None


@click.command()
@existing_archive
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=run_log.DEFAULT_LIMIT,
    show_default=True,
    help="Runs shown per source, newest first.",
)
@click.option("--source", "source_name", help="Only this source's runs.")
@click.option("--failed", is_flag=True, help="Only runs that failed, degraded or were interrupted.")
@click.option("--json", "as_json_output", is_flag=True, help="Print one JSON array.")
def runs(
    db_path: Path, limit: int, source_name: str | None, failed: bool, as_json_output: bool
) -> None:
    """Show the recent runs of each source: status, pages, new, changed and removed
    posts, how long each took and its error. The archive is only read."""
    with closing(read_archive(db_path)) as db:
        names = run_log.source_names(db)
        if source_name is not None and source_name not in names:
            known = ", ".join(names) or "none"
            raise ConfigProblem(
                f"{db_path} has no runs of source {source_name!r} (sources: {known})"
            )
        rows = run_log.recent_runs(
            db, [source_name] if source_name else names, limit=limit, failed=failed
        )
    if as_json_output:
        click.echo(run_log.as_json(rows))
    elif rows:
        click.echo(run_log.as_text(rows))
    else:
        click.echo(f"{db_path} has no {'failed, degraded or interrupted ' if failed else ''}runs")


@click.command()
@existing_archive
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="csv, json (one array), ndjson (one object a line) or atom (a feed).",
)
@click.option("--source", help="Only this source's posts (one the archive has).")
@click.option(
    "--since",
    metavar="DATE",
    callback=_iso_date,
    help="Only posts dated on or after DATE (YYYY-MM-DD); undated ones first seen since.",
)
@click.option("--limit", type=click.IntRange(min=1), help="At most N posts (the first N).")
@click.option(
    "--all-versions",
    is_flag=True,
    help="Every version of each post, current first, with is_current; not only the current one.",
)
@click.option(
    "--feed-url",
    metavar="URL",
    help="Where the Atom feed is published: its rel=self link.  [default: the -o file's name]",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="File to write (a regular file is replaced atomically; a symlink is written "
    "through, a FIFO or device in place; - is standard output).  [default: standard output]",
)
def export(
    db_path: Path,
    fmt: str,
    source: str | None,
    since: date | None,
    limit: int | None,
    all_versions: bool,
    feed_url: str | None,
    output: str | None,
) -> None:
    """Export the archive's current posts (one row per post, its newest version),
    newest first, undated ones after them in the site's order. The Atom feed turns any
    listing into a feed."""
    selection = Selection(source=source, since=since, limit=limit, all_versions=all_versions)
    feed = FeedOptions(self_url=_self_url(fmt, feed_url, output))
    with closing(read_archive(db_path)) as db:
        try:  # before -o is opened: a FIFO would wait for its reader, a file be replaced
            check_source(db, source)
        except UnknownSource as exc:
            raise ConfigProblem(str(exc)) from None

        def write(out: TextIO) -> int:
            return export_posts(db, fmt, out, selection, feed)

        try:
            if output is None or output == "-":
                write_to_stdout(write)
                return
            count = write_to_path(Path(output), write)
        except ExportPathError as exc:  # no such folder, a read-only one: fix the command
            raise ConfigProblem(str(exc)) from None
        except ExportWriteError as exc:  # a full disk, a reader gone: this export failed
            raise click.ClickException(str(exc)) from None
        click.echo(f"{count} posts written to {output}", err=True)


def _self_url(fmt: str, feed_url: str | None, output: str | None) -> str | None:
    """The feed's rel=self: ``--feed-url``, else the file's name, a relative reference that
    resolves to the feed itself wherever the file is published under that name."""
    if feed_url is not None:
        parts = urlsplit(feed_url)
        if fmt != "atom" or parts.scheme not in ("http", "https") or not parts.netloc:
            why = "only --format atom has one" if fmt != "atom" else "give an http(s) URL"
            raise click.BadParameter(f"{feed_url!r}: {why}", param_hint="--feed-url")
        return feed_url
    if fmt == "atom" and output not in (None, "-"):
        return Path(str(output)).name
    return None


# Options serve does not know go on to Datasette as they are: `serve DB --setting
# sql_time_limit_ms 5000 --cors`. click keeps them (and any word after `--`) in ctx.args,
# in the order given; a `--` is needed only to pass an option serve has too (-h, --port).
PASS_THROUGH = {"ignore_unknown_options": True, "allow_extra_args": True}


@click.command(context_settings=PASS_THROUGH)
@existing_archive
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 lets anyone who can reach this machine read the "
    "archive and run SQL on it.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on.",
)
@click.pass_context
def serve(ctx: click.Context, db_path: Path, host: str, port: int) -> None:
    """Browse the archive in Datasette (on 127.0.0.1 unless --host says otherwise), with
    titles, descriptions, facets, full-text search and canned queries set up.

    Any other option is passed on to Datasette, after serve's own settings, so it wins:
    `serve DB --setting sql_time_limit_ms 5000`, `serve DB -- --cors`."""
    from .serve import DatasetteMissing
    from .serve import serve as run_datasette

    read_archive(db_path).close()  # a foreign, damaged or outdated file: one line, not Datasette's
    try:
        sys.exit(run_datasette(db_path, port, host=host, extra=tuple(ctx.args)))
    except DatasetteMissing as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@existing_archive
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for a run on the archive to finish.",
)
def upgrade(db_path: Path, wait: float) -> None:
    """Apply the migrations an archive made by an older listing-archiver lacks, so that
    export and history can read it (scrape and run upgrade on first open too).
    Nothing is changed on an archive that is up to date."""
    with archive_errors(), archive_lock(db_path, wait):
        applied = upgrade_archive(str(db_path))
    if applied:
        click.echo(f"{db_path}: applied {len(applied)} migrations: {', '.join(applied)}")
    else:
        click.echo(f"{db_path} is up to date: nothing to apply")


COMMANDS = (history, runs, export, serve, upgrade)

"""The ``listing-archiver`` command line: wires options to the job, errors to messages.

Exit codes: 0 every source fine, 1 some source failed (the others still archived),
2 usage or config error, 3 the archive is busy with another run, 130 / 143 stopped by
SIGINT / SIGTERM (``interrupts``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from sqlite_utils import Database

from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.opening import open_writer
from listing_archiver.archive.store import mark_interrupted
from listing_archiver.scraper.cancel import Cancellation
from listing_archiver.scraper.errors import ScraperError
from listing_archiver.scraper.fetch import FetchSettings
from listing_archiver.scraper.profile import PROFILES, resolve_profile
from listing_archiver.scraper.urls import host_key

from . import __version__
from .archive_commands import COMMANDS
from .broker import BrokerSettings
from .command_errors import EXIT_FAILED, ConfigProblem, archive_errors, check_url
from .db_argument import (
    ArchivePath,
    demo_target,
    deprecated_db_option,
    run_targets,
    scrape_targets,
)
from .distributed_commands import broker_settings, worker
from .interrupts import exit_interrupted, handling_interrupts
from .job import PageCallback, RunReport
from .logs import accept_anywhere, add_quiet
from .merge_command import merge
from .report import as_json, as_text, is_newsworthy, live_progress
from .runner import DEFAULT_JOBS, RunOptions, run_sources
from .sources import ConfigError, Source, load_sources
from .writer import SerialWriter

DEFAULTS = FetchSettings()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="listing-archiver")
def cli() -> None:
    """Archive paginated listing pages into a deduplicated SQLite database.

    Exit codes: 0 all sources fine, 1 some source failed, 2 usage or config error,
    3 archive busy with another run, 130 / 143 stopped by SIGINT / SIGTERM.
    -v and -q may follow the command too.
    """


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by ``scrape`` and ``run``: how to walk and what to say."""
    for option in reversed(
        [
            deprecated_db_option,
            click.option(
                "--full",
                is_flag=True,
                help="Walk every page to the end, fetching each afresh.  "
                "[default: stop at the first page of known posts]",
            ),
            click.option(
                "--ignore-robots",
                is_flag=True,
                help="Do not fetch or obey robots.txt (only for sites you may crawl).",
            ),
            click.option(
                "--accept-drift",
                is_flag=True,
                help="Archive pages even where a field the source nearly always had is missing "
                "(after a deliberate change on the site).",
            ),
            click.option(
                "--wait",
                type=click.FloatRange(min=0),
                default=0,
                show_default=True,
                help="Seconds to wait for another run on the same archive to finish.",
            ),
            click.option(
                "--json",
                "as_json_output",
                is_flag=True,
                help="Print one JSON object instead of summary lines.",
            ),
            click.option(
                "-q",
                "--quiet",
                is_flag=True,
                callback=add_quiet,
                help="Print nothing when nothing is new and nothing failed; log errors only.",
            ),
        ]
    ):
        command = option(command)
    return command


@cli.command()
@click.argument("words", nargs=-1, metavar="DB URL...")
@run_options
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
    "--source",
    "source_name",
    help="Name recorded in posts.source and runs.source.  [default: the URL's host]",
)
def scrape(
    words: tuple[str, ...],
    db_option: Path | None,
    delay: float,
    max_pages: int | None,
    profile: str | None,
    user_agent: str,
    timeout: float,
    source_name: str | None,
    **run: Any,
) -> None:
    """Walk the listing at each URL page by page and archive every entry into DB.

    Each URL is a source, named by its host unless --source names it (one URL only).
    Sources on different hosts are walked at once, as run walks them. Each post is
    stored once, keyed by a hash of its content; seeing it again (on another page, or
    in a later run) only updates last_seen and times_seen. By default a walk stops at
    the first page whose posts are all archived already.
    """
    db_path, urls = scrape_targets(words, db_option)
    for url in urls:
        check_url(url)
    sources = [
        Source(
            name=name,
            url=url,
            profile=profile,
            max_pages=max_pages,
            delay=delay,
            user_agent=user_agent,
            timeout=timeout,
        )
        for name, url in _named(urls, source_name)
    ]
    _execute(sources, db_path=db_path, jobs=DEFAULT_JOBS, **run)


def _named(urls: Sequence[str], source_name: str | None) -> list[tuple[str, str]]:
    """Each URL's source name: its host, or --source for a single URL. A name is a
    source's identity (its previous run, its known posts, what a full walk marks
    removed), so two URLs never share one: that is a sources file's job."""
    if source_name is not None and len(urls) > 1:
        raise click.UsageError(
            "--source names one source: give one URL with it, or name each in a sources file"
            " (listing-archiver run DB SOURCES)"
        )
    named = [(source_name or host_key(url), url) for url in urls]
    seen: set[str] = set()
    for name, url in named:
        if name in seen:
            raise click.UsageError(
                f"{url}: a second source named {name!r}: scrape it on its own with --source,"
                " or name each in a sources file (listing-archiver run DB SOURCES)"
            )
        seen.add(name)
    return named


@cli.command(name="run")
@click.argument("words", nargs=-1, metavar="DB SOURCES")
@run_options
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=DEFAULT_JOBS,
    show_default=True,
    help="Sources on different hosts fetched at once.",
)
@click.option(
    "--broker",
    "broker_url",
    metavar="redis://HOST:PORT/N",
    help="Send the walks to `listing-archiver worker`s through this Redis; this process"
    " writes the archive.  [default: walk here]",
)
def run_command(
    words: tuple[str, ...], db_option: Path | None, jobs: int, broker_url: str | None, **run: Any
) -> None:
    """Scrape every source listed in the SOURCES file (TOML) into DB.

    Sources on different hosts run concurrently; one host's pages are fetched one at
    a time with its delay. A failing source is recorded and the others still archived.
    """
    db_path, sources_file = run_targets(words, db_option)
    try:
        sources = load_sources(sources_file)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None
    _execute(sources, db_path=db_path, jobs=jobs, broker_url=broker_url, **run)


def _execute(
    sources: Sequence[Source],
    *,
    db_path: Path,
    jobs: int,
    full: bool,
    ignore_robots: bool,
    accept_drift: bool,
    wait: float,
    as_json_output: bool,
    quiet: bool,
    broker_url: str | None = None,
) -> None:
    settings = broker_settings(broker_url) if broker_url else None
    cancel = Cancellation()
    with handling_interrupts(cancel) as interrupts:
        with archive_errors(), archive_lock(db_path, wait):
            db = open_writer(str(db_path))  # a refusal passes archive_lock, which tidies up
            try:
                show_progress = sys.stderr.isatty() and not (quiet or as_json_output)
                interrupts.graceful = True  # from here a signal stops the walks cleanly
                options = RunOptions(
                    full=full, obey_robots=not ignore_robots, accept_drift=accept_drift
                )
                with live_progress(sys.stderr, show_progress) as on_page:
                    if settings is None:
                        mark_interrupted(db)
                        reports = run_sources(
                            SerialWriter(db),
                            sources,
                            jobs=jobs,
                            options=options,
                            on_page=on_page,
                            cancel=cancel,
                        )
                    else:
                        reports = _run_on_workers(
                            db, db_path, sources, settings, options, on_page, cancel
                        )
            finally:
                db.close()
        if as_json_output:
            click.echo(as_json(reports))
        elif not quiet or is_newsworthy(reports):
            click.echo(as_text(reports))
        if interrupts.exit_code is not None:
            exit_interrupted(interrupts.exit_code)
    if any(r.status != "ok" for r in reports):
        sys.exit(EXIT_FAILED)


def _run_on_workers(
    db: Database,
    db_path: Path,
    sources: Sequence[Source],
    settings: BrokerSettings,
    options: RunOptions,
    on_page: PageCallback | None,
    cancel: Cancellation,
) -> list[RunReport]:
    """``run --broker``: the walks on workers, this process the one writer."""
    from .dispatch import run_distributed
    from .errors import BrokerLost

    try:
        return run_distributed(
            SerialWriter(db),
            str(db_path),
            sources,
            settings=settings,
            options=options,
            on_page=on_page,
            cancel=cancel,
        )
    except BrokerLost as exc:
        raise click.ClickException(str(exc)) from None


@cli.command()
@click.argument("url", required=False)
@click.option(
    "--sources",
    "sources_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Try a source of this sources file, as run would: its URL, profile, selectors,"
    " hosts, delay and user agent (instead of URL).",
)
@click.option(
    "--source",
    "source_name",
    metavar="NAME",
    help="The source of --sources to try.  [default: the file's only source]",
)
@click.option(
    "--profile",
    metavar="NAME|FILE",
    help=f"A built-in profile ({', '.join(sorted(PROFILES))}) or a TOML profile file, such"
    " as one --save-profile wrote; with --sources, in place of the source's.  [default:"
    " detect, or learn from the page]",
)
@click.option(
    "--json",
    "as_json_output",
    is_flag=True,
    help="Print a JSON array of entries (title, url, date, author, excerpt; and page"
    " with --pages). With --explain, an object holding it.",
)
@click.option(
    "--pages",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Preview the first N pages as a walk reads them (what page 1 taught reads the rest).",
)
@click.option(
    "--explain",
    is_flag=True,
    help="Show why the profile was chosen, per field where its selector came from and"
    " the selectors, and the next page or why there is none.",
)
@click.option(
    "--save-profile",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the profile that read page 1 as a TOML file, to edit and pass to --profile.",
)
@click.option("--ignore-robots", is_flag=True, help="Do not fetch or obey robots.txt.")
def probe(
    url: str | None,
    sources_file: Path | None,
    source_name: str | None,
    profile: str | None,
    as_json_output: bool,
    pages: int,
    explain: bool,
    save_profile: Path | None,
    ignore_robots: bool,
) -> None:
    """Fetch the first page (or N) of URL, or of a source in a sources file, and show
    what would be archived from it: the profile that read it, each entry, the fields it
    could not find and the next page. Nothing is archived. Exits 1 when the page cannot
    be fetched or holds no entries."""
    from . import probe as probing

    source = _probed_source(url, sources_file, source_name)
    try:
        chosen = resolve_profile(profile) if profile else None
    except ScraperError as exc:
        raise click.BadParameter(str(exc), param_hint="--profile") from None
    try:
        if source is not None:
            result = probing.probe_source(
                source, pages=pages, obey_robots=not ignore_robots, profile=profile
            )
        else:
            result = probing.probe(
                str(url), profile=chosen, pages=pages, obey_robots=not ignore_robots
            )
        if save_profile is not None:
            probing.save_profile(result, save_profile)
    except (ScraperError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from None
    if as_json_output and explain:
        click.echo(probing.as_explained_json(result, numbered=pages > 1))
    elif as_json_output:
        click.echo(probing.as_json(result, numbered=pages > 1))
    else:
        from rich.console import Console

        probing.show(result, Console(soft_wrap=False), explain=explain)


def _probed_source(url: str | None, sources_file: Path | None, name: str | None) -> Source | None:
    """The source ``probe --sources FILE --source NAME`` tries; None for ``probe URL``
    (checked here: a malformed URL is a usage error). A file that does not load, or
    names no such source, is a config error listing its sources: exit 2."""
    if (url is None) == (sources_file is None):
        raise click.UsageError("give a URL or --sources FILE (with --source NAME), not both")
    if sources_file is None:
        if name is not None:
            raise click.UsageError("--source NAME picks a source of --sources FILE")
        check_url(str(url))
        return None
    from .sources import find_source

    try:
        return find_source(sources_file, name)
    except ConfigError as exc:
        raise ConfigProblem(str(exc)) from None


@cli.command()
@click.argument("db_positional", metavar="[DB]", required=False, type=ArchivePath)
@deprecated_db_option
@click.option("--force", is_flag=True, help="Replace whatever file is at DB.")
def demo(db_positional: Path | None, db_option: Path | None, force: bool) -> None:
    """Archive the bundled sample blog four times, offline, and show what happened.

    Serves fixtures/ on a free 127.0.0.1 port and scrapes the listing: as first seen;
    after two new posts pushed every entry down the pages (an incremental run); with
    nothing changed (one 304); and with --full after an edit and a deletion.
    DB (default demo.db) is replaced only if the demo made it, or with --force.
    """
    from .demo import run_demo

    db_path = demo_target(db_positional, db_option)
    with archive_errors():
        run_demo(db_path, click.echo, force=force)


for command in (*COMMANDS, worker):  # history, runs, export, serve, upgrade; worker
    cli.add_command(command)
cli.add_command(merge)
accept_anywhere(cli, quiet_help="Log errors only (scrape, run: print nothing when nothing is new).")
for command in cli.commands.values():  # -v / -q after the command as well
    accept_anywhere(command)


def main() -> None:
    cli(prog_name="listing-archiver")

"""The archive as the first positional argument of the walking commands, as sqlite-utils
and the dogsheep tools write it (``scrape DB URL…``, ``run DB SOURCES``, ``demo [DB]``),
and the ``--db PATH`` of earlier releases, still accepted for one release.

An old crontab keeps working: ``--db`` prints one deprecation line on standard error
(never on standard output, which ``--json`` owns) and the positionals are read the old
way. A first positional that looks like a URL, without ``--db``, is the old form with
``--db`` forgotten, or the new one written backwards: a usage error showing the form.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

DEPRECATED = "--db is deprecated: write the archive first, listing-archiver {form}"
SCRAPE_FORM = "scrape DB URL…"
RUN_FORM = "run DB SOURCES"
DEMO_FORM = "demo DB"

ArchivePath = click.Path(dir_okay=False, path_type=Path)


def deprecated_db_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--db PATH``: hidden from ``--help``, still honoured (with a deprecation line)."""
    return click.option(
        "--db",
        "db_option",
        type=ArchivePath,
        hidden=True,
        help="Deprecated: the archive is the first argument.",
    )(command)


def warn_deprecated(form: str) -> None:
    click.echo(DEPRECATED.format(form=form), err=True)


def looks_like_url(text: str) -> bool:
    return "://" in text or text.lower().startswith(("http:", "https:", "www."))


def scrape_targets(words: tuple[str, ...], db_option: Path | None) -> tuple[Path, list[str]]:
    """The archive and the URLs of ``scrape DB URL…`` (or ``scrape URL… --db DB``)."""
    if db_option is not None:
        warn_deprecated(SCRAPE_FORM)
        if not words:
            raise click.UsageError("Missing argument 'URL...'.")
        return db_option, list(words)
    if not words:
        raise click.UsageError("Missing argument 'DB'.")
    first, *urls = words
    if looks_like_url(first):
        raise click.UsageError(
            f"{first} is a URL where the archive belongs: write the archive first,"
            f" listing-archiver {SCRAPE_FORM}"
        )
    if not urls:
        raise click.UsageError("Missing argument 'URL...'.")
    return Path(first), urls


def run_targets(words: tuple[str, ...], db_option: Path | None) -> tuple[Path, Path]:
    """The archive and the sources file of ``run DB SOURCES`` (or ``run SOURCES --db DB``)."""
    if db_option is not None:
        warn_deprecated(RUN_FORM)
        if len(words) != 1:
            raise click.UsageError(f"with --db, give only the SOURCES file: {RUN_FORM}")
        return db_option, Path(words[0])
    if len(words) < 2:
        raise click.UsageError(f"Missing argument {'SOURCES' if words else 'DB'!r}.")
    if len(words) > 2:
        raise click.UsageError(f"too many arguments: listing-archiver {RUN_FORM}")
    db, sources = words
    if db.endswith(".toml") and not sources.endswith(".toml"):
        raise click.UsageError(f"{db} is a sources file where the archive belongs: {RUN_FORM}")
    return Path(db), Path(sources)


def demo_target(positional: Path | None, db_option: Path | None) -> Path:
    """The archive of ``demo [DB]``; ``demo.db`` when neither it nor ``--db`` is given."""
    if db_option is not None:
        warn_deprecated(DEMO_FORM)
        if positional is not None:
            raise click.UsageError("give the archive once: listing-archiver demo DB")
        return db_option
    return positional or Path("demo.db")

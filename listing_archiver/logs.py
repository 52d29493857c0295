"""Log lines on standard error, and the ``-v`` / ``-q`` options every command accepts.

A line reads ``2026-12-02 04:10:00 INFO message``: local time, as cron's mail, a terminal
and ``date`` show it. ``-v`` logs each page, ``-vv`` every request, ``-vvv`` adds the
libraries' own debug lines (filelock's lock ids, urllib3's connection chatter), which
say nothing about the walk. ``-q`` logs errors only. ``-v`` and ``-q`` may be written
before the command, after it, or both (``-v scrape DB URL -v`` is ``-vv``).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from listing_archiver.scraper.urls import redact_text

HANDLER_NAME = "listing-archiver"
LINE_FORMAT = "%(asctime)s %(levelname)s %(message)s"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # local time
OWN_LOGGERS = "listing_archiver"
# urllib3's line per request ("http://host:80 "GET /page/2/ HTTP/1.1" 200 512"): what -vv
# promises. Its other debug lines (new connection, retries counted) wait for -vvv.
REQUEST_LINE = '%s://%s:%s "%s %s %s" %s %s'
EVERY_REQUEST, LIBRARY_DEBUG = 2, 3


class ThirdPartyNoise(logging.Filter):
    """Drops libraries' debug and info lines below ``-vvv``, except urllib3's request line
    at ``-vv``. A filter rather than logger levels, so a library's warnings still show."""

    def __init__(self) -> None:
        super().__init__()
        self.verbosity = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING or record.name.startswith(OWN_LOGGERS):
            return True
        if record.msg == REQUEST_LINE:
            return self.verbosity >= EVERY_REQUEST
        return self.verbosity >= LIBRARY_DEBUG


NOISE = ThirdPartyNoise()


def redact_record(record: logging.LogRecord) -> bool:
    """Keep credentials and tokens in URLs out of every log line, ours or a library's."""
    record.msg, record.args = redact_text(record.getMessage()), None
    return True


def level_for(verbosity: int, quiet: bool) -> int:
    if quiet and not verbosity:
        return logging.ERROR
    return {0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)


def configure_logging(verbosity: int, quiet: bool = False) -> None:
    """Log to standard error at the level asked for. Where the host program configured
    logging already (pytest, an application importing the CLI), its handlers are kept
    and only filtered: the levels are its own."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(_stderr_handler())
    if any(handler.get_name() == HANDLER_NAME for handler in root.handlers):
        root.setLevel(level_for(verbosity, quiet))
    NOISE.verbosity = verbosity
    for handler in root.handlers:
        handler.addFilter(NOISE)  # first: it reads the message's template, before redaction
        handler.addFilter(redact_record)  # urllib3 logs request lines verbatim


def _stderr_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(logging.Formatter(LINE_FORMAT, TIME_FORMAT))
    return handler


def add_verbose(ctx: click.Context, _param: click.Parameter, value: int) -> int:
    """Adds ``-v`` after the command to ``-v`` before it; logging is set from the sum."""
    ctx.meta["verbose"] = ctx.meta.get("verbose", 0) + value
    configure_logging(ctx.meta["verbose"], ctx.meta.get("quiet", False))
    return int(ctx.meta["verbose"])


def add_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    """``-q`` on either side of the command; scrape and run read the result as their own."""
    ctx.meta["quiet"] = ctx.meta.get("quiet", False) or value
    configure_logging(ctx.meta.get("verbose", 0), ctx.meta["quiet"])
    return bool(ctx.meta["quiet"])


def verbose_option(**extra: Any) -> click.Option:
    return click.Option(
        ["-v", "--verbose"],
        count=True,
        callback=add_verbose,
        help="Log each page (-v), every request (-vv), libraries' debug lines (-vvv).",
        **extra,
    )


def quiet_option(help: str = "Log errors only.", **extra: Any) -> click.Option:
    return click.Option(["-q", "--quiet"], is_flag=True, callback=add_quiet, help=help, **extra)


def accept_anywhere(command: click.Command, quiet_help: str = "Log errors only.") -> None:
    """Give ``command`` the ``-v`` and ``-q`` the group has, unless it has its own ``-q``
    (``scrape`` and ``run``, where it also means: print nothing when nothing is new)."""
    names = {opt for param in command.params for opt in param.opts}
    if "-v" not in names:
        command.params.append(verbose_option(expose_value=False))
    if "-q" not in names:
        command.params.append(quiet_option(quiet_help, expose_value=False))

"""The command line of the distributed mode: ``worker``, and what ``run --broker``
needs before it starts (the extra installed, the broker's settings)."""

from __future__ import annotations

import sys

import click

from listing_archiver.scraper.urls import redact

from . import broker
from .command_errors import ConfigProblem
from .errors import DistributedUnavailable


def broker_settings(url: str) -> broker.BrokerSettings:
    """The settings for ``url``; exit 2 naming the extra when it is not installed."""
    try:
        broker.require()
    except DistributedUnavailable as exc:
        raise ConfigProblem(str(exc)) from None
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigProblem(f"--broker {redact(url)}: expected redis://HOST:PORT/N")
    return broker.BrokerSettings.from_env(url)


@click.command()
@click.option(
    "--broker",
    "broker_url",
    required=True,
    metavar="redis://HOST:PORT/N",
    help="The Redis that run --broker sends walks to.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Walks at once (each on its own host).",
)
def worker(broker_url: str, threads: int) -> None:
    """Walk sources for `run --broker` runs, on this machine, until stopped.

    Needs no archive: each walk comes with its source's snapshot, and every page goes
    back through the broker to the run's one writer. A host is walked by one worker
    at a time across all machines, with its delay kept between walks.
    """
    settings = broker_settings(broker_url)
    from .worker import serve

    serve(settings, threads, lambda text: print(text, file=sys.stderr, flush=True))

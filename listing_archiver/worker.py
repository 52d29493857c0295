"""``listing-archiver worker``: walks sent by ``run --broker``, on any machine.

One Dramatiq message is one host group (the sources of one ``host:port``, with their
snapshots). The worker walks them one after another holding the host's turn across
all workers, and appends every page record to the run's Redis stream, which the run's
one writer reads. It never opens an archive.

A message from another version of the tool is refused, and a walk that fails on a
fault of the tool itself is not retried: either way the worker says so in its log and
tells the writer, which records those sources failed with the reason.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from listing_archiver.scraper.cancel import Cancellation
from listing_archiver.scraper.fetch import Fetcher, Pacer
from listing_archiver.scraper.robots import RobotsCache
from listing_archiver.scraper.urls import host_key

from . import __version__, broker
from .errors import WalkAbandoned
from .pages import Snapshot, WalkEnd, record_to_text, source_from_json
from .remote_view import SnapshotView
from .sources import Source
from .walk import fetch_settings, walk_source

log = logging.getLogger(__name__)

ACTOR = "walk_group"
MAX_RETRIES = 5  # a walk cut off by the broker or a worker's shutdown is walked again
TIME_LIMIT_MS = 24 * 3600 * 1000  # Dramatiq stops an actor after 10 min unless told

# One per worker process: its threads share each host's politeness clock.
PACER = Pacer()
STOPPING = Cancellation()
LEASE = [broker.DEFAULT_HEARTBEAT]  # a host turn's lease: the worker's heartbeat timeout


def declare(dramatiq_broker: Any) -> Any:
    """The walk actor, bound to ``dramatiq_broker`` (the writer sends, the worker runs)."""
    import dramatiq

    decorate = dramatiq.actor(
        broker=dramatiq_broker,
        actor_name=ACTOR,
        queue_name=broker.QUEUE,
        max_retries=MAX_RETRIES,
        min_backoff=500,
        max_backoff=10_000,
        time_limit=TIME_LIMIT_MS,
    )
    return decorate(walk_group)


def walk_group(payload: Mapping[str, Any]) -> None:
    """The actor: walk one host group, every record appended to the run's stream."""
    import dramatiq
    import redis

    redis_client = broker.client(dramatiq.get_broker())
    stream = broker.stream_key(payload["token"])
    if payload.get("version") != __version__:
        error = (
            f"refused by a worker running listing-archiver {__version__}: this run is"
            f" listing-archiver {payload.get('version')}; run workers of the same version"
        )
        _fail(redis_client, stream, payload, error)
        return
    if redis_client.exists(broker.cancel_key(payload["token"])):
        log.info("not walking %s: its run was stopped", ", ".join(payload["names"]))
        return
    try:
        _walk_group(redis_client, stream, payload)
    except (WalkAbandoned, redis.RedisError):
        raise  # Dramatiq walks it again, on another worker or once the broker is back
    except Exception as exc:  # a fault of this tool: the writer must not wait for ever
        log.exception("walking %s failed", ", ".join(payload["names"]))
        _fail(redis_client, stream, payload, f"the walk failed on a worker: {exc!r}")


def _walk_group(redis_client: Any, stream: str, payload: Mapping[str, Any]) -> None:
    group = [
        (source_from_json(item["source"]), Snapshot.from_json(item["snapshot"]))
        for item in payload["sources"]
    ]
    host = host_key(group[0][0].url)
    log.info("walking %s on %s", ", ".join(payload["names"]), host)
    with broker.host_turn(
        redis_client,
        host,
        lease=LEASE[0],
        delay=lambda: max(PACER.delay_for(host, source.delay) for source, _ in group),
        sleep=STOPPING.sleep,
    ):
        _walk_all(redis_client, stream, payload, group)


def _walk_all(
    redis_client: Any,
    stream: str,
    payload: Mapping[str, Any],
    group: list[tuple[Source, Snapshot]],
) -> None:
    robots_fetcher = Fetcher(
        replace(fetch_settings(group[0][0]), hosts=None), pacer=PACER, cancel=STOPPING
    )
    robots = RobotsCache(robots_fetcher) if payload["obey_robots"] else None
    cancelled = broker.cancel_key(payload["token"])
    try:
        for source, snapshot in group:
            fetcher = Fetcher(fetch_settings(source), pacer=PACER, cancel=STOPPING)
            try:
                for record in walk_source(
                    source,
                    snapshot,
                    SnapshotView(snapshot),
                    fetcher,
                    robots=robots,
                    accept_drift=payload["accept_drift"],
                ):
                    if isinstance(record, WalkEnd) and STOPPING.cancelled:
                        raise WalkAbandoned(f"{source.name}: the worker is stopping")
                    if redis_client.exists(cancelled):
                        return  # the writer stopped the run: nobody reads these pages
                    redis_client.xadd(stream, {"record": record_to_text(record)})
            finally:
                fetcher.close()
    finally:
        robots_fetcher.close()


def _fail(redis_client: Any, stream: str, payload: Mapping[str, Any], error: str) -> None:
    """Tell the writer the group's walks will not come: it records them failed (those
    whose walk already ended keep their end)."""
    log.error("%s (sources %s)", error, ", ".join(payload.get("names", ())))
    failed = {"names": list(payload.get("names", ())), "error": error}
    redis_client.xadd(stream, {"failed": json.dumps(failed)})


def serve(settings: broker.BrokerSettings, threads: int, ready: Any) -> None:
    """Run walks until SIGINT or SIGTERM; ``ready(text)`` once listening."""
    import dramatiq

    LEASE[0] = settings.heartbeat
    dramatiq_broker = broker.make_broker(settings)
    declare(dramatiq_broker)
    worker = dramatiq.Worker(dramatiq_broker, worker_threads=threads, worker_timeout=200)
    # A walk is long: a worker takes no more than it can start (Dramatiq's default is
    # twice its threads), leaving the rest to idle workers.
    worker.queue_prefetch = threads
    with _until_signal() as stopped:
        worker.start()
        ready(f"listing-archiver {__version__} worker: {threads} threads, waiting for walks")
        stopped.wait()
        STOPPING.cancel("the worker is stopping")
        worker.stop()


@contextmanager
def _until_signal() -> Iterator[threading.Event]:
    stopped = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stopped.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

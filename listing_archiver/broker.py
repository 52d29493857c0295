"""The Redis broker shared by ``run --broker`` (the one writer) and ``worker`` (walks):
how to reach it, the names of its keys, and one turn per host across every machine.

Dramatiq carries the walks (one message per host group; a killed worker's message
comes back once its heartbeat lapses); a Redis stream per run carries the page
records back to the writer. Both live under ``NAMESPACE`` in the same Redis.

Dramatiq and redis are the ``distributed`` extra: nothing here is imported by a local
run, and without them ``require()`` says which extra to install.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis

from .errors import DistributedUnavailable

log = logging.getLogger(__name__)

NAMESPACE = "listing-archiver"
QUEUE = "listing-archiver-walks"
# Seconds without a heartbeat before a worker counts as dead and its walks go to
# another: Dramatiq's default is 60. Tests set LISTING_ARCHIVER_HEARTBEAT to a second
# or two so a killed worker's walk comes back quickly.
DEFAULT_HEARTBEAT = 60.0
HEARTBEAT_ENV = "LISTING_ARCHIVER_HEARTBEAT"


def require() -> None:
    """Raise ``DistributedUnavailable`` unless dramatiq and redis can be imported."""
    for name in ("redis", "dramatiq"):
        try:
            __import__(name)
        except ImportError:
            raise DistributedUnavailable(name) from None


@dataclass(frozen=True)
class BrokerSettings:
    url: str  # redis://HOST:PORT/N
    heartbeat: float = DEFAULT_HEARTBEAT  # seconds; also a host lock's lease

    @classmethod
    def from_env(cls, url: str) -> BrokerSettings:
        return cls(url, float(os.environ.get(HEARTBEAT_ENV, DEFAULT_HEARTBEAT)))


def stream_key(token: str) -> str:
    """The stream carrying one run's page records to its writer."""
    return f"{NAMESPACE}:pages:{token}"


def cancel_key(token: str) -> str:
    """Set when a run's writer stopped it: its walks stop at their next page."""
    return f"{NAMESPACE}:cancelled:{token}"


def writer_key(archive_path: str) -> str:
    """The state of the run a writer has under way for this archive, kept so that the
    same command run again after the writer died resumes it."""
    digest = hashlib.sha256(os.path.abspath(archive_path).encode()).hexdigest()[:16]
    return f"{NAMESPACE}:writer:{digest}"


def make_broker(settings: BrokerSettings) -> Any:
    """Dramatiq's Redis broker, declared as the global one (actors bind to it). Queue
    maintenance (requeueing a dead worker's messages) runs on every fetch rather than
    Dramatiq's one in a thousand, so a lost walk comes back after the heartbeat, not
    after an idle worker's thousandth poll."""
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker

    broker = RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.url,
        namespace=NAMESPACE,
        heartbeat_timeout=int(settings.heartbeat * 1000),
        maintenance_chance=1_000_000,
    )
    dramatiq.set_broker(broker)
    return broker


def client(broker: Any) -> redis.Redis:
    """The broker's own Redis connection pool."""
    return broker.client  # type: ignore[no-any-return]


@contextmanager
def host_turn(
    redis_client: redis.Redis,
    host: str,
    *,
    lease: float,
    delay: Callable[[], float],
    sleep: Callable[[float], None],
) -> Iterator[None]:
    """Hold ``host`` for one walk across every worker on every machine, and keep its
    delay between walks: after a turn the host cools down for ``delay()`` seconds, which
    the next holder (any worker) waits out before its first request.

    redis-py's ``Lock`` rather than Dramatiq's ``ConcurrentRateLimiter``: a walk can
    outlast any fixed lease, and redis-py's lease can be renewed while the walk goes on
    (a killed worker's lapses after ``lease`` seconds); it also blocks until free.
    """
    lock = redis_client.lock(
        f"{NAMESPACE}:host:{host}", timeout=lease, sleep=0.05, thread_local=False
    )
    lock.acquire(blocking=True)
    renew = threading.Event()

    def keep() -> None:
        while not renew.wait(lease / 3):
            lock.reacquire()

    keeper = threading.Thread(target=keep, name=f"lease {host}", daemon=True)
    keeper.start()
    cooldown = f"{NAMESPACE}:cooldown:{host}"
    try:
        remaining = redis_client.pttl(cooldown)
        if isinstance(remaining, int) and remaining > 0:
            sleep(remaining / 1000)
        yield
    finally:
        renew.set()
        keeper.join()
        pause = int(delay() * 1000)
        if pause > 0:
            redis_client.set(cooldown, "1", px=pause)
        lock.release()

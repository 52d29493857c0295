"""Stopping a walk at once, wherever it is waiting: one ``Cancellation`` per run.

Every wait of a walk goes through it (``sleep`` instead of ``time.sleep``: the politeness
pause, tenacity's backoff, a ``Retry-After``), and a read in flight is cut off by shutting
its socket down, the only thing that wakes a thread blocked in ``recv``. The socket of each
request is learnt from the connection itself (``CancellableAdapter``), so a read is cut
whether it waits for the headers or for the body, on a new connection or a kept-alive one.

Whoever owns the run (the command line, on a signal) calls ``cancel(reason)``; the walk
then raises ``Cancelled`` from whatever it was doing. Nothing here knows about signals.
"""

from __future__ import annotations

import itertools
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.response import HTTPResponse

from .errors import Cancelled

log = logging.getLogger(__name__)


class Cancellation:
    """A run's stop flag, with the callbacks that cut off what cannot poll it.

    ``cancel`` may be called from a signal handler on the main thread, while worker
    threads register and discard callbacks: the lock is re-entrant, so a handler that
    interrupts the main thread inside ``on_cancel`` cannot deadlock it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.RLock()
        self._callbacks: dict[int, Callable[[], None]] = {}
        self._tokens = itertools.count()
        self.reason: str | None = None
        self.cancelled_at: float | None = None  # time.monotonic() of the cancel

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self, reason: str) -> None:
        """Stop the run: wake every ``sleep`` and cut every read in flight. Only the
        first call counts."""
        with self._lock:
            if self._event.is_set():
                return
            self.reason, self.cancelled_at = reason, time.monotonic()
            self._event.set()
            callbacks, self._callbacks = list(self._callbacks.values()), {}
        for callback in callbacks:
            _call_quietly(callback)

    def check(self) -> None:
        """Raise ``Cancelled`` if the run was cancelled."""
        if self._event.is_set():
            raise Cancelled(self.reason or "cancelled")

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` that a cancel cuts short by raising ``Cancelled``."""
        if self._event.wait(max(seconds, 0.0)):
            raise Cancelled(self.reason or "cancelled")

    def on_cancel(self, callback: Callable[[], None]) -> int | None:
        """Call ``callback`` on cancel (at once if already cancelled); a token for
        ``discard``, or None when it has been called already."""
        with self._lock:
            if not self._event.is_set():
                token = next(self._tokens)
                self._callbacks[token] = callback
                return token
        _call_quietly(callback)
        return None

    def discard(self, token: int | None) -> None:
        if token is not None:
            with self._lock:
                self._callbacks.pop(token, None)


def _call_quietly(callback: Callable[[], None]) -> None:
    try:
        callback()
    except Exception:  # one failing callback must not keep the others from running
        log.exception("cancel callback failed")


class _InFlight:
    """The socket of the request this thread is making, for a cancel to shut down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._aborted = False

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            aborted = self._aborted
        if aborted:
            self.abort()

    def abort(self) -> None:
        with self._lock:
            self._aborted = True
            sock = self._sock
        if sock is not None:
            with suppress(OSError):  # already closed: the read has ended anyway
                sock.shutdown(socket.SHUT_RDWR)  # wakes a recv blocked in another thread


_current = threading.local()


@contextmanager
def abortable(cancellation: Cancellation) -> Iterator[None]:
    """While inside, a cancel shuts down the socket of this thread's request. Raises
    ``Cancelled`` on the way in if the run is already cancelled."""
    cancellation.check()
    in_flight = _InFlight()
    outer = getattr(_current, "in_flight", None)
    _current.in_flight = in_flight
    token = cancellation.on_cancel(in_flight.abort)
    try:
        yield
    finally:
        cancellation.discard(token)
        _current.in_flight = outer


def _note_socket(sock: socket.socket | None) -> None:
    in_flight: _InFlight | None = getattr(_current, "in_flight", None)
    if in_flight is not None:
        in_flight.attach(sock)


class _NotingConnection(HTTPConnection):
    """Tells the thread's ``abortable`` block which socket it reads from."""

    def connect(self) -> None:
        super().connect()
        _note_socket(self.sock)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3's
        _note_socket(self.sock)  # a kept-alive connection is not connected again
        return super().getresponse()


class _NotingHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _note_socket(self.sock)

    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3's
        _note_socket(self.sock)
        return super().getresponse()


class _NotingPool(HTTPConnectionPool):
    ConnectionCls = _NotingConnection


class _NotingHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _NotingHTTPSConnection


class CancellableAdapter(HTTPAdapter):
    """requests' adapter, its connections noting their sockets for ``abortable``. A
    connect still in progress has no socket to note: it ends at its own timeout."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _NotingPool, "https": _NotingHTTPSPool}

"""One writer to SQLite, however many sources are fetched at once.

Worker threads fetch and parse; every archive call they make is handed to the thread
that owns the connection (``serve``) and waited for. SQLite sees one writer, and the
workers still get the answers they need (was this page all known?) page by page.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlite_utils import Database

P = ParamSpec("P")
T = TypeVar("T")


class WriterClosed(Exception):
    """The owning thread stopped serving (the run is being interrupted)."""


class SerialWriter:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._owner = threading.get_ident()
        self._calls: queue.Queue[
            tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], Future[Any]]
        ] = queue.Queue()
        self._closed = False

    def call(
        self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(db, *args, **kwargs)`` on the owning thread and return its result."""
        if threading.get_ident() == self._owner:
            return fn(self.db, *args, **kwargs)
        if self._closed:
            raise WriterClosed("the archive writer has stopped")
        return self.submit(fn, *args, **kwargs).result()

    def submit(
        self, fn: Callable[Concatenate[Database, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> Future[T]:
        """Queue ``fn(db, ...)`` without waiting: the caller goes on (fetching the next
        page) while the owning thread writes. Calls run in the order submitted."""
        future: Future[T] = Future()
        if threading.get_ident() == self._owner:
            try:
                future.set_result(fn(self.db, *args, **kwargs))
            except Exception as exc:
                future.set_exception(exc)
            return future
        if self._closed:
            raise WriterClosed("the archive writer has stopped")
        self._calls.put((fn, args, kwargs, future))
        return future

    def serve(self, done: Callable[[], bool], poll: float = 0.05) -> None:
        """On the owning thread: run queued calls until ``done()`` and the queue is empty."""
        try:
            while not (done() and self._calls.empty()):
                try:
                    fn, args, kwargs, future = self._calls.get(timeout=poll)
                except queue.Empty:
                    continue
                try:
                    future.set_result(fn(self.db, *args, **kwargs))
                except BaseException as exc:  # the worker re-raises it
                    future.set_exception(exc)
        finally:
            self._close()

    def _close(self) -> None:
        self._closed = True
        while not self._calls.empty():
            *_, future = self._calls.get_nowait()
            future.set_exception(WriterClosed("the archive writer has stopped"))

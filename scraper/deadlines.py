"""One thread that calls a function when its deadline passes, unless disarmed first.

A ``threading.Timer`` per page read would start (and tear down) a thread for every
request, about 120 µs of CPU each: a tenth of what fetching a page costs here. Nearly
every deadline is disarmed long before it is due, so the heap is cleaned lazily, and
rebuilt when disarmed entries outnumber live ones, which keeps its size bounded by the
reads in progress rather than by the pages fetched in the last ``seconds``.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Deadlines:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []  # (due, token); disarmed ones linger
        self._armed: dict[int, Callable[[], None]] = {}
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, seconds: float, callback: Callable[[], None]) -> int:
        """Call ``callback`` (on the deadline thread) in ``seconds``; returns a token
        for ``disarm``."""
        due = time.monotonic() + seconds
        with self._cond:
            token = next(self._tokens)
            self._armed[token] = callback
            heapq.heappush(self._heap, (due, token))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0][1] == token:  # sooner than what the thread waits for
                self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        """Cancel the call, if it has not started yet."""
        with self._cond:
            self._armed.pop(token, None)
            if len(self._heap) > 64 and len(self._heap) > 4 * len(self._armed):
                self._heap = [item for item in self._heap if item[1] in self._armed]
                heapq.heapify(self._heap)

    def _run(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                callback = self._armed.pop(heapq.heappop(self._heap)[1])
                self._cond.release()
                try:
                    callback()
                except Exception:  # one failing callback must not stop the others
                    log.exception("deadline callback failed")
                finally:
                    self._cond.acquire()


DEADLINES = Deadlines()  # shared by every fetcher in the process

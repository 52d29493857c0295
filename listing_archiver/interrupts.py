"""SIGINT and SIGTERM during ``scrape`` and ``run``: stop cleanly, and say so.

The first signal cancels the run's ``Cancellation``: every walk stops where it waits,
records its run ``interrupted``, and the summary is printed as usual. The exit code is
128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a
process its signal ended, so cron, systemd and scripts read the cause the usual way. A
second signal while the run shuts down, or any signal before the run has started
(waiting for the archive lock, opening it), exits at once: there is nothing to record
yet, or the user has asked twice. The handlers run on the main thread, which is also
the archive's writer, between two of its statements, so they only set flags and never
write to the archive themselves.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import NoReturn

from listing_archiver.scraper.cancel import Cancellation

log = logging.getLogger(__name__)

HANDLED = (signal.SIGINT, signal.SIGTERM)


def exit_code(sig: signal.Signals) -> int:
    """What a shell reports for a process ended by ``sig``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + int(sig)


class Interrupts:
    """What the handlers do, apart from installing them (so a test can call ``handle``)."""

    def __init__(
        self, cancel: Cancellation, exit_now: Callable[[int], NoReturn] = os._exit
    ) -> None:
        self.cancel = cancel
        self.signal: signal.Signals | None = None  # the first signal received
        self.graceful = False  # a run is in progress: stop it cleanly rather than exit
        self._exit_now = exit_now

    @property
    def exit_code(self) -> int | None:
        return None if self.signal is None else exit_code(self.signal)

    def handle(self, signum: int, frame: FrameType | None = None) -> None:
        sig = signal.Signals(signum)
        if self.signal is not None or not self.graceful:
            # os.write: the interrupted code may be half-way through a print to stderr
            os.write(2, f"{sig.name}: exiting at once\n".encode())
            self._exit_now(exit_code(sig))
        self.signal = sig
        self.cancel.cancel(f"interrupted by {sig.name}")
        log.info("%s: stopping the run; send it again to exit at once", sig.name)


@contextmanager
def handling_interrupts(cancel: Cancellation) -> Iterator[Interrupts]:
    """Install the handlers for the block (on the main thread), then restore the old ones."""
    interrupts = Interrupts(cancel)
    previous = {sig: signal.signal(sig, interrupts.handle) for sig in HANDLED}
    try:
        yield interrupts
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def exit_interrupted(code: int) -> NoReturn:
    """Exit with ``code`` after an interrupted run. A walk that could not be woken (a
    connect or a name lookup in progress) still holds a non-daemon thread, which a
    normal exit would wait for: then the process leaves without it, its output flushed
    and the archive already closed."""
    stuck = [
        t
        for t in threading.enumerate()
        if t.is_alive() and not t.daemon and t is not threading.main_thread()
    ]
    if not stuck:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(code)

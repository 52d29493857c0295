"""One run per archive at a time: a lock file beside the database.

The lock (``ARCHIVE.lock``, via filelock, which works on every OS) is held for the
whole run, so two cron jobs never interleave. While it is held nobody else can be
writing, so runs still marked ``running`` were killed: they are marked interrupted.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import ArchiveBusy


@contextmanager
def archive_lock(path: str | Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the archive's lock for the block; ``ArchiveBusy`` after ``wait`` seconds."""
    lock = FileLock(f"{path}.lock", timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise ArchiveBusy(str(path), wait) from None
    try:
        yield
    finally:
        lock.release()

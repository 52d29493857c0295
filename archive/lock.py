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

from .errors import ArchiveBusy, ArchiveInaccessible, ArchiveUnusable


@contextmanager
def archive_lock(path: str | Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the archive's lock for the block; ``ArchiveBusy`` after ``wait`` seconds.

    A folder that is missing or read-only is ``ArchiveInaccessible`` (filelock would
    create a missing folder, and raises a bare PermissionError in a read-only one). When
    the block fails to open the archive (``ArchiveUnusable``), a lock file this call
    created is removed, so a refused open leaves nothing behind; one that existed
    before stays, since another process may be waiting on it."""
    lock_file = Path(f"{path}.lock")
    folder = lock_file.parent
    if not folder.is_dir():
        raise ArchiveInaccessible(str(path), f"no folder {folder}")
    created = not lock_file.exists()
    lock = FileLock(lock_file, timeout=wait)
    try:
        lock.acquire()
    except Timeout:
        raise ArchiveBusy(str(path), wait) from None
    except OSError as exc:
        reason = f"cannot create its lock file {lock_file} ({exc.strerror or exc})"
        raise ArchiveInaccessible(str(path), reason) from None
    try:
        yield
    except ArchiveUnusable:
        if created:  # unlinked while held: whoever waits on it next meets the same refusal
            lock_file.unlink(missing_ok=True)
        raise
    finally:
        lock.release()

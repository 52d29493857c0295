"""WAL checkpoints off the writer's path.

In WAL mode SQLite copies the log back into the database (a checkpoint) inside the commit
that takes the log past ``wal_autocheckpoint`` pages. At a million posts a page of 10
posts dirties some 60 pages of indexes, so one commit in about 150 paid for copying 40 MB
and syncing: 0.3-0.7 s for that one page while the others took 2 ms (measured with
``python -m bench --scale``; the full-text index's merges were not the cause: with
checkpoints off the slowest page took a tenth of that).

While a writer is busy, :func:`background_checkpoints` turns the automatic checkpoint off
on its connection and lets a thread with its own connection run passive checkpoints, which
never block the writer: SQLite lets a checkpoint copy committed pages while new ones are
appended, and the writer restarts the log from its start once everything was copied.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database

WAL_AUTOCHECKPOINT = 10_000  # pages (40 MB): the writer's own setting when it checkpoints
INTERVAL = 0.25  # seconds between passive checkpoints while a writer is busy


@contextmanager
def background_checkpoints(db: Database) -> Iterator[None]:
    """While in the block, checkpoints happen on another thread, not in ``db``'s commits.

    A database without a file (in memory) or not in WAL mode is left as it is."""
    path = _file_of(db)
    if not path or db.journal_mode != "wal":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until, args=(path, stop), name="wal-checkpoints", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _file_of(db: Database) -> str:
    rows = db.execute("pragma database_list").fetchall()
    return next((str(file) for _, name, file in rows if name == "main"), "")


def _checkpoint_until(path: str, stop: threading.Event) -> None:
    """Copy the log back to back while the writer keeps it growing, rest when caught up:
    what is left for the writer's own automatic checkpoint (kept, so that the log is
    still started over when a writer never pauses) stays small."""
    connection = sqlite3.connect(path, timeout=0)
    try:
        caught_up = True
        while not stop.wait(INTERVAL if caught_up else 0):
            try:
                _, logged, copied = connection.execute("pragma wal_checkpoint(passive)").fetchone()
            except sqlite3.Error:  # busy (another checkpoint, a lock): try again later
                caught_up = True
                continue
            caught_up = copied >= logged
    finally:
        connection.close()

"""WAL checkpoints off the writer's path (archive.checkpoint), on a real archive file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlite_utils import Database

from archive import store
from archive.checkpoint import background_checkpoints
from archive.schema import open_archive
from scraper.records import Entry

DEADLINE = 60.0  # only guards against hanging


def write_pages(db, run: int, count: int) -> None:
    for page in range(count):
        entries = [
            Entry(f"Post {page} {i}", f"https://s.example/{page}/{i}", "2024-01-01", "A", "x" * 200)
            for i in range(10)
        ]
        store.save_page(db, run_id=run, source="s", entries=entries, page_url=f"p{page}")


def checkpointers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "wal-checkpoints"]


def test_while_a_writer_writes_another_thread_copies_the_log_into_the_database(tmp_path: Path):
    path = tmp_path / "archive.db"
    db = open_archive(str(path))
    db.execute("pragma wal_autocheckpoint = 0")  # the writer's connection never copies
    run = store.start_run(db, source="s", url="https://s.example/")
    before = path.stat().st_size
    with background_checkpoints(db):
        assert len(checkpointers()) == 1
        write_pages(db, run, 50)
        deadline = time.monotonic() + DEADLINE
        while path.stat().st_size == before and time.monotonic() < deadline:
            time.sleep(0.05)  # polling a condition, not waiting for time to pass
        assert path.stat().st_size > before  # only a checkpoint grows the database file
    assert checkpointers() == []
    db.close()


def test_a_database_in_memory_is_left_alone():
    db = Database(memory=True)
    with background_checkpoints(db):
        assert checkpointers() == []

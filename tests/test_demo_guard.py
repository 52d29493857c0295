"""``demo`` replaces only an archive it made itself (or anything, with --force), and only
while holding the archive's lock, like every writer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.store import start_run
from listing_archiver.cli import cli
from listing_archiver.demo import DEMO_APPLICATION_ID, DEMO_SOURCE

from .untouched import state

PROCEED = "choose another DB, or pass --force to replace it"


def _demo(db: Path, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["demo", str(db), *extra])


def _ordinary_archive(db: Path, source: str = DEMO_SOURCE) -> None:
    """A user's archive; its run even uses the demo's source name."""
    archive = open_archive(str(db))
    start_run(archive, source=source, url="https://blog.example.org/")
    archive.close()


def _runs(db: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [row[0] for row in conn.execute("select source from runs order by id")]
    finally:
        conn.close()


def _application_id(db: Path) -> int:
    return int.from_bytes(db.read_bytes()[68:72], "big")  # the header field, as written


def _text_file(db: Path) -> None:
    db.write_text("a user's notes\n" * 50)


def _foreign_database(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("create table notes (body text)")
    conn.close()


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (_ordinary_archive, "it is a listing-archiver archive"),
        (_text_file, "it is not a SQLite database"),
        (
            _foreign_database,
            "it is a SQLite database but not a listing-archiver archive (tables: notes)",
        ),
        (lambda db: db.touch(), "it is empty"),
    ],
)
def test_demo_refuses_a_file_it_did_not_make_and_leaves_it_alone(make, what, tmp_path):
    db = tmp_path / "demo.db"
    make(db)
    before = state(db)
    result = _demo(db)
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line == f"Error: {db} exists and the demo did not make it: {what}; {PROCEED}"
    assert state(db) == before  # not a byte changed, and no lock file left behind


def test_demo_replaces_its_own_previous_archive(tmp_path):
    db = tmp_path / "demo.db"
    assert _demo(db).exit_code == 0
    again = _demo(db)
    assert again.exit_code == 0, again.output
    assert _runs(db) == [DEMO_SOURCE] * 4  # a fresh archive, not eight runs
    assert _application_id(db) == DEMO_APPLICATION_ID


def test_a_demo_archive_that_other_runs_wrote_to_is_refused(tmp_path):
    db = tmp_path / "demo.db"
    assert _demo(db).exit_code == 0
    _ordinary_archive(db, source="my-blog")  # e.g. scrape demo.db URL
    before = state(db)
    result = _demo(db)
    assert result.exit_code == 2
    assert "it holds 1 runs of other sources" in result.stderr and PROCEED in result.stderr
    assert state(db).digest == before.digest


def test_force_replaces_whatever_is_there(tmp_path):
    db = tmp_path / "demo.db"
    _text_file(db)
    result = _demo(db, "--force")
    assert result.exit_code == 0, result.output
    assert _runs(db) == [DEMO_SOURCE] * 4


@pytest.mark.parametrize("extra", [[], ["--force"]])
def test_demo_on_an_archive_another_run_holds_exits_3_and_touches_nothing(extra, tmp_path):
    db = tmp_path / "demo.db"
    assert _demo(db).exit_code == 0  # a demo archive: replaceable, but not while held
    before = state(db)
    with archive_lock(db):
        result = _demo(db, *extra)
    assert result.exit_code == 3
    assert f"archive {db} is busy" in result.stderr
    assert state(db) == before

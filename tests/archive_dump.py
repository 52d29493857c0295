"""A canonical dump of an archive: every table a user sees, with surrogate ids (run,
sighting and profile ids, rowids) replaced by what they stand for, rows sorted. Two
archives with equal dumps hold the same thing, however their rows were numbered.

Left out: ``runs.origin`` and ``origin_id`` (where a merged run was first copied from:
history, not content) and the migrations table."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

RUN_KEY = "(select json_array(r.source, r.url, r.started) from runs r where r.id = {})"
PROFILE_KEY = (
    "(select json_array(l.source, l.learned_at, l.profile) from learned_profiles l where l.id = {})"
)
LOCAL = {
    "posts": set(),
    "runs": {"id", "origin", "origin_id"},
    "sightings": {"id"},
    "learned_profiles": {"id"},
    "pages": set(),
    "source_field_counts": set(),
    "current_facet_counts": set(),
}
REFERENCES = {  # columns holding an id, dumped as the key of the row they name
    "posts": {"first_run": RUN_KEY, "last_run": RUN_KEY},
    "sightings": {"run_id": RUN_KEY},
    "learned_profiles": {"run_id": RUN_KEY, "replaced_by": PROFILE_KEY},
}


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        tables = {name: _table(conn, name) for name in LOCAL}
        tables["current_posts"] = sorted(
            conn.execute("select * from current_posts").fetchall(), key=repr
        )
        tables["current_posts"] = [row[:-1] for row in tables["current_posts"]]  # no rowid
        tables["search"] = sorted(
            conn.execute(
                "select p.content_hash from posts_fts f join posts p on p.rowid = f.rowid"
            ).fetchall()
        )
        return tables
    finally:
        conn.close()


def _table(conn: sqlite3.Connection, name: str) -> list[tuple[Any, ...]]:
    columns = [row[1] for row in conn.execute(f"pragma table_info({name})")]
    refs = REFERENCES.get(name, {})
    select = [
        refs[column].format(f"t.{column}") if column in refs else f"t.{column}"
        for column in columns
        if column not in LOCAL[name]
    ]
    rows = conn.execute(f"select {', '.join(select)} from {name} t").fetchall()
    return sorted(rows, key=repr)

"""Learned site profiles kept per source: what ``scraper`` learned on a source's first
page, stored as TOML text so a later run reads the source with the same selectors and
learns nothing. The archive holds text only; turning it back into a profile is the
scraper's business (``scraper.profile.load_profile``).

A source has at most one ``active`` profile. Re-learning after a drift alarm adds a
row: ``active`` when the new profile restored the fields (the old one is then
``replaced``), ``rejected`` when it did not (the old one stays active).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlite_utils import Database

from .store import utc_now

ACTIVE, REPLACED, REJECTED = "active", "replaced", "rejected"


@dataclass(frozen=True)
class StoredProfile:
    id: int
    source: str
    profile: str  # TOML
    learned_from: str
    page_url: str
    learned_at: str
    status: str


def current_profile(db: Database, source: str) -> StoredProfile | None:
    """The source's active learned profile, if it has one."""
    row = db.execute(
        "select id, source, profile, learned_from, page_url, learned_at, status"
        " from learned_profiles where source = ? and status = ? order by id desc limit 1",
        [source, ACTIVE],
    ).fetchone()
    return StoredProfile(*row) if row else None


def save_profile(
    db: Database,
    *,
    source: str,
    profile: str,
    learned_from: str,
    page_url: str,
    evidence: Mapping[str, str],
    run_id: int,
    kept: bool = True,
    replaces: int | None = None,
    now: str | None = None,
) -> int:
    """Record a learned profile; ``kept``: it becomes the source's active profile (the
    one it ``replaces`` is marked replaced), else it is recorded as rejected."""
    now = now or utc_now()
    with db.atomic():
        cursor = db.execute(
            "insert into learned_profiles (source, profile, learned_from, page_url, evidence,"
            " learned_at, run_id, status) values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                source,
                profile,
                learned_from,
                page_url,
                json.dumps(dict(evidence), sort_keys=True),
                now,
                run_id,
                ACTIVE if kept else REJECTED,
            ],
        )
        new_id = int(cursor.lastrowid or 0)
        if kept:
            db.execute(
                "update learned_profiles set status = ?, replaced_at = ?, replaced_by = ?"
                " where source = ? and status = ? and id != ?",
                [REPLACED, now, new_id, source, ACTIVE, new_id],
            )
    return new_id

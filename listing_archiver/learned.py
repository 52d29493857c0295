"""A source's learned profile between runs: loaded from the archive into the walk, the
walk's newly learned profile stored back, and one re-learning when the drift alarm
fires on a learned profile. The orchestration half of ``archive.learned`` and the
walk's ``learned_profile`` / ``relearn``, so ``job`` only calls in.
"""

from __future__ import annotations

import logging

from listing_archiver.archive import drift
from listing_archiver.archive import learned as kept
from listing_archiver.archive.learned import StoredProfile
from listing_archiver.scraper.paginate import ListingPage, Walk
from listing_archiver.scraper.profile import Profile, load_profile, profile_toml
from listing_archiver.scraper.reader import LearnedProfile

from .sources import Source
from .writer import SerialWriter

log = logging.getLogger(__name__)


def stored(writer: SerialWriter, source: Source) -> StoredProfile | None:
    """The source's active learned profile, unless its config names a profile or its
    own selectors (those always win)."""
    if source.profile or source.selectors:
        return None
    return writer.call(kept.current_profile, source.name)


def as_profile(record: StoredProfile | None) -> Profile | None:
    """The stored TOML as a profile; None (learn afresh) if it no longer loads."""
    if record is None:
        return None
    try:
        return load_profile(record.profile, f"learned profile {record.id} of {record.source}")
    except (ValueError, TypeError) as exc:  # tomllib.TOMLDecodeError is a ValueError
        log.warning(
            "%s: stored learned profile unreadable (%s): learning again", record.source, exc
        )
        return None


def remember(
    writer: SerialWriter, walk: Walk, source: str, run_id: int, record: StoredProfile | None
) -> StoredProfile | None:
    """Store the profile the walk learned, once, as the source's active one; the
    record to compare with from then on."""
    learned = walk.learned_profile
    if learned is None or (record is not None and record.profile == profile_toml(learned.profile)):
        return record
    _save(writer, learned, source, run_id, keep=True)
    return writer.call(kept.current_profile, source)


def relearn(
    writer: SerialWriter,
    walk: Walk,
    page: ListingPage,
    base: drift.Baseline,
    source: str,
    run_id: int,
    record: StoredProfile | None,
) -> tuple[ListingPage, list[str], StoredProfile | None]:
    """After a drift alarm on ``page``: the page read by a profile learned again, what
    still drifted, and the source's active profile record. The new profile is kept
    when nothing drifts any more, else recorded as rejected (and the caller does not
    archive the page)."""
    again = walk.relearn(page)
    learned = walk.learned_profile
    if again is None or learned is None:
        return page, drift.drifted_fields(base, page.entries), record
    problems = drift.drifted_fields(base, again.entries)
    _save(writer, learned, source, run_id, keep=not problems)
    log.info(
        "%s: learned again on %s: %s", source, page.url, "kept" if not problems else "rejected"
    )
    return again, problems, record if problems else writer.call(kept.current_profile, source)


def _save(
    writer: SerialWriter, learned: LearnedProfile, source: str, run_id: int, *, keep: bool
) -> None:
    """Record a profile the walk learned: the source's active one if ``keep``, else a
    rejected one (learned again after a drift alarm, and it did not restore the fields)."""
    writer.call(
        kept.save_profile,
        source=source,
        profile=profile_toml(learned.profile),
        learned_from=learned.learned_from,
        page_url=learned.page_url,
        evidence=learned.evidence,
        run_id=run_id,
        kept=keep,
    )

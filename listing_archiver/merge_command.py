"""``listing-archiver merge TARGET SHARD...``: the archives of several writers as one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import click
from sqlite_utils import Database

from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.merge import MergeOutcome, check_shards, merge_shard
from listing_archiver.archive.opening import open_writer

from .command_errors import archive_errors


@click.command()
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.argument(
    "shards", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    help="Seconds to wait for a run on TARGET to finish.",
)
def merge(target: Path, shards: tuple[Path, ...], wait: float) -> None:
    """Merge the archives SHARD... into TARGET (created if missing).

    Posts are united by content hash, runs and sightings re-keyed, first_seen,
    last_seen and times_seen combined, and the current state rebuilt. Merging a shard
    twice, or shards in any order, gives the same archive. Shards are only read; TARGET
    is written one shard per transaction, under its lock.
    """
    with archive_errors():
        check_shards(str(target), [str(shard) for shard in shards])
        with archive_lock(target, wait), closing(open_writer(str(target))) as db:
            for shard in shards:
                click.echo(_describe(_merge_one(db, target, shard)))
            posts = db.execute("select count(*) from posts where is_current = 1").fetchone()[0]
    click.echo(f"{target}: {posts} posts")


def _merge_one(db: Database, target: Path, shard: Path) -> MergeOutcome:
    """One shard, in one transaction: a failure (a full disk) rolls it back whole."""
    try:
        return merge_shard(db, str(shard))
    except sqlite3.Error as exc:
        raise click.ClickException(
            f"merging {shard} into {target} failed ({exc}): {target} is as it was before {shard}"
        ) from None


def _describe(outcome: MergeOutcome) -> str:
    return (
        f"{outcome.shard}: {outcome.runs_added} runs, {outcome.versions_added} new versions,"
        f" {outcome.versions_updated} versions updated, {outcome.sightings_added} sightings,"
        f" {outcome.profiles_added} learned profiles"
    )

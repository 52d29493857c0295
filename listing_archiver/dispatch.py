"""``run --broker``: the same run with its walks on workers, this process the one writer.

The writer takes each source's snapshot and starts its run row, sends one walk per host
group to the workers (Dramatiq), and writes the page records the walks append to the
run's Redis stream, read through a consumer group: an entry is acknowledged only once
its page's transaction has committed, so entries read but not written by a writer that
died are read again by the same command run again, which resumes the run (the state it
needs is kept in Redis under the archive's path until the run ends).

A walk is redone from its first page when its worker dies; a page a run has already
written (by number, per source) is not written twice, so replays collapse and the run's
counters count each page once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from listing_archiver.archive import store
from listing_archiver.scraper.cancel import Cancellation
from listing_archiver.scraper.urls import redact

from . import __version__, broker
from .archiver import PageCallback, SourceArchiver, take_snapshot
from .errors import BrokerLost
from .job import RunReport, report_from_row
from .pages import (
    PageRecord,
    Snapshot,
    WalkEnd,
    record_from_text,
    source_from_json,
    source_to_json,
)
from .runner import RunOptions, by_host
from .sources import Source
from .writer import SerialWriter

log = logging.getLogger(__name__)

GROUP = "writer"  # the stream's consumer group, and its one consumer
RECONNECT_GRACE = 10.0  # seconds the writer waits for a broker that went away
CANCEL_TTL = 24 * 3600  # seconds a stopped run's cancel mark is kept for its walks


@dataclass
class _Run:
    """The writer's state of one distributed run: kept in Redis, rebuilt on resume."""

    token: str
    sources: dict[str, Source]
    run_ids: dict[str, int]
    modes: dict[str, str]
    written: dict[str, int] = field(default_factory=dict)  # pages written, by source
    ended: set[str] = field(default_factory=set)
    archivers: dict[str, SourceArchiver] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "token": self.token,
                "runs": [
                    [source_to_json(s), self.run_ids[name], self.modes[name]]
                    for name, s in self.sources.items()
                ],
            }
        )

    @classmethod
    def from_json(cls, text: str) -> _Run:
        data = json.loads(text)
        sources, run_ids, modes = {}, {}, {}
        for source_json, run_id, mode in data["runs"]:
            source = source_from_json(source_json)
            sources[source.name], run_ids[source.name], modes[source.name] = source, run_id, mode
        return cls(data["token"], sources, run_ids, modes)


def run_distributed(
    writer: SerialWriter,
    archive_path: str,
    sources: Sequence[Source],
    *,
    settings: broker.BrokerSettings,
    options: RunOptions,
    on_page: PageCallback | None = None,
    cancel: Cancellation | None = None,
) -> list[RunReport]:
    """Run ``sources`` on the workers, or first finish the run this archive's writer
    left under way; the reports of the run written, in its sources' order."""
    import redis

    cancel = cancel or Cancellation()
    dramatiq_broker = broker.make_broker(settings)
    client = redis.Redis.from_url(settings.url, decode_responses=True)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise BrokerLost(f"the broker at {redact(settings.url)} is unreachable ({exc})") from None
    state_key = broker.writer_key(archive_path)
    run = _resumable(client, writer, state_key)
    if run is None:
        writer.call(store.mark_interrupted)
        run = _start(client, dramatiq_broker, writer, state_key, sources, options)
    else:
        log.warning("resuming the run this archive's writer left under way (%s)", run.token)
    for name, source in run.sources.items():
        run.archivers[name] = SourceArchiver(
            writer, source, run.run_ids[name], full=run.modes[name] == "full", on_page=on_page
        )
    try:
        _consume(client, run, cancel)
    except BrokerLost as exc:
        _finish_unended(run, "failed", f"{exc}; run again")
    except BaseException:
        _finish_unended(run, "interrupted", cancel.reason or "interrupted")
        raise
    if cancel.cancelled:
        _finish_unended(run, "interrupted", cancel.reason or "interrupted")
    _forget(client, run, state_key)
    writer.call(store.mark_interrupted)  # after a resume: any run older than it
    return [
        report_from_row(source, writer.call(_run_row, run.run_ids[name]))
        for name, source in run.sources.items()
    ]


def _resumable(client: Any, writer: SerialWriter, state_key: str) -> _Run | None:
    """The run a writer of this archive left under way, its sources whose rows no
    longer say running counted as ended (finished before the writer died); None when
    none is running (a local run in between marked them interrupted: it is abandoned)."""
    text = _quietly(client.get, state_key)
    if not text:
        return None
    run = _Run.from_json(text)
    rows = {name: writer.call(_run_row, run_id) for name, run_id in run.run_ids.items()}
    run.ended = {name for name, row in rows.items() if row["status"] != "running"}
    if len(run.ended) == len(run.sources):
        _forget(client, run, state_key)
        return None
    for name, row in rows.items():  # where each walk had got to
        run.written[name] = int(row["pages_fetched"] + row["not_modified"])
    return run


def _start(
    client: Any,
    dramatiq_broker: Any,
    writer: SerialWriter,
    state_key: str,
    sources: Sequence[Source],
    options: RunOptions,
) -> _Run:
    """Snapshots and run rows, the stream and its group, then one message per host group."""
    from .worker import declare

    actor = declare(dramatiq_broker)
    token = uuid.uuid4().hex
    run = _Run(token, {}, {}, {})
    snapshots: dict[str, Snapshot] = {}
    for source in sources:
        snapshot = take_snapshot(writer, source, full=options.full, remote=True)
        snapshots[source.name] = snapshot
        run.sources[source.name] = source
        run.modes[source.name] = snapshot.mode
        run.run_ids[source.name] = writer.call(
            store.start_run, source=source.name, url=redact(source.url), mode=snapshot.mode
        )
    client.xgroup_create(broker.stream_key(token), GROUP, id="0", mkstream=True)
    client.set(state_key, run.to_json())
    for group in by_host(sources):
        actor.send(_message(token, group, snapshots, options))
    return run


def _message(
    token: str, group: list[Source], snapshots: dict[str, Snapshot], options: RunOptions
) -> dict[str, Any]:
    return {
        "version": __version__,
        "token": token,
        "names": [source.name for source in group],
        "sources": [
            {"source": source_to_json(s), "snapshot": snapshots[s.name].to_json()} for s in group
        ],
        "obey_robots": options.obey_robots,
        "accept_drift": options.accept_drift,
    }


def _consume(client: Any, run: _Run, cancel: Cancellation) -> None:
    """Write the stream's records until every source's walk has ended: first the
    entries a previous writer read but did not acknowledge, then new ones. A broker
    away for a moment is waited for; one that lost the run's stream ends the run."""
    import redis

    cursor = "0"
    lost_at: float | None = None
    while len(run.ended) < len(run.sources) and not cancel.cancelled:
        try:
            cursor = _step(client, run, cursor)
            lost_at = None
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            lost_at = _wait_for_broker(exc, lost_at, cancel)
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                raise BrokerLost(
                    "the broker lost this run's pages (restarted without them)"
                ) from None
            raise


def _step(client: Any, run: _Run, cursor: str) -> str:
    """Read a batch, write each entry and acknowledge (and drop) it once written; the cursor to
    read from next (pending entries, "0", until there are none left, then new, ">")."""
    stream = broker.stream_key(run.token)
    reply = client.xreadgroup(GROUP, GROUP, {stream: cursor}, count=100, block=500)
    entries = reply[0][1] if reply else []
    written = []
    try:
        for entry_id, fields in entries:
            _take(run, fields)  # its own transaction, committed here
            written.append(entry_id)
    finally:  # acknowledged once written, a batch at a time: a crash between the two
        if written:  # reads them again, and a page already written is skipped
            done = client.pipeline(transaction=False)
            done.xack(stream, GROUP, *written)
            done.xdel(stream, *written)  # a backfill's stream holds only what is unwritten
            done.execute()
    return ">" if cursor == "0" and not entries else cursor


def _wait_for_broker(exc: Exception, lost_at: float | None, cancel: Cancellation) -> float:
    import time

    now = time.monotonic()
    lost_at = lost_at or now
    if now - lost_at > RECONNECT_GRACE:
        raise BrokerLost(f"the broker is unreachable ({exc})") from None
    cancel.sleep(0.5)
    return lost_at


def _take(run: _Run, fields: dict[str, str]) -> None:
    """Write one stream entry: a page (unless this run wrote its number already), the
    end of a walk, or a worker's word that a group's walks failed (or were refused)."""
    if "failed" in fields:
        failed = json.loads(fields["failed"])
        for name in failed["names"]:
            _end(run, WalkEnd(name, "failed", error=failed["error"]))
        return
    record = record_from_text(fields["record"])
    if record.source not in run.sources or record.source in run.ended:
        return
    if isinstance(record, WalkEnd):
        _end(run, record)
    else:
        _page(run, record)


def _page(run: _Run, record: PageRecord) -> None:
    name, number = record.source, record.page.number
    if number <= run.written.get(name, 0):
        log.info("%s page %d: already written (a walk redone)", name, number)
        return
    run.archivers[name].page(record, wait=True)
    run.written[name] = number


def _end(run: _Run, end: WalkEnd) -> None:
    if end.source in run.sources and end.source not in run.ended:
        run.archivers[end.source].end(end)
        run.ended.add(end.source)


def _finish_unended(run: _Run, status: str, error: str) -> None:
    for name in run.sources:
        if name not in run.ended:
            _end(run, WalkEnd(name, status, error=error))


def _forget(client: Any, run: _Run, state_key: str) -> None:
    """The run is over: its walks stop if any still go on, its stream and state go."""
    _quietly(client.set, broker.cancel_key(run.token), "1", ex=CANCEL_TTL)
    _quietly(client.delete, broker.stream_key(run.token), state_key)


def _quietly(call: Any, *args: Any, **kwargs: Any) -> Any:
    """A broker call whose failure changes nothing the archive holds."""
    import redis

    try:
        return call(*args, **kwargs)
    except redis.RedisError as exc:
        log.warning("broker: %s", exc)
        return None


def _run_row(db: Any, run_id: int) -> dict[str, Any]:
    return dict(db.table("runs").get(run_id))

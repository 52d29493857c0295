"""``run --broker`` with real ``listing-archiver worker`` processes over a real
``redis-server`` (tests.redis_process): the same archive, summary and runs rows as a
local run, and the guarantees of issue 15 when a worker, the writer or Redis dies, for
one host walked from two workers, and for a worker of another version."""

from __future__ import annotations

import dataclasses
import itertools
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from click.testing import CliRunner

from listing_archiver.cli import cli

from .redis_process import DEADLINE, HEARTBEAT, ROOT, RedisProcess, Workers
from .scrape_process import read, runs, wait_until
from .server import TestServer, serve_listing

PER_PAGE = 5
POSTS = [f"Post {i:02d}" for i in range(30, 0, -1)]  # six pages, newest first
# What a version is: compared between a distributed and a local archive.
VERSIONS = (
    "select content_hash, post_key, url, title, date, author, excerpt, source, times_seen,"
    " removed_at is null from posts order by content_hash"
)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    process = RedisProcess(tmp_path).start()
    yield process
    process.stop()


@pytest.fixture
def workers(tmp_path: Path, redis_server: RedisProcess) -> Iterator[Workers]:
    started = Workers(tmp_path, redis_server.url)
    yield started
    started.stop_all()


def sources_file(tmp_path: Path, urls: dict[str, str], delay: float = 0) -> Path:
    path = tmp_path / "sources.toml"
    blocks = [f'[[source]]\nname = "{name}"\nurl = "{url}"\n' for name, url in urls.items()]
    path.write_text(f"delay = {delay}\n\n" + "\n".join(blocks))
    return path


def run_command(sources: Path, db: Path, broker: str | None, *extra: str) -> list[str]:
    via = ["--broker", broker] if broker else []
    return [sys.executable, "-m", "listing_archiver", "run", str(sources), "--db", str(db),
            "--json", *via, *extra]  # fmt: skip


def run(
    sources: Path, db: Path, broker: str | None, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        run_command(sources, db, broker, *extra),
        cwd=ROOT, capture_output=True, text=True, timeout=DEADLINE * 2, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def start_run(sources: Path, db: Path, broker: str, tmp_path: Path) -> subprocess.Popen[bytes]:
    with (tmp_path / "writer.err").open("ab") as err:
        return subprocess.Popen(
            run_command(sources, db, broker), cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip


def versions(db: Path) -> list[tuple]:
    rows = read(db, VERSIONS)
    assert rows is not None
    return rows


def pages_written(db: Path) -> int:
    rows = read(db, "select coalesce(sum(pages_fetched), 0) from runs")
    return int(rows[0][0]) if rows else 0


def two_blogs(server: TestServer) -> dict[str, str]:
    serve_listing(server, POSTS, per_page=PER_PAGE, prefix="/a")
    serve_listing(server, POSTS[:12], per_page=PER_PAGE, prefix="/b")
    return {"a": server.url("/a/"), "b": server.url("/b/", host="localhost")}


def test_a_run_on_workers_archives_and_reports_what_a_local_run_does(
    server, tmp_path, redis_server, workers
):
    urls = two_blogs(server)
    sources = sources_file(tmp_path, urls)
    workers.start()
    workers.start()
    local = run(sources, tmp_path / "local.db", None)
    remote = run(sources, tmp_path / "remote.db", redis_server.url)
    assert (remote.returncode, local.returncode) == (0, 0), remote.stderr
    assert versions(tmp_path / "remote.db") == versions(tmp_path / "local.db")
    summary = {s["source"]: s for s in json.loads(remote.stdout)["sources"]}
    expected = {s["source"]: s for s in json.loads(local.stdout)["sources"]}
    for report in (*summary.values(), *expected.values()):
        del report["run_id"]
    assert summary == expected
    assert [r["status"] for r in runs(tmp_path / "remote.db")] == ["ok", "ok"]
    # a second run is incremental on the workers too: page 1 all known, one page each
    again = run(sources, tmp_path / "remote.db", redis_server.url)
    assert again.returncode == 0, again.stderr
    reports = json.loads(again.stdout)["sources"]
    assert [
        (r["mode"], r["pages_fetched"] + r["not_modified"], r["new_posts"]) for r in reports
    ] == [
        ("incremental", 1, 0),
        ("incremental", 1, 0),
    ]


def test_a_worker_of_another_version_refuses_and_the_run_says_so(
    server, tmp_path, redis_server, workers
):
    serve_listing(server, POSTS[:5], per_page=PER_PAGE)
    sources = sources_file(tmp_path, {"blog": server.url("/")})
    other = workers.start(module="tests.other_version")
    done = run(sources, tmp_path / "a.db", redis_server.url)
    assert done.returncode == 1
    [report] = json.loads(done.stdout)["sources"]
    assert report["status"] == "failed"
    assert "refused by a worker running listing-archiver 0.0.0+other" in report["error"]
    assert "refused" in workers.output(other)
    assert server.hits("/") == 0
    assert [r["status"] for r in runs(tmp_path / "a.db")] == ["failed"]


def test_without_the_distributed_extra_broker_and_worker_name_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "dramatiq", None)  # import dramatiq now fails
    sources = sources_file(tmp_path, {"blog": "http://127.0.0.1:9/"})
    for args in (
        ["run", str(tmp_path / "a.db"), str(sources), "--broker", "redis://127.0.0.1:9/0"],
        ["worker", "--broker", "redis://127.0.0.1:9/0"],
    ):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2
        assert "pip install 'listing-archiver[distributed]'" in result.output
    assert not (tmp_path / "a.db").exists()


def gate_page(server: TestServer, path: str) -> tuple[threading.Event, threading.Event]:
    """The first request for ``path`` is held until the returned gate is set (the second
    is answered at once); the other event is set when that first request arrives."""
    gate, arrived = threading.Event(), threading.Event()
    normal = server.routes[path][0]
    server.route(path, dataclasses.replace(normal, gate=gate, arrived=arrived), normal)
    return gate, arrived


def waited(event: threading.Event, what: str) -> None:
    assert event.wait(DEADLINE), f"no {what} within {DEADLINE} s"


def finished(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=DEADLINE * 2)


def one_run(db: Path) -> dict[str, object]:
    [row] = runs(db)
    return row


def test_a_worker_killed_mid_walk_is_redone_by_another_and_the_archive_is_as_a_clean_run(
    server, tmp_path, redis_server, workers
):
    serve_listing(server, POSTS, per_page=PER_PAGE)
    gate, arrived = gate_page(server, "/page/3/")
    sources = sources_file(tmp_path, {"blog": server.url("/")})
    db = tmp_path / "a.db"
    try:
        first = workers.start()
        writer = start_run(sources, db, redis_server.url, tmp_path)
        waited(arrived, "request for page 3")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=DEADLINE)
        workers.start()  # takes the walk over once the killed one's heartbeat lapses
        assert finished(writer) == 0, (tmp_path / "writer.err").read_text()
    finally:
        gate.set()
    assert server.hits("/") == 2  # the walk was redone from its first page
    clean = run(sources, tmp_path / "clean.db", None)
    assert clean.returncode == 0
    assert versions(db) == versions(tmp_path / "clean.db")
    assert read(db, "select count(*), count(distinct post_key) from posts") == [(30, 30)]
    row = one_run(db)
    assert (row["status"], row["pages_fetched"], row["entries_seen"]) == ("ok", 6, 30)


def stream_keys(broker_url: str) -> list[str]:
    client = redis.Redis.from_url(broker_url, decode_responses=True)
    return sorted(client.scan_iter("listing-archiver:pages:*"))


def test_a_writer_killed_mid_run_is_finished_by_the_same_command_pages_written_once(
    server, tmp_path, redis_server, workers
):
    serve_listing(server, POSTS, per_page=PER_PAGE)
    serve_listing(server, POSTS[:3], per_page=PER_PAGE, prefix="/early")
    gate, arrived = gate_page(server, "/page/4/")
    urls = {"blog": server.url("/"), "early": server.url("/early/", host="localhost")}
    sources = sources_file(tmp_path, urls)
    db = tmp_path / "a.db"
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    workers.start(threads=2)
    try:
        writer = start_run(sources, db, redis_server.url, tmp_path)
        waited(arrived, "request for page 4")
        early_done = lambda: [r["status"] for r in runs(db)] == ["running", "ok"]  # noqa: E731
        wait_until(early_done, writer, "the early source's run finished")
        wait_until(lambda: pages_written(db) == 4, writer, "blog's pages 1-3 written")
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=DEADLINE)
    finally:
        gate.set()
    [stream] = stream_keys(redis_server.url)
    until_walk_end(client, stream)
    # Read, as the dead writer would have, and never written: what a rerun must write once.
    unwritten = client.xreadgroup("writer", "writer", {stream: ">"})
    assert len(unwritten[0][1]) == 4  # blog's pages 4, 5, 6 and its walk's end
    again = run(sources, db, redis_server.url)
    assert again.returncode == 0, again.stderr
    reports = json.loads(again.stdout)["sources"]
    assert [(r["source"], r["status"], r["pages_fetched"], r["new_posts"]) for r in reports] == [
        ("blog", "ok", 6, 30),
        ("early", "ok", 1, 3),
    ]
    rows = runs(db)  # the same runs, finished: not new ones
    assert [(r["status"], r["pages_fetched"], r["entries_seen"]) for r in rows] == [
        ("ok", 6, 30),
        ("ok", 1, 3),
    ]
    clean = run(sources, tmp_path / "clean.db", None)
    assert versions(db) == versions(tmp_path / "clean.db") and clean.returncode == 0
    assert stream_keys(redis_server.url) == []


def appended(
    client: redis.Redis, stream: str, after: str = "0"
) -> list[tuple[str, dict[str, str]]]:
    """The entries appended to ``stream`` after id ``after``, waiting for one: Redis's
    blocking read wakes on the append itself (its bound only guards against a hang)."""
    found = client.xread({stream: after}, block=int(DEADLINE * 1000))
    assert found, f"nothing appended to {stream} within {DEADLINE} s"
    return list(found[0][1])


def until_walk_end(client: redis.Redis, stream: str) -> None:
    """Reads ``stream`` as it grows until the entry that ends a walk."""
    after = "0"
    while True:
        entries = appended(client, stream, after)
        if any('"end"' in str(fields) for _, fields in entries):
            return
        after = entries[-1][0]


def test_redis_restarted_mid_run_fails_the_run_cleanly_and_the_next_run_completes(
    server, tmp_path, redis_server, workers
):
    serve_listing(server, POSTS, per_page=PER_PAGE)
    gate, arrived = gate_page(server, "/page/3/")
    sources = sources_file(tmp_path, {"blog": server.url("/")})
    db = tmp_path / "a.db"
    workers.start()
    try:
        writer = start_run(sources, db, redis_server.url, tmp_path)
        waited(arrived, "request for page 3")
        wait_until(lambda: pages_written(db) == 2, writer, "pages 1-2 written")
        redis_server.stop()
        redis_server.start()  # empty: the queue, the stream and the run's state are gone
    finally:
        gate.set()
    assert finished(writer) == 1
    row = one_run(db)
    assert row["status"] == "failed" and row["pages_fetched"] == 2
    assert "the broker lost this run's pages" in str(row["error"]) or "unreachable" in str(
        row["error"]
    )
    kept = read(db, "select content_hash from posts order by content_hash")
    again = run(sources, db, redis_server.url)
    assert again.returncode == 0, again.stderr
    [report] = json.loads(again.stdout)["sources"]
    assert (report["status"], report["mode"], report["pages_fetched"]) == ("ok", "full", 6)
    after = read(db, "select content_hash from posts order by content_hash")
    assert set(kept or []) <= set(after or []) and len(after or []) == 30


def test_two_sources_on_one_host_on_two_workers_take_turns_and_keep_the_delay(
    server, tmp_path, redis_server, workers
):
    delay = 0.5  # the floor asserted; the slack below is for a loaded machine's scheduling
    serve_listing(server, POSTS[:15], per_page=PER_PAGE, prefix="/a")
    serve_listing(server, POSTS[15:], per_page=PER_PAGE, prefix="/b")
    gate, arrived = gate_page(server, "/a/page/2/")
    first, second = workers.start(), workers.start()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    sources_a = sources_file(tmp_path / "a", {"a": server.url("/a/")}, delay=delay)
    sources_b = sources_file(tmp_path / "b", {"b": server.url("/b/")}, delay=delay)
    try:
        run_a = start_run(sources_a, tmp_path / "a.db", redis_server.url, tmp_path)
        waited(arrived, "request for /a/page/2/")
        run_b = start_run(sources_b, tmp_path / "b.db", redis_server.url, tmp_path)
        walking_b = lambda: "walking b" in workers.output(first) + workers.output(second)  # noqa: E731
        wait_until(walking_b, run_b, "the other worker taking walk b")
        assert not any(r.path.startswith("/b/") for r in server.requests)  # b waits its turn
    finally:
        gate.set()
    assert (finished(run_a), finished(run_b)) == (0, 0)
    logs = [workers.output(first), workers.output(second)]
    assert sorted("walking b" in log for log in logs) == [False, True]  # one walk each
    assert sorted("walking a" in log for log in logs) == [False, True]
    assert server.max_active == 1
    times = sorted(r.at for r in server.requests)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(times) >= 8 and min(gaps) >= delay - 0.15, gaps


def test_a_run_stopped_by_sigint_records_it_and_its_walks_are_never_fetched_later(
    server, tmp_path, redis_server, workers
):
    serve_listing(server, POSTS[:5], per_page=PER_PAGE)
    sources = sources_file(tmp_path, {"blog": server.url("/")})
    db = tmp_path / "a.db"
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    queued = "listing-archiver:listing-archiver-walks.msgs"
    writer = start_run(sources, db, redis_server.url, tmp_path)  # no worker up yet
    wait_until(lambda: client.hlen(queued) == 1, writer, "the walk queued")
    writer.send_signal(signal.SIGINT)
    assert finished(writer) == 130
    row = one_run(db)
    assert (row["status"], row["error"]) == ("interrupted", "interrupted by SIGINT")
    late = workers.start()
    wait_until(lambda: client.hlen(queued) == 0, late, "the worker taking the walk")
    assert "its run was stopped" in workers.output(late)
    assert server.requests == []


def test_a_walk_longer_than_the_heartbeat_stays_with_its_busy_worker(
    server, tmp_path, redis_server, workers
):
    """A worker whose threads are all busy fetches no walk, yet its heartbeat goes on
    (Dramatiq's delay-queue consumer keeps fetching): a long walk is not handed to
    another worker while it is still under way."""
    serve_listing(server, POSTS, per_page=PER_PAGE)
    gate, arrived = gate_page(server, "/page/2/")
    sources = sources_file(tmp_path, {"blog": server.url("/")})
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    busy = workers.start()
    try:
        writer = start_run(sources, tmp_path / "a.db", redis_server.url, tmp_path)
        waited(arrived, "request for page 2")
        idle = workers.start()  # polls, and so would requeue a worker it thought dead
        since_ms = time.time() * 1000
        lapsed = 3 * float(HEARTBEAT) * 1000  # three heartbeat timeouts on the broker's clock

        def beats_after() -> bool:
            latest = client.zrange("listing-archiver:__heartbeats__", -1, -1, withscores=True)
            return bool(latest) and latest[0][1] > since_ms + lapsed

        wait_until(beats_after, writer, "three heartbeat timeouts")
    finally:
        gate.set()
    assert finished(writer) == 0
    assert server.hits("/") == 1  # walked once, never handed on
    assert "walking blog" in workers.output(busy)
    assert "walking blog" not in workers.output(idle)


def test_a_walk_failing_on_a_fault_of_the_tool_is_reported_failed_to_the_writer(
    tmp_path, redis_server, workers
):
    """Not left for the writer to wait on for ever (nor retried: the fault would recur)."""
    from listing_archiver import __version__, broker
    from listing_archiver.worker import declare

    worker = workers.start()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    stream = broker.stream_key("t")
    client.xgroup_create(stream, "writer", id="0", mkstream=True)
    sender = broker.make_broker(broker.BrokerSettings(redis_server.url))
    try:
        bad_source = {"format": 1, "source": {"name": "x"}}  # no url: Source() raises TypeError
        declare(sender).send(
            {"version": __version__, "token": "t", "names": ["x"],
             "sources": [{"source": bad_source, "snapshot": {}}],
             "obey_robots": True, "accept_drift": False}
        )  # fmt: skip
    finally:
        sender.close()
    appended(client, stream)  # the worker's word
    [(_, fields)] = client.xrange(stream)
    failed = json.loads(fields["failed"])
    assert failed["names"] == ["x"]
    assert failed["error"].startswith("the walk failed on a worker: TypeError")
    assert "walking x failed" in workers.output(worker)

"""A fast static server for the bench, in its own process, on 127.0.0.1 only.

It runs in a separate process so that its CPU time is never charged to the client
being measured, and it serves pre-built responses from memory (status line, headers
and body joined once at start-up) over asyncio streams, so per request it only reads a
request head and writes one buffer. What a real static host does and a fair race
needs is there: HTTP/1.1 keep-alive, ``Content-Length``, a strong ``ETag`` with ``304``
on a matching ``If-None-Match`` (so the unchanged rerun is realistic), and 404 for
anything else, ``/robots.txt`` included. One process can listen on many ports, each
its own site, for the many-sources figure.

``/__stats`` answers the counters of the port it is asked on (as JSON, not counted
itself); ``/__stats?reset=1`` zeroes them after reading. That is how the bench counts
the requests a run made without trusting the client's own report.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import http.client
import json
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .site import SiteSpec, generate_site

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAST_MODIFIED = "Fri, 31 Oct 2025 12:00:00 GMT"  # the generated site never changes
MAX_HEAD = 64 * 1024  # a request head longer than this is refused (connection closed)


@dataclass
class Counters:
    requests: int = 0
    ok: int = 0
    not_modified: int = 0
    not_found: int = 0


class _Site:
    """One listener's responses, built once: 200 and 304 per path, and a 404."""

    def __init__(self, pages: dict[str, bytes]) -> None:
        self.ok: dict[str, bytes] = {}
        self.not_modified: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        for path, body in pages.items():
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            common = f"ETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\n"
            self.etags[path] = etag
            self.ok[path] = (
                "HTTP/1.1 200 OK\r\nServer: bench\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n{common}\r\n"
            ).encode("ascii") + body
            self.not_modified[path] = (
                f"HTTP/1.1 304 Not Modified\r\nServer: bench\r\n{common}\r\n"
            ).encode("ascii")
        body = b"<!DOCTYPE html><title>404</title><h1>Not found</h1>"
        self.not_found = (
            "HTTP/1.1 404 Not Found\r\nServer: bench\r\n"
            f"Content-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("ascii") + body
        self.counters = Counters()

    def answer(self, path: str, if_none_match: str | None, head_only: bool) -> bytes:
        """The response bytes for ``path``, counting it."""
        counters = self.counters
        counters.requests += 1
        response = self.ok.get(path)
        if response is None:
            counters.not_found += 1
            response = self.not_found
        elif if_none_match is not None and _etag_matches(if_none_match, self.etags[path]):
            counters.not_modified += 1
            response = self.not_modified[path]
        else:
            counters.ok += 1
        if head_only:
            response = response[: response.index(b"\r\n\r\n") + 4]
        return response

    def stats(self, reset: bool) -> bytes:
        body = json.dumps(vars(self.counters)).encode("ascii")
        if reset:
            self.counters = Counters()
        return (
            "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: application/json\r\n"
            f"Cache-Control: no-store\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode("ascii") + body


def _etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as servers apply it to If-None-Match."""
    if header.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in header.split(","))


async def _handle(site: _Site, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            parts = lines[0].split()
            if len(parts) != 3:
                return
            method, target, version = parts
            if_none_match = None
            connection = ""
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "if-none-match":
                    if_none_match = value.strip()
                elif name == "connection":
                    connection = value.strip().lower()
            path, _, query = target.partition("?")
            if path == "/__stats":
                response = site.stats(reset="reset=1" in query)
            else:
                response = site.answer(path, if_none_match, head_only=method == "HEAD")
            writer.write(response)
            await writer.drain()
            if connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive"):
                return
    except ConnectionError:
        return
    finally:
        writer.close()


async def _serve(specs: Sequence[SiteSpec]) -> None:
    servers = []
    ports = []
    for spec in specs:
        site = _Site(generate_site(spec))

        async def handle(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter, site: _Site = site
        ) -> None:
            await _handle(site, reader, writer)

        server = await asyncio.start_server(handle, HOST, 0, limit=MAX_HEAD, backlog=256)
        servers.append(server)
        ports.append(server.sockets[0].getsockname()[1])
    sys.stdout.write(json.dumps(ports) + "\n")  # the parent waits for this line
    sys.stdout.flush()
    await asyncio.gather(*(server.serve_forever() for server in servers))


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m bench.server SPECS_JSON``: serve until terminated."""
    raw = json.loads((argv if argv is not None else sys.argv[1:])[0])
    asyncio.run(_serve([SiteSpec(**spec) for spec in raw]))


class BenchServer:
    """The server process: ``start()`` returns once every listener is accepting.

    A subprocess (not ``multiprocessing``) so it starts the same way whatever the
    parent's ``__main__`` is, and so its CPU time is visibly its own."""

    def __init__(self, specs: Sequence[SiteSpec]) -> None:
        self.specs = list(specs)
        self.ports: list[int] = []
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> BenchServer:
        specs = json.dumps([dataclasses.asdict(spec) for spec in self.specs])
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.server", specs],
            cwd=PROJECT_ROOT,  # so `bench` is this package, whatever the caller's folder holds
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
        )
        assert self._process.stdout is not None
        ready, _, _ = select.select([self._process.stdout], [], [], timeout)
        line = self._process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise RuntimeError("the bench server did not start (see its error above)")
        self.ports = json.loads(line)
        return self

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def url(self, index: int = 0) -> str:
        return f"http://{HOST}:{self.ports[index]}/"

    def stats(self, index: int = 0, *, reset: bool = False) -> dict[str, Any]:
        connection = http.client.HTTPConnection(HOST, self.ports[index], timeout=10)
        try:
            connection.request("GET", "/__stats?reset=1" if reset else "/__stats")
            result: dict[str, Any] = json.loads(connection.getresponse().read())
            return result
        finally:
            connection.close()

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        if process.stdout is not None:
            process.stdout.close()

    def __enter__(self) -> BenchServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def raw_throughput(port: int, paths: Sequence[str], seconds: float = 2.0) -> tuple[float, float]:
    """(requests/s, MB/s) of a plain keep-alive client loop over ``paths``: a floor on
    what the server can do (the client, one Python thread, is likely the limit)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    count = size = 0
    start = time.perf_counter()
    deadline = start + seconds
    try:
        while time.perf_counter() < deadline:
            for path in paths:
                connection.request("GET", path)
                response = connection.getresponse()
                size += len(response.read())
                count += 1
                if count % 200 == 0 and time.perf_counter() >= deadline:
                    break
    finally:
        connection.close()
    elapsed = time.perf_counter() - start
    return count / elapsed, size / elapsed / 1e6


if __name__ == "__main__":
    main()

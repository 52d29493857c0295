"""A real HTTP server on 127.0.0.1 for tests: static files plus scripted routes.

Scripted routes answer with a sequence of ``Reply`` objects (the last one repeats),
so "503 then 200" or "429 with Retry-After" are one line in a test. Every request is
recorded (path, headers, client port) so tests can count what crossed the wire.

Faults a ``Reply`` can inject, besides any status and headers: a stall before the
answer (``stall``) or in the middle of the body (``stall_after``), a connection reset
mid-body (``reset_after``), a Content-Length that lies (``length``: longer than the body
is a truncated answer). ``gate`` holds the answer until an event the test sets, so a
test orders what the client does against what the server answers without any timing.
Helpers build the rest: ``redirect``, ``encoded`` (a body in a given charset and
Content-Type), ``big_body`` (many MB streamed without holding them) and ``gzip_bomb``
(a gigabyte of zeros in about a megabyte of gzip).
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import socket
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

GATE_TIMEOUT = 60.0  # a hang guard only: a gated reply waits this long for its event


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(
        default_factory=lambda: {"Content-Type": "text/html; charset=utf-8"}
    )
    stall: float = 0.0  # seconds to wait before answering at all
    etag: bool = True  # send a content ETag with a 200, and 304 on a matching If-None-Match
    content_length: bool = True  # False: no Content-Length, body ends when the connection closes
    # Faults. ``length``: the Content-Length to declare whatever the body (one longer than
    # the body is a truncated answer: the connection is closed after the body).
    length: int | None = None
    reset_after: int | None = None  # send headers and this many body bytes, then reset (RST)
    stall_after: int | None = None  # send headers and this many body bytes, then stall ``stall`` s
    # Answer only once this event is set (by the test, when something it waits for has
    # happened); if it is not set within GATE_TIMEOUT s, a 412, which is not retried.
    gate: threading.Event | None = None
    arrived: threading.Event | None = None  # set as a request for this reply arrives


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    client_port: int
    at: float  # time.monotonic() when the request arrived

    @property
    def host(self) -> str:
        """The host name the client asked for (the Host header without its port)."""
        return urlsplit("//" + self.headers.get("Host", "")).hostname or ""


class TestServer:
    __test__ = False  # not a test class, for pytest

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[Seen] = []
        self.closing = threading.Event()
        self.active = 0  # requests being answered right now
        self.max_active = 0
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def page(self, path: str, html: str, **kwargs: object) -> None:
        self.route(path, Reply(body=html.encode("utf-8"), **kwargs))  # type: ignore[arg-type]

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        """Answer ``path`` with a redirect to ``location`` (absolute or relative)."""
        self.route(path, Reply(status=status, headers={"Location": location}, etag=False))

    def hits(self, path: str, host: str | None = None) -> int:
        """Requests for ``path``; only those that named ``host`` in their Host header if given."""
        return sum(1 for r in self.requests if r.path == path and host in (None, r.host))

    def start(self) -> TestServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def next_reply(self, path: str) -> Reply | None:
        replies = self.routes.get(path)
        if replies:
            return replies.pop(0) if len(replies) > 1 else replies[0]
        if self.root is not None:
            file = self.root / path.lstrip("/")
            if file.is_dir():
                file = file / "index.html"
            if file.is_file() and self.root.resolve() in file.resolve().parents:
                return Reply(body=file.read_bytes())
        return Reply(status=404, body=b"<h1>Not Found</h1>")


class _QuietServer(ThreadingHTTPServer):
    """A client hanging up (keep-alive closed, a refused body) is normal here, not an
    error worth a traceback on stderr, where it would mix with the output under test."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def _make_handler(server: TestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real sites do

        def do_GET(self) -> None:
            with server._lock:
                server.active += 1
                server.max_active = max(server.max_active, server.active)
            try:
                self._answer()
            finally:
                with server._lock:
                    server.active -= 1

        def _answer(self) -> None:
            path = urlsplit(self.path).path
            seen = Seen(path, dict(self.headers), self.client_address[1], time.monotonic())
            server.requests.append(seen)
            reply = server.next_reply(path)
            assert reply is not None
            if reply.stall and reply.stall_after is None and server.closing.wait(reply.stall):
                return
            if reply.arrived is not None:
                reply.arrived.set()
            if reply.gate is not None and not reply.gate.wait(GATE_TIMEOUT):
                reply = Reply(status=412, body=b"<h1>the awaited event never came</h1>")
            headers = dict(reply.headers)
            if reply.etag and reply.status == 200 and isinstance(reply.body, bytes):
                headers["ETag"] = '"' + hashlib.sha256(reply.body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == headers["ETag"]:
                    reply = Reply(status=304, body=b"", headers={"ETag": headers["ETag"]})
                    headers = dict(reply.headers)
            self.send_response(reply.status)
            for name, value in headers.items():
                self.send_header(name, value)
            chunks = [reply.body] if isinstance(reply.body, bytes) else reply.body
            if reply.length is not None:
                self.send_header("Content-Length", str(reply.length))
                self.close_connection = True  # the body may fall short of what was declared
            elif isinstance(reply.body, bytes) and reply.content_length:
                self.send_header("Content-Length", str(len(reply.body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            cut = reply.reset_after if reply.reset_after is not None else reply.stall_after
            try:
                _write_body(self.wfile, chunks, cut)
            except (BrokenPipeError, ConnectionResetError):
                return  # the client refused the rest: that is what some tests want
            if reply.reset_after is not None:
                self._reset()
            elif reply.stall_after is not None:
                self.close_connection = True
                server.closing.wait(reply.stall)

        def _reset(self) -> None:
            """Abort the connection: SO_LINGER 0 makes close() send RST, not FIN."""
            self.close_connection = True
            server.closing.wait(0.05)  # let the client read the headers and first bytes
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())  # the handler's own cleanup then finds it shut

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _write_body(out: io.BufferedIOBase, chunks: Iterable[bytes], cut: int | None) -> None:
    """Write ``chunks``; with ``cut``, only that many bytes of them."""
    written = 0
    for chunk in chunks:
        if cut is not None and written + len(chunk) >= cut:
            out.write(chunk[: cut - written])
            return
        out.write(chunk)
        written += len(chunk)


def encoded(html: str, encoding: str, content_type: str | None = "text/html") -> Reply:
    """``html`` as bytes in ``encoding`` (e.g. "utf-8-sig" for a BOM), sent with exactly
    ``content_type`` (None: no Content-Type header at all)."""
    headers = {"Content-Type": content_type} if content_type is not None else {}
    return Reply(body=html.encode(encoding), headers=headers)


def big_body(size: int, chunk_size: int = 1024 * 1024) -> Iterator[bytes]:
    """``size`` bytes of HTML-ish filler, streamed as one reused chunk: the server holds
    one chunk, never the whole body, so a test can measure the client's memory alone."""
    chunk = (b"<p>" + b"x" * (chunk_size - 8) + b"</p>\n ")[:chunk_size]
    full, rest = divmod(size, chunk_size)
    for _ in range(full):
        yield chunk
    if rest:
        yield chunk[:rest]


@functools.cache
def gzip_bomb(size: int = 1024**3, member: int = 64 * 1024**2) -> bytes:
    """``size`` bytes of zeros, gzip-compressed: 1 GiB in about 1 MB (send it with
    ``Content-Encoding: gzip``). Built once per session, streaming through
    ``zlib.compressobj`` one MiB at a time; the GiB is never in memory. For speed one
    ``member`` (64 MiB) is compressed and repeated: a gzip file may hold many members,
    and decoders (urllib3's too) inflate them all as one stream (RFC 1952, 2.2)."""
    assert size % member == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip header and trailer
    zeros = bytes(1024 * 1024)
    parts = [compressor.compress(zeros) for _ in range(member // len(zeros))]
    parts.append(compressor.flush())
    return b"".join(parts) * (size // member)


def html_page(*articles: str, next_href: str | None = None, head: str = "") -> str:
    """A minimal PaperMod-shaped listing page for tests that script their own routes."""
    nav = (
        f'<nav class="pagination"><a class="next" href="{next_href}">Next »</a></nav>'
        if next_href
        else ""
    )
    return (
        f'<html><head><meta name="generator" content="Hugo 0.149.1">{head}</head><body>'
        f'<main class="main">{"".join(articles)}<footer class="page-footer">{nav}</footer></main>'
        "</body></html>"
    )


def papermod_entry(
    title: str,
    slug: str,
    date: str = "2021-03-18",
    author: str = "Ann Author",
    excerpt: str = "An excerpt ...",
) -> str:
    return (
        f'<article class="post-entry"><header class="entry-header"><h2>{title}</h2></header>'
        f'<div class="entry-content"><p>{excerpt}</p></div>'
        f"<footer class=\"entry-footer\"><span title='{date} 00:00:00 +0000 UTC'>{date}</span>"
        f"&nbsp;·&nbsp;<span>{author}</span></footer>"
        f'<a class="entry-link" href="/post/{slug}/"></a></article>'
    )


def serve_listing(
    server: TestServer, posts: list[str], per_page: int = 10, prefix: str = "", **reply: object
) -> None:
    """Route a PaperMod listing of ``posts`` (titles, newest first) at ``prefix``/,
    ``prefix``/page/2/, ... replacing any listing routed there before."""
    pages = [posts[i : i + per_page] for i in range(0, len(posts), per_page)]
    for path in [k for k in server.routes if k == f"{prefix}/" or k.startswith(f"{prefix}/page/")]:
        del server.routes[path]
    for number, titles in enumerate(pages, 1):
        path = f"{prefix}/" if number == 1 else f"{prefix}/page/{number}/"
        next_href = f"{prefix}/page/{number + 1}/" if number < len(pages) else None
        entries = [papermod_entry(t, t.lower().replace(" ", "-")) for t in titles]
        server.page(path, html_page(*entries, next_href=next_href), **reply)

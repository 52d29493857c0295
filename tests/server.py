"""A real HTTP server on 127.0.0.1 for tests: static files plus scripted routes.

Scripted routes answer with a sequence of ``Reply`` objects (the last one repeats),
so "503 then 200" or "429 with Retry-After" are one line in a test. Every request is
recorded (path, headers, client port) so tests can count what crossed the wire.
"""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


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


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    client_port: int
    at: float  # time.monotonic() when the request arrived


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

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

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
            if reply.stall and server.closing.wait(reply.stall):
                return
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
            if isinstance(reply.body, bytes) and reply.content_length:
                self.send_header("Content-Length", str(len(reply.body)))
            else:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            try:
                for chunk in chunks:
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client refused the rest: that is what some tests want

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


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

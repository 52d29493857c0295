"""``listing-archiver demo``: the whole pipeline on the bundled fixtures, offline.

The fixtures hold one PaperMod blog at two moments; between them two new posts push
every entry down, so posts move from page 2 to page 3 (the user's seeds, reproduced).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import listing_archiver
from archive.schema import open_archive
from scraper.fetch import Fetcher, FetchSettings

from .job import RunReport, scrape

MOMENTS = (
    ("earlier", "The listing as first archived"),
    ("later", "The same listing later, after two new posts pushed every entry down"),
)


def fixtures_dir() -> Path:
    """The bundled fixtures: inside the installed package, or beside it in a checkout."""
    package = Path(listing_archiver.__file__).parent
    for candidate in (package / "fixtures", package.parent / "fixtures"):
        if (candidate / "papermod").is_dir():
            return candidate
    raise FileNotFoundError("the bundled fixtures/ folder is missing from this installation")


class _SiteServer(ThreadingHTTPServer):
    """Serves ``root``, which may be swapped between requests: the site changes."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(("127.0.0.1", 0), _SiteHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _SiteHandler(SimpleHTTPRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: _SiteServer) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[_SiteServer]:
    """Serve ``root`` on a free loopback port for the duration of the block."""
    server = _SiteServer(root)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def run_demo(db_path: Path, echo: Callable[[str], None]) -> list[RunReport]:
    site = fixtures_dir() / "papermod"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = open_archive(str(db_path))
    reports = []
    with serve_directory(site / MOMENTS[0][0]) as server:
        url = server.url
        echo(f"Serving the bundled PaperMod sample blog at {url}\n")
        for number, (moment, caption) in enumerate(MOMENTS, 1):
            server.root = site / moment
            fetcher = Fetcher(FetchSettings(delay=0))
            report = scrape(db, url, source="veritable-demo", fetcher=fetcher)
            fetcher.close()
            reports.append(report)
            echo(f"Run {number}. {caption}:")
            echo(
                f"  {report.pages} pages fetched, {report.entries_seen} entries seen, "
                f"{report.new_posts} new posts, {report.duplicates_avoided} duplicates avoided"
            )
            if report.error:
                echo(f"  error: {report.error}")
    posts = db["posts"].count
    new_titles = [
        row["title"]
        for row in db.query(
            "select title from posts where first_run = ? order by date desc", [reports[-1].run_id]
        )
    ]
    db.close()
    echo("")
    if new_titles:
        echo("New in the last run: " + "; ".join(new_titles))
    echo(f"{db_path} holds {posts} posts, each stored once, and {len(reports)} runs.")
    echo(f"Browse it:  pip install datasette && datasette {db_path}")
    return reports

"""``listing-archiver demo``: the whole pipeline on the bundled fixtures, offline.

The fixtures hold one PaperMod blog at two moments; between them two new posts push
every entry down, so posts move from page 2 to page 3 (the user's seeds, reproduced).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import listing_archiver
from archive.schema import open_archive
from scraper.fetch import FetchSettings, Fetcher

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


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def serve_directory(root: Path) -> Iterator[tuple[str, Callable[[Path], None]]]:
    """Serve ``root`` on a free loopback port; yields the base URL and a way to swap
    the served folder, so one site can change between two scrapes."""
    state = {"root": root}

    def handler(*args: object) -> _QuietHandler:
        return partial(_QuietHandler, directory=str(state["root"]))(*args)

    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", partial(state.__setitem__, "root")
    finally:
        server.shutdown()
        server.server_close()


def run_demo(db_path: Path, echo: Callable[[str], None]) -> list[RunReport]:
    site = fixtures_dir() / "papermod"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    db = open_archive(str(db_path))
    reports = []
    with serve_directory(site / MOMENTS[0][0]) as (url, set_root):
        echo(f"Serving the bundled PaperMod sample blog at {url}\n")
        for number, (moment, caption) in enumerate(MOMENTS, 1):
            set_root(site / moment)
            fetcher = Fetcher(FetchSettings(delay=0))
            report = scrape(db, url, source="veritable-demo", fetcher=fetcher)
            fetcher.close()
            reports.append(report)
            echo(f"Run {number}. {caption}:")
            echo(f"  {report.pages} pages fetched, {report.entries_seen} entries seen, "
                 f"{report.new_posts} new posts, {report.duplicates_avoided} duplicates avoided")
            if report.error:
                echo(f"  error: {report.error}")
    posts = db["posts"].count
    new_titles = [row["title"] for row in db.query(
        "select title from posts where first_run = ? order by date desc", [reports[-1].run_id])]
    db.close()
    echo("")
    if new_titles:
        echo("New in the last run: " + "; ".join(new_titles))
    echo(f"{db_path} holds {posts} posts, each stored once, and {len(reports)} runs.")
    echo(f"Browse it:  pip install datasette && datasette {db_path}")
    return reports

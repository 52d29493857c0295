"""``listing-archiver demo``: the whole pipeline on the bundled fixtures, offline.

The fixtures hold one PaperMod blog at two moments; between them two new posts push
every entry down, so posts move from page 2 to page 3 (the user's seeds, reproduced).
Three runs show a first archive, an incremental run that stops at known posts, and an
unchanged run answered by one conditional request (304).

The demo writes like every writer: under the archive's lock, through ``open_archive``.
It replaces only an archive it made itself, which it knows by SQLite's
``application_id`` header field (meant for telling which program a database file
belongs to): the demo sets it to ``DEMO_APPLICATION_ID`` and nothing else does, so an
ordinary archive is never taken for a demo, whatever its sources are named. A source
name or a table would be weaker marks: a user may name a source anything, and any
archive has the same tables. A demo archive that has since recorded runs of another
source (``scrape demo.db URL``) holds the user's work, so it is refused too.

The site is served on a random free port, but its posts link to ``DEMO_SITE``, a fixed
address (``.example`` is reserved, RFC 2606): the URL the demo prints for ``history``
is the same in every demo archive, so a command copied from one demo still works after
the next. The listing's own pages stay on the local server, so the walk does too.
"""

from __future__ import annotations

import hashlib
import io
import shlex
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlite_utils import Database

import listing_archiver
from listing_archiver.archive.errors import ArchiveOccupied, NotAnArchive
from listing_archiver.archive.lock import archive_lock
from listing_archiver.archive.opening import inspect_archive, peek
from listing_archiver.archive.schema import open_archive
from listing_archiver.scraper.fetch import Fetcher, FetchSettings
from listing_archiver.scraper.robots import RobotsCache

from .invocation import program
from .job import STOP_REASONS, RunReport, scrape_source
from .serve import INSTALL_HINT, datasette_available
from .sources import Source
from .writer import SerialWriter

DEMO_APPLICATION_ID = 0x4C41444D  # "LADM": listing-archiver demo, in the file's header
DEMO_SOURCE = "veritable-demo"
DEMO_SITE = "https://veritable.example/"  # where the demo's posts link: no port in it
EDITED_POST = "post/mixed-precision-training/"  # the post the revised moment edits
RUNS = (  # (fixture moment, walk every page?, caption)
    ("earlier", False, "The listing as first archived"),
    ("later", False, "Later, two new posts have pushed every entry down a place or two"),
    ("later", False, "An hour on, nothing has changed"),
    ("revised", True, "A full walk after the author edited one post and deleted another"),
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
    """Static files; the listing's pages with their post links moved to ``DEMO_SITE`` and a
    content ETag, as a real site's server would send: the folder swap changes content but
    not file times, so Last-Modified would lie."""

    def __init__(self, request: Any, client_address: Any, server: _SiteServer) -> None:
        super().__init__(request, client_address, server, directory=str(server.root))

    def send_head(self) -> Any:
        path = Path(self.translate_path(self.path))
        file = path / "index.html" if path.is_dir() else path
        if not (file.is_file() and self.path.endswith(("/", ".html"))):
            return super().send_head()
        body = with_fixed_post_links(file.read_bytes())
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        return io.BytesIO(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def with_fixed_post_links(html: bytes) -> bytes:
    """The page with each root-relative post link made absolute under ``DEMO_SITE``."""
    return html.replace(b'href="/post/', f'href="{DEMO_SITE}post/'.encode())


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


def run_demo(db_path: Path, echo: Callable[[str], None], *, force: bool = False) -> list[RunReport]:
    """Make a fresh demo archive at ``db_path`` and run the demo into it, all under the
    archive's lock (``ArchiveBusy`` if another run holds it). An existing file there is
    replaced only if it is a previous demo archive, or with ``force``; otherwise
    ``ArchiveOccupied``, before anything is touched."""
    with archive_lock(db_path):
        if db_path.exists() or db_path.is_symlink():
            if not force:
                _refuse_unless_demo(db_path)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        db = open_archive(str(db_path))
        db.execute(f"pragma application_id = {DEMO_APPLICATION_ID}")
        return _run_all(db, db_path, echo)


def _refuse_unless_demo(db_path: Path) -> None:
    """``ArchiveOccupied`` unless ``db_path`` is an archive the demo made, untouched by
    other sources' runs; reads only, creating nothing beside the file."""
    what = _not_a_demo_archive(str(db_path))
    if what:
        raise ArchiveOccupied(
            str(db_path),
            f"{db_path} exists and the demo did not make it: {what}; choose another DB, "
            "or pass --force to replace it",
        )


def _not_a_demo_archive(path: str) -> str | None:
    """What the file is when it is not a demo archive; None when it is one."""
    try:
        found = inspect_archive(path)
    except NotAnArchive as exc:
        return f"it {exc.what}"
    if not found.is_archive:
        return "it is empty"
    if found.application_id != DEMO_APPLICATION_ID:
        return "it is a listing-archiver archive"
    with peek(path) as connection:
        assert connection is not None  # an archive has a file
        others = connection.execute(
            "select count(*) from runs where source != ?", [DEMO_SOURCE]
        ).fetchone()[0]
    return f"it holds {others} runs of other sources" if others else None


def _run_all(db: Database, db_path: Path, echo: Callable[[str], None]) -> list[RunReport]:
    site = fixtures_dir() / "papermod"
    writer = SerialWriter(db)
    reports = []
    with serve_directory(site / "earlier") as server:
        echo(
            f"Serving the bundled PaperMod sample blog at {server.url}"
            f" (its posts linked under {DEMO_SITE}, the same in every demo)\n"
        )
        source = Source(name=DEMO_SOURCE, url=server.url, delay=0)
        for number, (moment, full, caption) in enumerate(RUNS, 1):
            server.root = site / moment
            robots_fetcher = Fetcher(FetchSettings(delay=0))
            report = scrape_source(writer, source, full=full, robots=RobotsCache(robots_fetcher))
            robots_fetcher.close()
            reports.append(report)
            echo(f"Run {number}. {caption}:")
            echo(f"  {_counts(report)}")
            echo(
                f"  {report.mode} walk, stopped: {STOP_REASONS.get(report.stop_reason or '', '-')}"
            )
            if report.error:
                echo(f"  error: {report.error}")
    posts = db.table("posts").count
    current = db.execute("select count(*) from current_posts").fetchone()[0]
    db.close()
    echo(
        f"\n{db_path} holds {current} posts ({posts} versions), each version stored once, "
        f"and {len(reports)} runs."
    )
    _hints(db_path, echo)
    return reports


def _hints(db_path: Path, echo: Callable[[str], None]) -> None:
    """What to run next, as commands that work when pasted (``invocation``)."""
    command, db = program(), shlex.quote(str(db_path))
    echo(f"See an edit:  {command} history {db} {DEMO_SITE}{EDITED_POST}")
    echo(f"Browse it:    {command} serve {db}")
    if not datasette_available():
        echo(f"              needs Datasette: {INSTALL_HINT}")


def _counts(report: RunReport) -> str:
    text = (
        f"{report.pages_fetched} pages fetched, {report.not_modified} not modified, "
        f"{report.entries_seen} entries seen, {report.new_posts} new posts, "
    )
    if report.changed_posts or report.removed_posts:
        text += f"{report.changed_posts} changed, {report.removed_posts} removed, "
    return text + f"{report.duplicates_avoided} duplicates avoided"

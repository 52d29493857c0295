"""Browse an archive in Datasette, with the bundled metadata: descriptions, facets, search
and canned queries (``datasette_metadata.json``).

Datasette 0.65 keys a database's metadata by the file's stem (``archive.db`` → ``archive``),
so the JSON stores the per-database block under the placeholder key ``archive`` and
:func:`metadata_for` moves it to the real stem. The archive is served mutable (never
``--immutable``): scheduled runs keep writing to it, and Datasette reads it live.

Stopping: SIGINT, SIGTERM and SIGHUP to ``serve`` are passed on to Datasette (SIGHUP as
SIGTERM: uvicorn shuts down gracefully on SIGINT and SIGTERM only, and a SIGHUP would
kill it mid-request), which gets ``STOP_GRACE`` seconds before a SIGKILL; then the
metadata's temporary folder is removed. A clean stop exits 0, as gunicorn does, and
uvicorn did until it began re-raising the signal after its shutdown, and as systemd
counts a ``stop`` as success without a ``SuccessExitStatus=``: stopping is what a server
is asked to do, not a failure (a scrape cut short is another matter: 130 / 143). Only
a Datasette that had to be killed gives 128 + the signal (130, 143, 129). Datasette runs
in its own process group, so a Ctrl-C on the terminal reaches it once, through ``serve``,
rather than twice (a second SIGINT makes uvicorn skip its graceful shutdown).
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from types import FrameType
from typing import Any

METADATA_FILE = "datasette_metadata.json"
PLACEHOLDER_DATABASE = "archive"  # the database key in METADATA_FILE
# The pin of pyproject's `datasette` extra; named directly, since a clone is not on PyPI.
INSTALL_HINT = "pip install 'datasette==0.65.5' (in a checkout: pip install '.[datasette]')"
STOP_GRACE = 5.0  # seconds Datasette gets to stop after a signal, then SIGKILL
# What serve passes on for each signal it stops on (see the module docstring).
FORWARDED = {signal.SIGINT: signal.SIGINT, signal.SIGTERM: signal.SIGTERM}
if hasattr(signal, "SIGHUP"):  # not on Windows
    FORWARDED[signal.SIGHUP] = signal.SIGTERM

# Datasette settings: the archive changes under the browser, so no HTTP caching; more
# time for a user's own SQL. No suggested facets: Datasette would try a facet on every
# column of every page shown (some 40 queries over the whole table, each up to its time
# limit, on 3 SQL threads), which at a million posts cost more than the page itself;
# the metadata's facets (source, author, year) and "Facet by this" remain.
SETTINGS = {
    "sql_time_limit_ms": "3000",
    "facet_time_limit_ms": "1000",
    "default_cache_ttl": "0",
    # Long text (excerpts) cut in tables and query results; a row's own page shows it all.
    "truncate_cells_html": "140",
    # No "suggested facets" line: room for rows on the first screen, and no guessing
    # queries (some 40 whole-table queries a page view: 865 ms at 10k posts).
    "suggest_facets": "off",
}


class DatasetteMissing(RuntimeError):
    """Datasette is not installed in this environment."""


def datasette_available() -> bool:
    """Whether ``python -m datasette`` can run with this interpreter."""
    return importlib.util.find_spec("datasette") is not None


def metadata_for(db_path: Path) -> dict[str, Any]:
    """The bundled metadata, its database block keyed by ``db_path``'s stem as Datasette is,
    and its links (``href="archive/…"``, relative: right under any ``base_url``) made to
    point at that database."""
    text = files("listing_archiver").joinpath(METADATA_FILE).read_text("utf-8")
    link = f'href=\\"{PLACEHOLDER_DATABASE}/'
    text = text.replace(link, f'href=\\"{database_path(db_path.stem)}/')
    metadata: dict[str, Any] = json.loads(text)
    databases: dict[str, Any] = metadata.get("databases", {})
    metadata["databases"] = {db_path.stem: databases.get(PLACEHOLDER_DATABASE, {})}
    return metadata


def database_path(name: str) -> str:
    """A database's name as Datasette puts it in URLs: "tilde encoding" (``~`` and two hex
    digits for each byte but letters, digits, ``_`` and ``-``; ``+`` for a space)."""
    encoded = []
    for byte in name.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in "_-"):
            encoded.append(char)
        else:
            encoded.append("+" if char == " " else f"~{byte:02X}")
    return "".join(encoded)


def datasette_command(
    db_path: Path,
    metadata_path: Path,
    port: int,
    host: str = "127.0.0.1",
    extra: Sequence[str] = (),
) -> list[str]:
    """The ``datasette serve`` command line (mutable: the archive is read live). ``extra``
    (the user's own Datasette options) comes last, so a ``--setting`` of the user's
    overrides ours of the same name, as Datasette keeps the last one given."""
    command = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(db_path),
        "--metadata",
        str(metadata_path),
        "--host",
        host,
        "--port",
        str(port),
    ]
    for name, value in SETTINGS.items():
        command += ["--setting", name, value]
    return [*command, *extra]


def serve(
    db_path: Path, port: int = 8001, *, host: str = "127.0.0.1", extra: Sequence[str] = ()
) -> int:
    """Run Datasette on ``db_path`` at http://``host``:``port``/ in the foreground, with
    ``extra`` options of the user's passed on to it.

    Returns Datasette's exit code; a signal stops it (module docstring) and returns 0
    when it shut down cleanly, 128 + the signal when it had to be killed. Raises
    :class:`DatasetteMissing` or :class:`FileNotFoundError` first."""
    if not datasette_available():
        raise DatasetteMissing(f"Datasette is not installed; install it with `{INSTALL_HINT}`.")
    if not db_path.is_file():
        raise FileNotFoundError(
            f"No archive at {db_path}: check the path, or create one with a first "
            "`listing-archiver` run."
        )
    with tempfile.TemporaryDirectory(prefix="listing-archiver-") as tmp:
        metadata_path = Path(tmp) / "metadata.json"
        metadata_path.write_text(json.dumps(metadata_for(db_path), indent=2), "utf-8")
        command = datasette_command(db_path, metadata_path, port, host, extra)
        process = subprocess.Popen(command, process_group=0)
        stopper = Stopper(process)
        try:
            with stopper.installed():
                return stopper.wait()
        finally:
            if process.poll() is None:  # an exception in serve itself: leave no orphan
                process.kill()
                process.wait()


class Stopper:
    """Passes the stopping signals on to ``process`` and decides the exit code.

    The first signal is forwarded and a timer kills the process if it has not ended
    ``grace`` seconds later; a second signal kills it at once. ``wait`` just waits for
    the process, so nothing polls while Datasette serves."""

    def __init__(self, process: subprocess.Popen[bytes], grace: float | None = None) -> None:
        self.process = process
        self.grace = STOP_GRACE if grace is None else grace
        self.signal: signal.Signals | None = None  # the first signal received
        self.killed = False
        # Re-entrant: a second signal may arrive while the first one's handler holds it.
        self._lock = threading.RLock()
        self._timer: threading.Timer | None = None

    def forward(self, signum: int, frame: FrameType | None = None) -> None:
        """The signal handler (on the main thread, so it must not block)."""
        sig = signal.Signals(signum)
        if self.signal is not None:
            self._kill()
            return
        self.signal = sig
        self._send(FORWARDED.get(sig, sig))
        self._timer = threading.Timer(self.grace, self._kill)
        self._timer.daemon = True
        self._timer.start()

    def wait(self) -> int:
        code = self.process.wait()
        if self._timer is not None:
            self._timer.cancel()
        if self.signal is None:  # Datasette ended by itself: its own exit code
            return code
        return 128 + int(self.signal) if self.killed else 0

    @contextmanager
    def installed(self) -> Iterator[None]:
        previous = {sig: signal.signal(sig, self.forward) for sig in FORWARDED}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _send(self, sig: signal.Signals) -> None:
        with self._lock:
            if self.process.returncode is None:
                self.process.send_signal(sig)

    def _kill(self) -> None:
        with self._lock:
            if self.process.poll() is None:
                self.killed = True
                self.process.kill()

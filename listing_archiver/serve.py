"""Browse an archive in Datasette, with the bundled metadata: descriptions, facets, search
and canned queries (``datasette_metadata.json``).

Datasette 0.65 keys a database's metadata by the file's stem (``archive.db`` → ``archive``),
so the JSON stores the per-database block under the placeholder key ``archive`` and
:func:`metadata_for` moves it to the real stem. The archive is served mutable (never
``--immutable``): scheduled runs keep writing to it, and Datasette reads it live.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from importlib.resources import files
from pathlib import Path
from typing import Any

METADATA_FILE = "datasette_metadata.json"
PLACEHOLDER_DATABASE = "archive"  # the database key in METADATA_FILE
# The pin of pyproject's `datasette` extra; named directly, since a clone is not on PyPI.
INSTALL_HINT = "pip install 'datasette==0.65.5' (in a checkout: pip install '.[datasette]')"
EXIT_INTERRUPTED = 130  # Ctrl-C that Datasette did not shut down cleanly from
STOP_GRACE = 5.0  # seconds Datasette gets to stop after Ctrl-C, then SIGTERM, then SIGKILL

# Datasette settings: a view over every version is slower than a table, and the archive
# changes under the browser, so: more time for queries and facets, no HTTP caching.
SETTINGS = {
    "sql_time_limit_ms": "3000",
    "facet_time_limit_ms": "1000",
    "default_cache_ttl": "0",
}


class DatasetteMissing(RuntimeError):
    """Datasette is not installed in this environment."""


class NotAnArchive(ValueError):
    """The file is not an archive Datasette can browse: corrupt, or not this tool's."""


def datasette_available() -> bool:
    """Whether ``python -m datasette`` can run with this interpreter."""
    return importlib.util.find_spec("datasette") is not None


def metadata_for(db_path: Path) -> dict[str, Any]:
    """The bundled metadata, its database block keyed by ``db_path``'s stem as Datasette is."""
    text = files("listing_archiver").joinpath(METADATA_FILE).read_text("utf-8")
    metadata: dict[str, Any] = json.loads(text)
    databases: dict[str, Any] = metadata.get("databases", {})
    metadata["databases"] = {db_path.stem: databases.get(PLACEHOLDER_DATABASE, {})}
    return metadata


def datasette_command(
    db_path: Path, metadata_path: Path, port: int, host: str = "127.0.0.1"
) -> list[str]:
    """The ``datasette serve`` command line (mutable: the archive is read live)."""
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
    return command


def serve(db_path: Path, port: int = 8001) -> int:
    """Run Datasette on ``db_path`` at http://127.0.0.1:``port``/ in the foreground.

    Returns Datasette's exit code; Ctrl-C stops it and returns 0 when it shut down
    cleanly. Raises :class:`DatasetteMissing` or :class:`FileNotFoundError` first."""
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
        process = subprocess.Popen(datasette_command(db_path, metadata_path, port))
        try:
            return process.wait()
        except KeyboardInterrupt:
            return _stop(process)
        finally:
            if process.poll() is None:  # a second Ctrl-C during the grace period
                process.kill()
                process.wait()


def _stop(process: subprocess.Popen[bytes]) -> int:
    """After Ctrl-C: Datasette (same terminal) got SIGINT too; give it time, then insist."""
    try:
        code = process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            code = process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
    return 0 if code == 0 else EXIT_INTERRUPTED


def check_archive(db_path: Path) -> None:
    """Raise :class:`NotAnArchive` unless ``db_path`` opens read-only as an archive with a
    ``posts`` table: checked before Datasette starts, so a corrupt or foreign file is one
    line rather than Datasette's traceback. Read-only, so the check never creates, migrates
    or locks anything a scheduled run is writing."""
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    try:
        with closing(sqlite3.connect(uri, uri=True)) as conn:
            conn.execute("select count(*) from sqlite_master").fetchone()
            posts = conn.execute(
                "select 1 from sqlite_master where type = 'table' and name = 'posts'"
            ).fetchone()
    except sqlite3.Error as exc:  # "file is not a database", "database disk image is malformed"
        raise NotAnArchive(f"{db_path} is not a valid archive: {exc}") from None
    if posts is None:
        raise NotAnArchive(f"{db_path} is not a listing-archiver archive: it has no posts table")

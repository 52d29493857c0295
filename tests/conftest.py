from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from listing_archiver.scraper.fetch import Fetcher, FetchSettings

from .scrape_process import Scrapes
from .server import TestServer

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "fixtures"
SHARED = ROOT.parent / "shared"

# Fast settings for tests: no politeness pause, millisecond backoff, short timeouts.
FAST = FetchSettings(
    delay=0,
    backoff_initial=0.01,
    backoff_max=0.05,
    backoff_jitter=0,
    connect_timeout=2,
    read_timeout=2,
)


@pytest.fixture
def server() -> Iterator[TestServer]:
    srv = TestServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def site() -> Iterator[TestServer]:
    """The bundled PaperMod blog as it was at the earlier moment; swap ``root`` to move on."""
    srv = TestServer(FIXTURES / "papermod" / "earlier").start()
    yield srv
    srv.stop()


@pytest.fixture
def scrapes(tmp_path: Path) -> Iterator[Scrapes]:
    """``listing-archiver scrape`` subprocesses, killed at teardown if still running."""
    runner = Scrapes(tmp_path)
    yield runner
    runner.stop_all()


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    f = Fetcher(FAST)
    yield f
    f.close()


def shared_file(*parts: str) -> Path:
    """A file in ../shared, or a clean skip where the folder is absent (a user's clone)."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is not present (../shared/ is only next to the project's own clone)")
    return path


def read_seed(path: Path) -> list[dict[str, str]]:
    """Entries of a seed text dump: title, excerpt blocks, then "Month D, YYYY · Author"."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", path.read_text("utf-8")) if b.strip()]
    entries, current = [], []
    for block in blocks:
        meta = re.match(r"^(\w+ \d{1,2}, \d{4})\s*·\s*(.+)$", block)
        if meta:
            entries.append(
                {
                    "title": current[0],
                    "excerpt": " ".join(current[1:]),
                    "date": meta.group(1),
                    "author": meta.group(2),
                }
            )
            current = []
        else:
            current.append(block)
    return entries

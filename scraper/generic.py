"""The generic extractor: a listing's entries found without a profile (stub)."""

from __future__ import annotations

from datetime import datetime

from bs4 import BeautifulSoup

from .records import Entry


def extract_generic(
    soup: BeautifulSoup, page_url: str, fetched_at: datetime | None = None
) -> tuple[str, list[Entry]]:
    return "generic", []

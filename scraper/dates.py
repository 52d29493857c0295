"""Dates as the listing shows them, as ISO ``YYYY-MM-DD``."""

from __future__ import annotations

import re
from datetime import datetime

from bs4.element import Tag
from dateutil import parser as dateparser

from .text import clean_text

MACHINE_DATE_ATTRS = ("datetime", "content", "title")
ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


def extract_date(
    element: Tag | None, *, fetched_at: datetime | None = None, date_format: str | None = None
) -> str | None:
    """The calendar date written in a machine-readable attribute (the date the listing
    shows, whatever the time zone), else parsed from the element's visible text."""
    if element is None:
        return None
    for attr in MACHINE_DATE_ATTRS:
        value = element.get(attr)
        if isinstance(value, str) and (match := ISO_DATE.match(value)):
            return "-".join(match.groups())
    text = clean_text(element)
    return parse_date_text(text, fetched_at=fetched_at, date_format=date_format) if text else None


def parse_date_text(
    text: str, *, fetched_at: datetime | None = None, date_format: str | None = None
) -> str | None:
    if date_format:
        try:
            return datetime.strptime(text.strip(), date_format).date().isoformat()
        except ValueError:
            return None
    try:
        parsed = dateparser.parse(text, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        return None
    return parsed.date().isoformat() if parsed else None

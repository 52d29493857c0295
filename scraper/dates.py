"""Dates as the listing shows them, as ISO ``YYYY-MM-DD``.

Order of evidence, most reliable first:

1. A machine-readable attribute (``datetime``, ``content``, ``title``) on the matched
   element, then on a ``<time>`` nested inside it (themes wrap one). Only ISO 8601,
   Hugo's ``2006-01-02 15:04:05 -0700 MST``, RFC 2822 and compact ``YYYYMMDD`` values
   count; anything else in those attributes (a ``title`` reading "Permalink to …") is
   ignored. The date is the one *written*, never converted to UTC: a post listed as
   ``2021-03-18T23:30:00-05:00`` is shown to readers as March 18.
2. The visible text, tried as a profile's ``date_format`` first (exactly, by strptime),
   then by the rules below. Text is split into segments at the separators footers use
   ("18 Mar 2021 · 5 min read · Ann"), and the first segment holding a date wins.
   a. Numeric and English month-name dates by regular expression: no dateparser, so the
      common case costs microseconds and numeric day/month order is ours to decide.
   b. Everything else (month names in other languages, "3 days ago", "vor 3 Tagen",
      "3日前", year-less "March 18") through dateparser, whose answer is accepted only
      if its English translation reads as a calendar date (a month name and a day) or
      as a past relative date ("N units ago"). That check is what stops "5 min read",
      "Chapter 12" or "Tuesday" from becoming dates.

Numeric day/month order, when both numbers could be either: year first is always
year-month-day; dots are day first (the US, the only month-first country, does not
write dates with dots); slashes and dashes are month first unless a ``date_format``
puts ``%d`` before ``%m`` or the page declares a language other than US English
(``lang`` on the element or an ancestor), then day first. A number over 12 settles
the order whatever the rule. A two-digit year is read only when the date stands alone
in its segment ("03/04/21"), since "Version 2.10.12" is not a date.

Relative dates are resolved against ``fetched_at`` (naive means UTC; default now) and
give the calendar date in UTC. Year-less dates are the most recent such day not after
``fetched_at``. Years outside 1900–2199 are not listing dates (Hugo writes 0001-01-01
for "no date"). Nothing here raises on odd input: it returns None.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .select import LxmlElement, is_lxml
from .text import clean_text

if TYPE_CHECKING:
    from bs4.element import Tag

MACHINE_DATE_ATTRS = ("datetime", "content", "title")
# Languages dateparser may read visible text in. Every language added is more words
# that can be mistaken for a date ("more" is "tomorrow" in Afrikaans, "to" Thursday in
# Finnish), so this is the languages listings are archived in, not all 200.
LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl", "ru", "ja", "zh", "ko")
MIN_YEAR, MAX_YEAR = 1900, 2199
# Date elements are short; a longer text is a whole block, where the first 300
# characters are where a date would be and scanning further only finds wrong ones.
MAX_TEXT = 300
# dateparser is offered the segment, then the segment without its first word, and so
# on, since a known word before the date ("am", "on") stops it from reading the rest.
MAX_LEADING_WORDS = 6

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_EN_MONTH = (
    r"(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"

# Machine-readable values, matched from the start of the attribute.
_ISO_VALUE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})(?=[Tt ]\d{1,2}:\d{2}|\s*$)")
_COMPACT_VALUE = re.compile(r"\s*(\d{4})(\d{2})(\d{2})(?=T\d{2}|\s*$)")
_RFC2822_VALUE = re.compile(
    r"\s*(?:[A-Za-z]{3},?\s+)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})(?=\s+\d{1,2}:\d{2}|\s*$)"
)

# Visible text without dateparser.
_SEGMENT_SEPARATORS = re.compile(r"\s*[·•|‧∙⋅]\s*|\s+[-–—/]\s+")
_YEAR_FIRST = re.compile(
    r"(?<![\w./-])(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d)"
)
_CJK_DATE = re.compile(
    r"(?P<year>\d{4})\s*[年년]\s*(?P<month>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})(?!\d)"
)
_CJK_YEARLESS = re.compile(r"(?<!\d)(?P<month>\d{1,2})\s*[月월]\s*(?P<day>\d{1,2})\s*[日일]")
_NUMERIC = re.compile(
    r"(?<![\w./-])(?P<first>\d{1,2})(?P<sep>[-/.])(?P<second>\d{1,2})(?P=sep)"
    r"(?P<year>\d{4}|\d{2})(?!\.?\d)"
)
_TRAILING_TIME = re.compile(r"\.?,?\s*(?:\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?)?\s*$", re.I)
_EN_MONTH_FIRST = re.compile(
    rf"\b{_EN_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})(?!\d)", re.I
)
_EN_DAY_FIRST = re.compile(
    rf"(?<!\d)(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+{_EN_MONTH},?\s+(?P<year>\d{{4}})(?!\d)",
    re.I,
)

# dateparser's answers, judged by its English translation of the text.
_RELATIVE_TRANSLATION = re.compile(
    r"(?:\d+(?:[.,]\d+)?\s*(?:century|decade|fortnight|year|month|week|day|hour|minute|second)"
    r"s?[\s,]*(?:and\s+)?)+ago(?:\s+(?:at\s+)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]m)?)?"
)
_MONTH_TRANSLATION = re.compile(
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november"
    r"|december)\b"
)
_DAY_NUMBER = re.compile(r"(?<![\d:])\d{1,2}(?![\d:])")


def extract_date(
    element: Tag | LxmlElement | None,
    *,
    fetched_at: datetime | None = None,
    date_format: str | None = None,
) -> str | None:
    """The calendar date the listing shows for ``element`` (a BeautifulSoup tag or an
    lxml element): a machine-readable attribute on it or on a ``<time>`` inside it first
    (exact and cheap), else its visible text."""
    if element is None:
        return None
    try:
        found = _machine_date(element)
        if found is None and (inner := _nested_time(element)) is not None:
            found = _machine_date(inner)
        if found is not None:
            return found.isoformat()
        text = clean_text(element)
        if not text:
            return None
        visible = _visible_date(text, _utc(fetched_at), date_format, _page_language(element))
    except Exception:  # odd markup or a parser bug must not lose the rest of the entry
        return None
    return visible.isoformat() if visible else None


def parse_date_text(
    text: str, *, fetched_at: datetime | None = None, date_format: str | None = None
) -> str | None:
    """The calendar date written in ``text``, by the rules in this module's docstring.
    Without a page to say otherwise, ambiguous slash/dash dates are month first."""
    try:
        if not isinstance(text, str):
            return None
        found = _visible_date(text, _utc(fetched_at), date_format, None)
    except Exception:  # never raise on odd input; a missing date is an answer
        return None
    return found.isoformat() if found else None


def _machine_date(tag: Tag | LxmlElement) -> date | None:
    """The date written in the first machine-readable attribute that holds one."""
    for attr in MACHINE_DATE_ATTRS:
        value = tag.get(attr)
        if isinstance(value, str) and (found := _machine_value(value)):
            return found
    return None


def _nested_time(element: Tag | LxmlElement) -> Tag | LxmlElement | None:
    """The first ``<time>`` inside ``element``: a plain walk, several times faster than
    ``find("time")``, which matters since this runs for every entry."""
    if is_lxml(element):
        return next(element.iterdescendants("time"), None)
    from bs4.element import Tag

    for node in element.descendants:
        if isinstance(node, Tag) and node.name == "time":
            return node
    return None


def _machine_value(value: str) -> date | None:
    """ISO 8601 (any time or zone after it), Hugo, compact or RFC 2822: the date as
    written. Values that are not one of these are not dates to us."""
    if match := _ISO_VALUE.match(value) or _COMPACT_VALUE.match(value):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := _RFC2822_VALUE.match(value):
        month = _MONTHS.get(match[2].lower())
        return _date(int(match[3]), month, int(match[1])) if month else None
    return None


def _visible_date(
    text: str, base: datetime, date_format: str | None, language: str | None
) -> date | None:
    text = " ".join(text[:MAX_TEXT].split())
    if not text:
        return None
    if date_format:
        found = _strict_date(text, date_format, base.date())
        if found is not None:
            return found
    day_first = _day_first(date_format, language)
    segments = [s for s in _SEGMENT_SEPARATORS.split(text) if s]
    for segment in segments:  # cheap, exact readings everywhere before guessing anywhere
        found = _pattern_date(segment, day_first, base.date())
        if found is not None:
            return found
    for segment in segments:
        found = _dateparser_date(segment, base)
        if found is not None:
            return found
    return None


def _strict_date(text: str, date_format: str, today: date) -> date | None:
    """``text`` read exactly as ``date_format``. A format without a year is given one
    (a leap year, so "Feb 29" parses) and the year is then chosen as for any year-less
    date; a format without a day of the month is not a calendar date."""
    directives = set(re.findall(r"%(.)", date_format))
    if not directives & {"d", "j", "c", "x"}:
        return None
    has_year = bool(directives & {"Y", "y", "G", "c", "x"})
    try:
        if has_year:
            parsed = datetime.strptime(text, date_format)
        else:
            parsed = datetime.strptime(f"{text} 2000", f"{date_format} %Y")
    except ValueError:
        return None
    if has_year:
        return _date(parsed.year, parsed.month, parsed.day)
    return _most_recent(parsed.month, parsed.day, today)


def _pattern_date(segment: str, day_first: bool, today: date) -> date | None:
    """Numeric, CJK and English month-name dates: the earliest one in the segment."""
    best: tuple[int, date] | None = None

    def offer(start: int, found: date | None) -> None:
        nonlocal best
        if found is not None and (best is None or start < best[0]):
            best = (start, found)

    for pattern in (_YEAR_FIRST, _CJK_DATE, _EN_MONTH_FIRST, _EN_DAY_FIRST):
        if match := pattern.search(segment):
            month = match["month"]
            number = int(month) if month.isdigit() else _MONTHS[month[:3].lower()]
            offer(match.start(), _date(int(match["year"]), number, int(match["day"])))
    if match := _CJK_YEARLESS.search(segment):
        offer(match.start(), _most_recent(int(match["month"]), int(match["day"]), today))
    if match := _NUMERIC.search(segment):
        offer(match.start(), _numeric_date(match, segment, day_first))
    return best[1] if best else None


def _numeric_date(match: re.Match[str], segment: str, day_first: bool) -> date | None:
    """d/m/y or m/d/y by the order rules; a reading that is no date yields to the other."""
    year_text = match["year"]
    if len(year_text) == 2:
        alone = match.start() == 0 and _TRAILING_TIME.fullmatch(segment, match.end())
        if not alone:
            return None
        year = int(year_text) + (1900 if int(year_text) >= 69 else 2000)  # as strptime %y
    else:
        year = int(year_text)
    first, second = int(match["first"]), int(match["second"])
    day_first = day_first or match["sep"] == "."
    readings = (
        ((second, first), (first, second)) if day_first else ((first, second), (second, first))
    )
    for month, day in readings:
        if found := _date(year, month, day):
            return found
    return None


def _dateparser_date(segment: str, base: datetime) -> date | None:
    """dateparser on the segment and on it less its leading words, accepting only what
    reads as a calendar date or a past relative date."""
    words = segment.split()
    for start in range(min(len(words), MAX_LEADING_WORDS)):
        candidate = " ".join(words[start:])
        if found := _accepted(candidate, base):
            return found
    return None


def _accepted(candidate: str, base: datetime) -> date | None:
    parser, settings, loader = _dateparser_for(base)
    data = parser.get_date_data(candidate)
    parsed, locale = data.date_obj, data.locale
    if not isinstance(parsed, datetime) or not isinstance(locale, str):
        return None
    parts = set(data.parts or ())
    translation = loader.get_locale(locale).translate(
        candidate, settings=settings, ignore_surrounding_text=True
    )
    translation = " ".join(str(translation).lower().split()).strip(" .,:;")
    if _RELATIVE_TRANSLATION.fullmatch(translation):
        return _date(parsed.year, parsed.month, parsed.day)  # base is UTC, so is this
    if not (
        {"day", "month"} <= parts
        and _MONTH_TRANSLATION.search(translation)
        and _DAY_NUMBER.search(translation)
    ):
        return None  # a weekday, a time, a month or year alone, a bare number
    if "year" in parts:
        return _date(parsed.year, parsed.month, parsed.day)
    return _most_recent(parsed.month, parsed.day, base.date())


@lru_cache(maxsize=16)
def _dateparser_for(base: datetime) -> tuple[Any, Any, Any]:
    """A parser per fetch time (one per page, shared by its entries), created on first
    need: importing dateparser costs ~0.1 s and most dates never need it.

    ``TIMEZONE: local`` with an aware UTC ``RELATIVE_BASE`` is deliberate: relative
    dates are computed from the UTC base, and a date written with a zone keeps the
    date written ("18 mars 2021 23:30 UTC-5" is the 18th) instead of being converted;
    results come back naive, so the machine's own zone never shows.

    Needs dateparser 1.5: ``DateData.parts`` (what the text itself fixed, so "March"
    alone is told from "March 18") is new there, ``IGNORE_SURROUNDING_TEXT`` in 1.4.2."""
    import dateparser.conf  # type: ignore[import-untyped]
    from dateparser.date import DateDataParser  # type: ignore[import-untyped]
    from dateparser.languages.loader import default_loader  # type: ignore[import-untyped]

    options: dict[str, Any] = {
        "RELATIVE_BASE": base,
        "TIMEZONE": "local",
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DATES_FROM": "past",
        "IGNORE_SURROUNDING_TEXT": True,
        "PARSERS": ["relative-time", "absolute-time"],  # no Unix timestamps in prose
    }
    settings = dateparser.conf.settings.replace(mod_settings=options, **options)
    return DateDataParser(languages=list(LANGUAGES), settings=settings), settings, default_loader


def _date(year: int, month: int, day: int) -> date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _most_recent(month: int, day: int, today: date) -> date | None:
    """The latest ``month``/``day`` on or before ``today`` (Feb 29: the last leap year)."""
    for year in range(today.year, today.year - 9, -1):
        found = _date(year, month, day)
        if found is not None and found <= today:
            return found
    return None


def _utc(fetched_at: datetime | None) -> datetime:
    """The fetch time as an aware UTC datetime; naive means UTC already."""
    if fetched_at is None:
        return datetime.now(UTC)
    if fetched_at.tzinfo is None:
        return fetched_at.replace(tzinfo=UTC)
    return fetched_at.astimezone(UTC)


def _day_first(date_format: str | None, language: str | None) -> bool:
    """Ambiguous slash/dash dates: the source's format decides, else the page language
    (day first except in US English), else month first."""
    if date_format and "%d" in date_format and "%m" in date_format:
        return date_format.index("%d") < date_format.index("%m")
    if not language:
        return False
    primary, _, region = language.strip().lower().replace("_", "-").partition("-")
    return not (primary == "en" and region in ("", "us"))


def _page_language(element: Tag | LxmlElement) -> str | None:
    """The nearest declared ``lang`` (or ``xml:lang``) of the element or an ancestor."""
    node: Tag | LxmlElement | None = element
    while node is not None:
        value = node.get("lang") or node.get("xml:lang")
        if isinstance(value, str) and value.strip():
            return value
        node = node.getparent() if is_lxml(node) else node.parent
    return None

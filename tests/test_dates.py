"""Dates as the listing shows them: machine-readable attributes, visible text in many
formats and languages, relative and year-less dates, and what is not a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from bs4 import BeautifulSoup
from bs4.element import Tag

import listing_archiver.scraper.dates as dates_module
from listing_archiver.scraper.dates import extract_date, parse_date_text

# Friday 10 May 2024, noon UTC: relative and year-less dates below are read against it.
FETCHED = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)


def element(html: str, selector: str = ".d") -> Tag:
    tag = BeautifulSoup(html, "lxml").select_one(selector)
    assert tag is not None, html
    return tag


def text_date(text: str, **kwargs: object) -> str | None:
    return parse_date_text(text, fetched_at=FETCHED, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        # The date written, not the UTC date: late evening west of UTC, early morning east.
        ('<time class="d" datetime="2021-03-18T23:30:00-05:00">x</time>', "2021-03-18"),
        ('<time class="d" datetime="2021-03-18T01:30:00+09:00">x</time>', "2021-03-18"),
        ('<time class="d" datetime="2021-03-18T23:30:00.123Z">x</time>', "2021-03-18"),
        ('<time class="d" datetime="2021-03-18T23:30">x</time>', "2021-03-18"),
        ('<time class="d" datetime="2021-03-18">x</time>', "2021-03-18"),
        ('<span class="d" title="2021-03-18 00:00:00 +0000 UTC">x</span>', "2021-03-18"),  # Hugo
        ('<span class="d" title="2021-03-18 23:30:00 -0500 EST">x</span>', "2021-03-18"),
        ('<meta class="d" itemprop="datePublished" content="2021-03-18">', "2021-03-18"),
        ('<meta class="d" content="20210318">', "2021-03-18"),
        ('<meta class="d" content="20210318T233000Z">', "2021-03-18"),
        ('<abbr class="d" title="Thu, 18 Mar 2021 23:30:00 -0500">x</abbr>', "2021-03-18"),
        ('<abbr class="d" title="18 Mar 2021 23:30:00 +0900">x</abbr>', "2021-03-18"),
    ],
)
def test_machine_readable_attribute_gives_the_date_as_written(html, expected):
    assert extract_date(element(html), fetched_at=FETCHED) == expected


def test_machine_readable_attribute_wins_over_the_visible_text():
    tag = element('<time class="d" datetime="2021-03-18T09:00:00Z">3 days ago</time>')
    assert extract_date(tag, fetched_at=FETCHED) == "2021-03-18"


@pytest.mark.parametrize(
    "attribute",
    [
        'title="Permalink to Hello World"',
        'title="Posted by Ann"',
        'datetime="2021-03"',  # a month: valid HTML, not a calendar date
        'datetime="PT5M"',  # a duration: valid HTML for <time>
        'datetime="23:30"',
        'title="0001-01-01 00:00:00 +0000 UTC"',  # Hugo's zero date: no date set
        'content="12345678"',  # eight digits that are no date
        'title="2021-03-18-hello-world"',  # a slug, not a date
        'datetime="2021-02-30"',
    ],
)
def test_attribute_that_is_not_a_date_is_ignored_and_the_text_read(attribute):
    tag = element(f'<time class="d" {attribute}>March 9, 2021</time>')
    assert extract_date(tag, fetched_at=FETCHED) == "2021-03-09"


@pytest.mark.parametrize(
    "html",
    [
        '<a class="d" title="Permalink to Hello" href="/p/">'
        '<time datetime="2021-03-18T23:30:00-05:00">18 mars</time></a>',
        '<span class="d"><i class="icon-calendar"></i> Posted '
        '<time datetime="2021-03-18">3 years ago</time> by Ann</span>',
        '<div class="d"><span>Ann</span><time title="2021-03-18 00:00:00 +0000 UTC">x</time></div>',
    ],
)
def test_time_element_nested_inside_the_matched_element_counts(html):
    assert extract_date(element(html), fetched_at=FETCHED) == "2021-03-18"


@pytest.mark.parametrize(
    "text",
    [
        "March 18, 2021",
        "18 Mar 2021",
        "Mar 18th, 2021",
        "Mar. 18, 2021",
        "Mar 18 2021",
        "18th of March, 2021",
        "Thursday, March 18, 2021",
        "MARCH 18 2021",
        "2021/03/18",
        "2021-03-18",
        "2021.03.18",
        "18.03.2021",
        "18-03-2021",
        "3/18/2021",
        "March 18, 2021 11:30 PM EST",  # a zone after the date does not move it
    ],
)
def test_english_and_numeric_formats(text):
    assert text_date(text) == "2021-03-18"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("de", "18. März 2021"),
        ("de", "Donnerstag, 18. März 2021"),
        ("fr", "18 mars 2021"),
        ("fr", "jeudi 18 mars 2021"),
        ("es", "18 de marzo de 2021"),
        ("es", "18 de marzo, 2021"),
        ("it", "18 marzo 2021"),
        ("pt", "18 de março de 2021"),
        ("nl", "18 maart 2021"),
        ("ru", "18 марта 2021"),
        ("ru", "18 марта 2021 г."),
        ("ja", "2021年3月18日"),
        ("ja", "２０２１年３月１８日"),  # full-width digits
        ("zh", "2021年3月18日 10:30"),
        ("ko", "2021년 3월 18일"),
        ("fr", "18 mars 2021 23:30 UTC-5"),  # the date written, not converted to UTC
    ],
)
def test_dates_in_other_languages(language, text):
    assert text_date(text) == "2021-03-18", language


@pytest.mark.parametrize(
    "text",
    [
        "Posted on March 18, 2021 by Ann",
        "Updated: 18 Mar 2021 · 5 min read",
        "5 min read · 18 Mar 2021 · 1000 words · Ann",
        "March 18, 2021\u00a0·\u00a0Ceshine Lee",
        "Ann | 18.03.2021 | 3 Comments",
        "Veröffentlicht am 18. März 2021",
        "18. März 2021 um 10:30 Uhr",
        "Publié le 18 mars 2021 par Ann",
        "Pubblicato il 18 marzo 2021",
        "投稿日: 2021年3月18日",
    ],
)
def test_date_is_found_among_the_words_around_it(text):
    assert text_date(text) == "2021-03-18"


@pytest.mark.parametrize(
    "text",
    [
        "5 min read",
        "5 min",
        "Chapter 12",
        "Version 2.3",
        "Version 2.10.12",
        "12 Comments",
        "12",
        "1616025600",  # a Unix time is not something a listing shows
        "10:30",
        "Tuesday",  # a weekday alone is not a calendar date
        "Mon",
        "Mar 2021",  # a month is not a calendar date
        "2021",
        "Permalink to Hello World",
        "Read more",
        "by Ann",
        "in 3 days",  # listings show the past
        "tomorrow",
        "February 30, 2021",
        "2021-02-30",
        "0001-01-01",
        "Posted 03/04/21",  # two-digit years only when the date stands alone
    ],
)
def test_text_that_is_not_a_date_gives_none(text):
    assert text_date(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days ago", "2024-05-07"),
        ("yesterday", "2024-05-09"),
        ("today", "2024-05-10"),
        ("just now", "2024-05-10"),
        ("2 hours ago", "2024-05-10"),
        ("about 3 hours ago", "2024-05-10"),
        ("2 weeks ago", "2024-04-26"),
        ("Posted 3 days ago", "2024-05-07"),
        ("vor 3 Tagen", "2024-05-07"),
        ("gestern", "2024-05-09"),
        ("il y a 2 jours", "2024-05-08"),
        ("hace 3 días", "2024-05-07"),
        ("3 giorni fa", "2024-05-07"),
        ("há 3 dias", "2024-05-07"),
        ("3 dagen geleden", "2024-05-07"),
        ("3 дня назад", "2024-05-07"),
        ("3日前", "2024-05-07"),
        ("3天前", "2024-05-07"),
        ("3일 전", "2024-05-07"),
    ],
)
def test_relative_dates_resolve_against_fetched_at(text, expected):
    assert text_date(text) == expected


@pytest.mark.parametrize(
    ("fetched_at", "text", "expected"),
    [
        (datetime(2024, 5, 10, 1, 0, tzinfo=UTC), "2 hours ago", "2024-05-09"),
        (datetime(2024, 5, 10, 1, 0), "2 hours ago", "2024-05-09"),  # naive is UTC
        # 08:00 in Tokyo is 23:00 UTC the day before.
        (datetime(2024, 5, 10, 8, 0, tzinfo=timezone(timedelta(hours=9))), "today", "2024-05-09"),
        (datetime(2024, 5, 9, 20, 0, tzinfo=timezone(timedelta(hours=-5))), "today", "2024-05-10"),
    ],
)
def test_relative_dates_give_the_calendar_date_in_utc(fetched_at, text, expected):
    assert parse_date_text(text, fetched_at=fetched_at) == expected


def test_relative_date_in_an_element_uses_the_fetch_time_passed():
    assert extract_date(element('<span class="d">3 days ago</span>'), fetched_at=FETCHED) == (
        "2024-05-07"
    )


@pytest.mark.parametrize(
    ("text", "fetched_at", "expected"),
    [
        ("March 18", FETCHED, "2024-03-18"),
        ("Mar 18th", FETCHED, "2024-03-18"),
        ("May 10", FETCHED, "2024-05-10"),  # the fetch day itself is not after it
        ("May 11", FETCHED, "2023-05-11"),  # tomorrow's date was last year
        ("December 25", FETCHED, "2023-12-25"),
        ("Feb 29", datetime(2025, 3, 1, tzinfo=UTC), "2024-02-29"),  # the last leap year
        ("18 mars", FETCHED, "2024-03-18"),
        ("18. März", FETCHED, "2024-03-18"),
        ("3月18日", FETCHED, "2024-03-18"),
        ("3월 18일", FETCHED, "2024-03-18"),
    ],
)
def test_year_less_date_is_the_most_recent_one_not_after_the_fetch(text, fetched_at, expected):
    assert parse_date_text(text, fetched_at=fetched_at) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/04/2021", "2021-03-04"),  # slashes: month first by default
        ("03-04-2021", "2021-03-04"),
        ("03.04.2021", "2021-04-03"),  # dots: day first, always
        ("2021/03/04", "2021-03-04"),  # year first: year-month-day, always
        ("13/04/2021", "2021-04-13"),  # a number over 12 settles it
        ("04/13/2021", "2021-04-13"),
        ("03/04/21", "2021-03-04"),  # two-digit year, the date alone
        ("03/04/21 10:30", "2021-03-04"),
        ("03/04/99", "1999-03-04"),  # two-digit years as strptime's %y: 69–99 are 19xx
    ],
)
def test_ambiguous_numeric_dates_follow_the_documented_order(text, expected):
    assert text_date(text) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (None, "2021-03-04"),
        ("en", "2021-03-04"),
        ("en-US", "2021-03-04"),
        ("en-GB", "2021-04-03"),
        ("de", "2021-04-03"),
        ("fr-FR", "2021-04-03"),
    ],
)
def test_page_language_makes_ambiguous_numeric_dates_day_first(lang, expected):
    declared = f' lang="{lang}"' if lang else ""
    html = f'<html{declared}><body><article><span class="d">03/04/2021</span></article></body>'
    assert extract_date(element(html), fetched_at=FETCHED) == expected


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("03/04/2021", "%d/%m/%Y", "2021-04-03"),  # the format overrides the default order
        ("03/04/2021", "%m/%d/%Y", "2021-03-04"),
        ("18.03.2021 10:30", "%d.%m.%Y %H:%M", "2021-03-18"),
        ("2021-03-18T23:30:00-0500", "%Y-%m-%dT%H:%M:%S%z", "2021-03-18"),  # as written
        ("18 Mar", "%d %b", "2024-03-18"),  # no year in the format: the most recent one
        ("11 May", "%d %b", "2023-05-11"),
    ],
)
def test_date_format_is_applied_first_and_exactly(text, date_format, expected):
    assert text_date(text, date_format=date_format) == expected


def test_year_less_date_format_reads_february_29():
    fetched = datetime(2025, 3, 1, tzinfo=UTC)
    assert parse_date_text("Feb 29", fetched_at=fetched, date_format="%b %d") == "2024-02-29"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Posted 03/04/2021", "2021-04-03"),  # not exactly the format: its day order still holds
        ("3 days ago", "2024-05-07"),  # recent posts shown relative on the same site
        ("Chapter 12", None),
    ],
)
def test_text_not_in_the_date_format_falls_back_to_the_general_rules(text, expected):
    assert text_date(text, date_format="%d/%m/%Y") == expected


def test_date_format_without_a_day_is_not_a_calendar_date():
    assert text_date("March 2021", date_format="%B %Y") is None


def test_date_format_applies_to_visible_text_not_to_machine_readable_attributes():
    tag = element('<time class="d" datetime="2021-03-04">04/03/2021</time>')
    assert extract_date(tag, fetched_at=FETCHED, date_format="%m/%d/%Y") == "2021-03-04"


@pytest.mark.parametrize(
    ("text", "date_format"),
    [
        ("", None),
        ("   ", None),
        ("\x00", None),
        ("💥" * 5000, None),
        ("·|·|·", None),
        ("March 18, 2021", "%Q"),  # a bad directive
        ("March 18, 2021", "%"),
        (None, None),
        (18, None),
    ],
)
def test_odd_input_gives_none_or_a_date_but_never_raises(text, date_format):
    result = parse_date_text(text, fetched_at=FETCHED, date_format=date_format)
    assert result is None or result == "2021-03-18"


def test_odd_elements_give_none():
    assert extract_date(None) is None
    assert extract_date(element('<span class="d"></span>'), fetched_at=FETCHED) is None
    assert extract_date(element('<span class="d"><script>March 18, 2021</script></span>')) is None


def test_machine_readable_attributes_and_plain_dates_never_reach_dateparser(monkeypatch):
    calls: list[object] = []
    monkeypatch.setattr(dates_module, "_dateparser_for", lambda base: calls.append(base))
    tags = [
        '<time class="d" datetime="2021-03-18T23:30:00-05:00">x</time>',
        '<span class="d" title="2021-03-18 00:00:00 +0000 UTC">x</span>',
        '<span class="d"><time datetime="2021-03-18">x</time></span>',
        '<span class="d">2021-03-18</span>',
    ]
    for html in tags:
        assert extract_date(element(html), fetched_at=FETCHED) == "2021-03-18"
    for text in ("2021-03-18", "March 18, 2021", "18 Mar 2021", "18.03.2021", "2021年3月18日"):
        assert text_date(text) == "2021-03-18"
    assert calls == []

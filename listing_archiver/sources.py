"""Load the sources file that ``listing-archiver run SOURCES`` archives, and check it whole.

A scheduled run should fail before its first request, with one line that names the file,
the source and the key, rather than halfway through or with a traceback. So every value is
checked here, strictly (TOML's ``true`` is not a number), and the first problem is reported.
"""

from __future__ import annotations

import difflib
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, time
from functools import partial
from pathlib import Path
from typing import TypeVar

from listing_archiver.scraper.errors import InvalidURL, UnknownProfileError
from listing_archiver.scraper.fetch import FetchSettings
from listing_archiver.scraper.paginate import check_start_url
from listing_archiver.scraper.profile import OVERRIDE_FIELDS, PROFILES, resolve_profile
from listing_archiver.scraper.urls import host_key

T = TypeVar("T")
Table = Mapping[str, object]

DEFAULT_DELAY = FetchSettings().delay
DEFAULT_KEYS = ("delay", "max_pages", "profile", "user_agent", "timeout")
SOURCE_KEYS = ("name", "url", "hosts", "selectors", *DEFAULT_KEYS)
TOP_LEVEL_KEYS = (*DEFAULT_KEYS, "source")


class ConfigError(Exception):
    """A sources file that cannot be used; the message names file, source and key."""


@dataclass(frozen=True, kw_only=True)
class Source:
    name: str
    url: str
    profile: str | None = None  # None = detect
    max_pages: int | None = None  # None = no limit
    delay: float = DEFAULT_DELAY  # politeness pause between two requests
    user_agent: str | None = None  # None = the tool's default
    timeout: float | None = None  # None = the tool's default read timeout
    # [source.selectors]: this source's own CSS selectors (and date_format), put before
    # its profile's; with `item`, enough to read a site no profile knows.
    selectors: Mapping[str, str] = field(default_factory=dict)
    # Other hosts the walk may follow redirects and next links to (the URL's own always).
    hosts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Settings:
    """The keys a source inherits from the top level when it does not set them itself."""

    profile: str | None = None
    max_pages: int | None = None
    delay: float = DEFAULT_DELAY
    user_agent: str | None = None
    timeout: float | None = None


class _Invalid(Exception):
    """A problem found while checking; each level adds where it was found."""


def load_sources(path: Path) -> list[Source]:
    """The sources in ``path``, in file order; ``ConfigError`` on the first problem."""
    document = _read(path)
    try:
        return _sources(document)
    except _Invalid as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _read(path: Path) -> dict[str, object]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path}: not UTF-8 text (invalid byte at line {line})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _sources(document: Table) -> list[Source]:
    _check_keys(document, TOP_LEVEL_KEYS, "top level")
    defaults = _within("top level", lambda: _settings(document, _Settings()))
    tables = _source_tables(document)
    sources = [_source(number, table, defaults) for number, table in enumerate(tables, 1)]
    _check_unique_names(sources)
    return sources


def _source_tables(document: Table) -> list[Table]:
    tables = document.get("source")
    if isinstance(tables, dict):
        raise _Invalid("top level: source: expected an array of tables [[source]], got [source]")
    if tables is not None and not isinstance(tables, list):
        raise _Invalid(f"top level: source: expected an array of tables, got {_show(tables)}")
    if not tables:
        raise _Invalid("no sources: add at least one [[source]] table with a url")
    for number, table in enumerate(tables, 1):
        if not isinstance(table, dict):
            raise _Invalid(f"source #{number}: expected a table, got {_show(table)}")
    return tables


def _source(number: int, table: Table, defaults: _Settings) -> Source:
    def build() -> Source:
        _check_keys(table, SOURCE_KEYS, None)
        if "url" not in table:
            raise _Invalid("missing required key 'url'")
        url = _take(table, "url", _url, "")
        settings = _settings(table, defaults)
        selectors: dict[str, str] = _take(table, "selectors", _selectors, {})
        _check_extendable(selectors, settings.profile)
        return Source(
            name=_take(table, "name", _name, host_key(url)),
            url=url,
            profile=settings.profile,
            max_pages=settings.max_pages,
            delay=settings.delay,
            user_agent=settings.user_agent,
            timeout=settings.timeout,
            selectors=selectors,
            hosts=_take(table, "hosts", _hosts, ()),
        )

    return _within(_source_label(number, table), build)


def find_source(path: Path, name: str | None) -> Source:
    """The source called ``name`` in the sources file at ``path`` (the only one when
    ``name`` is None); ``ConfigError`` listing the file's source names otherwise."""
    sources = load_sources(path)
    if name is None and len(sources) == 1:
        return sources[0]
    for source in sources:
        if source.name == name:
            return source
    names = [source.name for source in sources]
    listed = ", ".join(_quote(n) for n in names)
    if name is None:
        raise ConfigError(f"{path} has {len(names)} sources; name one with --source: {listed}")
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {_quote(close[0])}?)" if close else ""
    raise ConfigError(f"{path}: no source named {_quote(name)}{hint}; its sources: {listed}")


def _check_extendable(selectors: Mapping[str, str], profile: str | None) -> None:
    """Selectors without ``item`` go before a profile's, so the source must name that
    profile (here or at the top level). Detection does not count: a source with
    selectors never learns a profile, so they could only extend a built-in profile
    detected anew on every run, which on a site no built-in profile knows (where
    selectors are most often written) fails every run, and after a theme change
    silently extends another one. Checked now, as a config error, not at run time."""
    if not selectors or "item" in selectors or profile:
        return
    known = ", ".join(repr(name) for name in sorted(PROFILES))
    raise _Invalid(
        f"selectors: {', '.join(selectors)} without item, and no profile to extend: add item "
        "(the selector of one entry block) under [source.selectors], or name the profile "
        f'these selectors go before, with profile = "NAME" (one of {known}) or a profile file'
    )


def _settings(table: Table, inherited: _Settings) -> _Settings:
    return _Settings(
        profile=_take(table, "profile", _profile, inherited.profile),
        max_pages=_take(table, "max_pages", _max_pages, inherited.max_pages),
        delay=_take(table, "delay", _delay, inherited.delay),
        user_agent=_take(table, "user_agent", _user_agent, inherited.user_agent),
        timeout=_take(table, "timeout", _timeout, inherited.timeout),
    )


def _check_unique_names(sources: list[Source]) -> None:
    first_use: dict[str, int] = {}
    for number, source in enumerate(sources, 1):
        earlier = first_use.setdefault(source.name, number)
        if earlier != number:
            raise _Invalid(
                f"source #{number} ({_quote(source.name)}): name: {source.name!r} is already "
                f"used by source #{earlier}; give each source a distinct name"
            )


# --- where a problem was found ---------------------------------------------------------


def _within(where: str, check: Callable[[], T]) -> T:
    try:
        return check()
    except _Invalid as exc:
        raise _Invalid(f"{where}: {exc}") from None


def _take(table: Table, key: str, check: Callable[[object], T], default: T) -> T:
    """``check(table[key])`` when the key is present, else ``default``."""
    if key not in table:
        return default
    return _within(key, lambda: check(table[key]))


def _check_keys(table: Table, allowed: tuple[str, ...], where: str | None) -> None:
    for key in table:
        if key not in allowed:
            problem = f"unknown key {key!r}{_hint(key, allowed)}"
            raise _Invalid(f"{where}: {problem}" if where else problem)


def _hint(key: str, allowed: tuple[str, ...]) -> str:
    if key in SOURCE_KEYS:  # a per-source key written at the top level
        return " (it belongs inside a [[source]] table)"
    close = difflib.get_close_matches(key, allowed, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _source_label(number: int, table: Table) -> str:
    """``source #N``, with the name when it is already known: set, or the URL's host."""
    name = table.get("name")
    if name is None:
        url = table.get("url")
        if isinstance(url, str) and _is_usable_url(url):
            name = host_key(url)
    if isinstance(name, str) and name.strip():
        return f"source #{number} ({_quote(name)})"
    return f"source #{number}"


def _quote(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)  # double quotes, and always one line


def _show(value: object) -> str:
    """A value as the problem report shows it, in TOML's words where Python's differ."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, date | time):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# --- one value each ----------------------------------------------------------------------


def _name(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value
    raise _Invalid(f"expected a non-empty string, got {_show(value)}")


def _url(value: object) -> str:
    if not isinstance(value, str):
        raise _Invalid(f"expected an http(s) URL string, got {_show(value)}")
    try:
        check_start_url(value)
    except InvalidURL as exc:
        raise _Invalid(str(exc)) from None
    return value


def _is_usable_url(value: str) -> bool:
    try:
        _url(value)
    except _Invalid:
        return False
    return True


def _profile(value: object) -> str:
    """A built-in profile's name, or the path of a TOML profile file (relative to the
    working directory), checked to load now rather than at the first run."""
    if isinstance(value, str) and value in PROFILES:
        return value
    if isinstance(value, str) and value.endswith(".toml"):
        try:
            resolve_profile(value)
        except UnknownProfileError as exc:
            raise _Invalid(str(exc)) from None
        return value
    known = ", ".join(repr(name) for name in sorted(PROFILES))
    close = difflib.get_close_matches(value, PROFILES, n=1) if isinstance(value, str) else []
    hint = f"; did you mean {close[0]!r}?" if close else "; leave it out to detect the profile"
    raise _Invalid(f"expected one of the known profiles ({known}), got {_show(value)}{hint}")


def _max_pages(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    raise _Invalid(f"expected a whole number >= 1, got {_show(value)}")


def _delay(value: object) -> float:
    number = _finite_number(value)
    if number is None or number < 0:
        raise _Invalid(f"expected a number >= 0, got {_show(value)}")
    return number


def _timeout(value: object) -> float:
    number = _finite_number(value)
    if number is None or number <= 0:
        raise _Invalid(f"expected a number > 0, got {_show(value)}")
    return number


def _finite_number(value: object) -> float | None:
    """``value`` as a float if it is a finite int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return None
    return number if math.isfinite(number) else None


def _hosts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(
        isinstance(h, str) and h.strip() and "/" not in h for h in value
    ):
        raise _Invalid(
            f'expected a list of host names such as ["www.example.org"], got {_show(value)}'
        )
    return tuple(h.strip().lower() for h in value)


def _selectors(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _Invalid(f"expected a table [source.selectors], got {_show(value)}")
    _check_keys(value, OVERRIDE_FIELDS, None)
    return {key: _within(key, partial(_selector, key, v)) for key, v in value.items()}


def _selector(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"expected a non-empty string, got {_show(value)}")
    if key == "date_format":
        if "%" not in value:
            raise _Invalid(f"expected a strptime format such as '%d.%m.%Y', got {_show(value)}")
        return value
    import soupsieve  # only when a sources file has selectors to check

    try:
        soupsieve.compile(value)
    except soupsieve.SelectorSyntaxError as exc:
        first_line = str(exc).splitlines()[0]
        raise _Invalid(f"not a valid CSS selector: {_show(value)} ({first_line})") from None
    return value


def _user_agent(value: object) -> str:
    if isinstance(value, str) and value.strip():
        return value
    raise _Invalid(f"expected a non-empty string, got {_show(value)}")

"""Site profiles: the CSS selectors that read one engine/theme's listing markup.

A profile is data: one TOML file per engine in ``scraper/profiles/``, so supporting a
new site means adding a file, not code. Field selectors are tried in order, the first
match winning. Dates are read from a machine-readable attribute (``datetime``,
``content``, ``title``) when the matched element has one, else from its visible text.
A sources file can override any of ``SELECTOR_FIELDS`` for one source.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from .errors import UnknownProfileError

# Fields a source may override with its own selector (a string) or format.
SELECTOR_FIELDS = ("item", "title", "url", "date", "author", "excerpt", "next")
OVERRIDE_FIELDS = (*SELECTOR_FIELDS, "date_format")


@dataclass(frozen=True, kw_only=True)
class Profile:
    name: str
    description: str
    item: str  # one entry block; use :not() to leave out blocks that are not posts
    title: tuple[str, ...]
    url: tuple[str, ...]  # the element whose href is the post's URL
    date: tuple[str, ...] = ()
    author: tuple[str, ...] = ()
    excerpt: tuple[str, ...] = ()
    # Inside the excerpt, elements that are not summary text ("Read more", tags, meta).
    excerpt_exclude: tuple[str, ...] = ()
    next: tuple[str, ...] = ()  # the "older posts" link, besides rel=next and link text
    author_exclude: str | None = None  # regex: a match is not an author (e.g. "5 min")
    date_format: str | None = None  # strptime format for visible dates, when known
    generator: str | None = None  # regex on <meta name="generator"> for detection
    signature: str = ""  # selector present on this engine's listing pages
    # Every element the first matching author selector finds is a name (joined with
    # ", " in page order), and "by …" bylines are cut to the name: learned profiles.
    author_join: bool = False
    # Every element the first matching excerpt selector finds is read, joined with a
    # space: a summary of several paragraphs (learned profiles).
    excerpt_join: bool = False
    # Each item (a heading) and the siblings after it, up to the next item, are one
    # entry block: posts printed one after another into a shared element (learned
    # profiles; lxml trees only, see scraper.runs).
    item_run: bool = False

    def __post_init__(self) -> None:
        if self.author_exclude:
            re.compile(self.author_exclude)

    def with_overrides(self, overrides: Mapping[str, str]) -> Profile:
        """This profile with a source's own selectors put first (or in place of ``item``)."""
        changes: dict[str, object] = {}
        for field, value in overrides.items():
            if field in ("item", "date_format"):
                changes[field] = value
            else:
                changes[field] = (value, *getattr(self, field))
        name = self.name if self.name.endswith("+custom") else f"{self.name}+custom"
        return dataclasses.replace(self, name=name, **changes)  # type: ignore[arg-type]


def custom_profile(overrides: Mapping[str, str]) -> Profile:
    """A profile made only of a source's own selectors (``item`` and ``title`` needed)."""
    base = Profile(
        name="custom",
        description="selectors from the sources file",
        item=overrides["item"],
        title=(),
        url=("a[href]",),
    )
    extended = base.with_overrides({k: v for k, v in overrides.items() if k != "item"})
    return dataclasses.replace(extended, name="custom")  # not "custom+custom"


def _as_tuple(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)


def load_profile(text: str, origin: str) -> Profile:
    """A profile from TOML text; ``ValueError`` naming ``origin`` and the bad key."""
    data = tomllib.loads(text)
    known = {f.name for f in dataclasses.fields(Profile)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{origin}: unknown key(s) {', '.join(unknown)}")
    tuple_fields = {f.name for f in dataclasses.fields(Profile) if "tuple" in str(f.type)}
    values: dict[str, Any] = {k: _as_tuple(v) if k in tuple_fields else v for k, v in data.items()}
    try:
        return Profile(**values)
    except TypeError as exc:
        raise ValueError(f"{origin}: {exc}") from None


def profile_toml(profile: Profile) -> str:
    """The profile as TOML in the form of ``scraper/profiles/*.toml`` (what
    ``load_profile`` reads back): fields left at their defaults are left out."""
    lines = []
    for field in dataclasses.fields(Profile):
        value = getattr(profile, field.name)
        if value == field.default or value is None:
            continue
        if isinstance(value, tuple):
            items = ", ".join(_toml_string(v) for v in value)
            lines.append(f"{field.name} = [{items}]")
        elif isinstance(value, bool):
            lines.append(f"{field.name} = {'true' if value else 'false'}")
        else:
            lines.append(f"{field.name} = {_toml_string(str(value))}")
    return "\n".join(lines) + "\n"


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def _load_builtin() -> dict[str, Profile]:
    profiles = {}
    for entry in sorted(
        files("listing_archiver.scraper").joinpath("profiles").iterdir(), key=lambda e: e.name
    ):
        if entry.name.endswith(".toml"):
            profile = load_profile(entry.read_text("utf-8"), f"scraper/profiles/{entry.name}")
            profiles[profile.name] = profile
    return profiles


PROFILES: dict[str, Profile] = _load_builtin()


def resolve_profile(spec: str) -> Profile:
    """A built-in profile by name, or a TOML profile file by path (one that ``probe
    --save-profile`` wrote, edited or not); ``UnknownProfileError`` naming the problem."""
    if spec in PROFILES:
        return PROFILES[spec]
    path = Path(spec).expanduser()
    if not spec.endswith(".toml") and not path.is_file():
        return get_profile(spec)  # an unknown name: the error lists the known ones
    try:
        return load_profile(path.read_text("utf-8"), spec)
    except OSError as exc:
        raise UnknownProfileError(f"cannot read profile file {spec}: {exc.strerror}") from None
    except ValueError as exc:  # a TOML error, an unknown key, a missing one
        raise UnknownProfileError(f"not a usable profile: {exc}") from None


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise UnknownProfileError(f"no profile named {name!r} (known: {known})") from None

"""The results table, the machine and versions it was measured with, and the README.

One Markdown text serves the terminal and the README alike, so what the README shows
is exactly what a run printed; ``--write-readme`` only swaps the text between the
markers, leaving the rest of the README to its authors.
"""

from __future__ import annotations

import os
import platform
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from .measure import Config, Samples

START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    label: str
    a: str | None  # sample names: ours, baseline, ratio (each a median of rounds)
    b: str | None
    ratio: str | None
    target: str
    passes: Callable[[Samples], bool] | None = None  # None: printed, no target


def rows(config: Config) -> list[Row]:
    n, small, k = config.pages, config.small_pages, config.sources
    return [
        Row(
            f"a. full walk of {n} pages, pages/s: `scrape --delay 0 --full` vs Scrapy",
            "a_ours_pps",
            "a_scrapy_pps",
            "a_ratio",
            "≥ 1.5×",
            lambda s: s.median("a_ratio") >= 1.5,
        ),
        Row("a. (same walk) wall s", "a_ours_wall", "a_scrapy_wall", None, "info"),
        Row("a. (same walk) CPU s of the process", "a_ours_cpu", "a_scrapy_cpu", None, "info"),
        Row(
            f"b. parse {n} pages in-process, pages/s: `parse_page` vs raw lxml XPath",
            "b_ours_pps",
            "b_lxml_pps",
            "b_ratio",
            "printed",
        ),
        Row(
            f"c. archive {n * config.per_page} posts page by page, posts/s: `save_page` vs"
            " raw sqlite3 executemany + commit",
            "c_ours_pps",
            "c_raw_pps",
            "c_ratio",
            "printed",
        ),
        Row(
            "d. unchanged rerun (no `--full`), requests: rerun vs first walk",
            "d_requests",
            "a_ours_requests",
            "d_requests_ratio",
            "1 request (README)",
            lambda s: s.median("d_requests") <= 1,
        ),
        Row(
            "d. unchanged rerun, wall s: rerun vs first walk",
            "d_wall",
            "a_ours_wall",
            "d_wall_ratio",
            "printed",
        ),
        Row(
            f"e. peak RSS MiB of the {n}-page walk: ours vs Scrapy",
            "e_ours_big",
            "e_scrapy_big",
            "e_vs_scrapy",
            "≤ 0.6×",
            lambda s: s.median("e_vs_scrapy") <= 0.6,
        ),
        Row(
            f"e. peak RSS MiB, ours: {n}-page vs {small}-page walk",
            "e_ours_big",
            "e_ours_small",
            "e_growth",
            "≤ 1.2×",
            lambda s: s.median("e_growth") <= 1.2,
        ),
        Row(
            f"e. peak RSS MiB, Scrapy: {n}-page vs {small}-page walk",
            "e_scrapy_big",
            "e_scrapy_small",
            "e_scrapy_growth",
            "info",
        ),
        Row(
            f"f. {k} sources × {config.source_pages} pages, delay {config.source_delay} s, wall s:"
            f" `run --jobs {k}` vs ideal (slowest source alone)",
            "f_many",
            "f_ideal",
            "f_ratio",
            "≤ 1.3×",
            lambda s: s.median("f_ratio") <= 1.3,
        ),
        Row(
            f"g. full walk of {n} pages no built-in profile recognises (PaperMod markup"
            " without the generator tag), pages/s: `scrape --delay 0 --full` vs Scrapy",
            "g_ours_pps",
            "g_scrapy_pps",
            "g_ratio",
            "≥ 1.5×",
            lambda s: s.median("g_ratio") >= 1.5,
        ),
        Row(
            f"g. parse those {n} pages in-process, pages/s: built-in profile vs the profile"
            " learned on page 1 (A/B: time per page, learned vs built-in)",
            "g_builtin_parse_pps",
            "g_learned_parse_pps",
            "g_parse_ratio",
            "≤ 1.5×",
            lambda s: s.median("g_parse_ratio") <= 1.5,
        ),
        Row(
            "g. learning the profile on page 1, ms (once per source)",
            "g_learn_ms",
            None,
            None,
            "info",
        ),
        Row(
            "server: raw keep-alive req/s (one http.client loop) vs the faster walk's pages/s",
            "server_rps",
            "a_fastest_pps",
            None,
            "≥ 10× (not the bottleneck)",
            lambda s: s.median("server_rps") >= 10 * s.median("a_fastest_pps"),
        ),
    ]


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:  # counts: requests
        return f"{int(value):,}"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _cell(samples: Samples, name: str | None) -> str:
    if name is None or not samples.values.get(name):
        return "—"
    median = _number(samples.median(name))
    low, high = samples.spread(name)
    if len(samples.values[name]) == 1 or _number(low) == _number(high):
        return median
    return f"{median} [{_number(low)}–{_number(high)}]"


def _ratio(samples: Samples, name: str | None) -> str:
    if name is None or not samples.values.get(name):
        return "—"
    value = samples.median(name)
    return f"{value:.3f}×" if value < 0.1 else f"{value:.2f}×"


def table(samples: Samples, config: Config) -> str:
    lines = [
        "| figure | ours (A) | baseline (B) | A/B | target | result |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows(config):
        verdict = "—" if row.passes is None else ("PASS" if row.passes(samples) else "FAIL")
        lines.append(
            f"| {row.label} | {_cell(samples, row.a)} | {_cell(samples, row.b)} |"
            f" {_ratio(samples, row.ratio)} | {row.target} | {verdict} |"
        )
    return "\n".join(lines)


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return (
        f"{model}, {os.cpu_count()} cores ({usable} usable){memory}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def versions() -> str:
    import lxml.etree

    libxml2 = ".".join(str(part) for part in lxml.etree.LIBXML_VERSION)
    return (
        f"listing-archiver {_version('listing-archiver')}, Scrapy {_version('scrapy')}"
        f" (Twisted {_version('twisted')}, parsel {_version('parsel')}),"
        f" lxml {_version('lxml')} (libxml2 {libxml2}),"
        f" beautifulsoup4 {_version('beautifulsoup4')} (soupsieve {_version('soupsieve')}),"
        f" requests {_version('requests')}, sqlite-utils {_version('sqlite-utils')},"
        f" SQLite {sqlite3.sqlite_version}"
    )


def section(samples: Samples, config: Config, *, loads: tuple[float, float], took: float) -> str:
    """The whole Markdown block: how it was run, on what, the table and the notes."""
    command = "python -m bench" + (" --quick" if config.pages < 1000 else "")
    if config.rounds != (1 if config.pages < 1000 else 3):
        command += f" --rounds {config.rounds}"
    notes = [
        f"Each figure is the median of {config.rounds} round(s) [min–max]; each round measures"
        " A and B back to back, A first in odd rounds and B first in even ones; a ratio is the"
        " median of the rounds' own ratios.",
        "a, d, e, f run the real commands in subprocesses (start-up included), against a static"
        " asyncio server in its own process on 127.0.0.1 (keep-alive, Content-Length, ETag/304);"
        " peak RSS is the child's own `ru_maxrss` from `wait4`. b and c run in-process over the"
        " same pages.",
        f"f: the ideal is the slowest of {config.singles} source(s) run alone per round (the"
        f" sources differ only in content), not all {config.sources}, to bound the run's time.",
        f"Load average (1 min) {loads[0]:.2f} at start, {loads[1]:.2f} at end; the machine is"
        " shared, so absolute figures move with other work; ratios hold better.",
        *samples.notes,
    ]
    return "\n".join(
        [
            f"Generated by `{command}` on {datetime.now(UTC):%Y-%m-%d} in {took / 60:.1f} min.",
            "",
            f"- Machine: {machine()}",
            f"- Versions: {versions()}",
            "",
            table(samples, config),
            "",
            *(f"- {note}" for note in notes),
        ]
    )


def write_readme(
    readme: Path, text: str, markers: tuple[str, str] = (START_MARKER, END_MARKER)
) -> bool:
    """Replace what lies between the markers; False (README untouched) when they are
    missing or out of order."""
    content = readme.read_text(encoding="utf-8")
    start_marker, end_marker = markers
    start, end = content.find(start_marker), content.find(end_marker)
    if start < 0 or end < start:
        return False
    head = content[: start + len(start_marker)]
    readme.write_text(f"{head}\n{text}\n{content[end:]}", encoding="utf-8")
    return True

"""Extraction accuracy per engine fixture, against hand-written goldens, with a gate.

    python -m tests.accuracy            # the tables; exit 1 if any figure is below its floor

Each ``fixtures/engines/<engine>/expected.json`` names the page, the URL it is parsed
as, the profile detection must pick, and the entries a reader sees on it. Floors are
pinned in ``fixtures/engines/floors.json``: raise them as extraction improves, never
lower one to get a green run. Goldens are written by hand from the page, never
generated from the parser's output. The real pages of ``../shared/reference/engines/``
are scored too when that folder is present (``tests/reference.py``), against the floors
in ``fixtures/reference-floors.json``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from listing_archiver.scraper.errors import ScraperError
from listing_archiver.scraper.parse import parse_page
from listing_archiver.scraper.records import ENTRY_FIELDS

from . import reference

ENGINES = Path(__file__).resolve().parents[1] / "fixtures" / "engines"
FIELDS = ENTRY_FIELDS


@dataclass(frozen=True)
class Score:
    engine: str
    profile: str  # what the parser used
    expected_profile: str
    found: int
    expected: int
    fields: dict[str, float]  # share of expected entries whose field matched exactly

    @property
    def recall(self) -> float:
        return min(self.found, self.expected) / self.expected if self.expected else 1.0

    def figures(self) -> dict[str, float]:
        return {
            "entries": self.recall if self.found <= self.expected else self.expected / self.found,
            **self.fields,
        }


def load(engine_dir: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((engine_dir / "expected.json").read_text("utf-8"))


def score(engine_dir: Path) -> Score:
    golden = load(engine_dir)
    html = (engine_dir / golden.get("page", "listing.html")).read_text("utf-8")
    expected = golden["entries"]
    try:
        parsed = parse_page(html, golden["url"])
        found, profile = [e.__getattribute__ for e in parsed.entries], parsed.profile
    except ScraperError:
        found, profile = [], "(error)"
    fields = {
        name: sum(1 for want, got in zip(expected, found, strict=False) if got(name) == want[name])
        / len(expected)
        for name in FIELDS
    }
    return Score(engine_dir.name, profile, golden["profile"], len(found), len(expected), fields)


def scores() -> list[Score]:
    return [score(d) for d in sorted(ENGINES.iterdir()) if (d / "expected.json").is_file()]


def below_floor(results: list[Score]) -> list[str]:
    floors = json.loads((ENGINES / "floors.json").read_text("utf-8"))
    problems = []
    for result in results:
        if result.profile != result.expected_profile:
            problems.append(
                f"{result.engine}: detected {result.profile!r}, "
                f"expected {result.expected_profile!r}"
            )
        floor = floors.get(result.engine)
        if floor is None:
            problems.append(f"{result.engine}: no floor pinned in floors.json")
            continue
        for figure, value in result.figures().items():
            if value < floor[figure]:
                problems.append(f"{result.engine}: {figure} {value:.2f} < floor {floor[figure]}")
    return problems


def table(results: list[Score]) -> str:
    header = ["engine", "profile", "entries", *FIELDS]
    rows = [header, ["---"] * len(header)]
    for r in results:
        rows.append(
            [
                r.engine,
                r.profile,
                f"{r.found}/{r.expected}",
                *(f"{r.fields[f]:.0%}" for f in FIELDS),
            ]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main() -> int:
    results = scores()
    print("Fixtures (fixtures/engines/):\n")
    print(table(results))
    problems = below_floor(results)
    print()
    if reference.available():
        real = reference.scores()
        print(f"Real pages ({reference.REFERENCE}):\n")
        print(reference.table(real))
        problems += reference.below_floor(real)
    else:
        print(f"Real pages: skipped, {reference.REFERENCE} is absent.")
    for problem in problems:
        print(f"BELOW FLOOR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

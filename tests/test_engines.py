"""Every engine fixture extracts exactly its hand-written golden, and the accuracy
gate holds (the same figures `python -m tests.accuracy` prints)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pytest

from listing_archiver.scraper.parse import parse_page

from . import reference
from .accuracy import ENGINES, below_floor, load, scores

ENGINE_DIRS = sorted(d for d in ENGINES.iterdir() if (d / "expected.json").is_file())


@pytest.mark.parametrize("engine_dir", ENGINE_DIRS, ids=[d.name for d in ENGINE_DIRS])
def test_engine_fixture_matches_its_golden(engine_dir: Path):
    golden = load(engine_dir)
    html = (engine_dir / golden.get("page", "listing.html")).read_text("utf-8")
    page = parse_page(html, golden["url"])
    assert page.profile == golden["profile"]
    assert [asdict(e) for e in page.entries] == golden["entries"]
    if "next" in golden:
        assert (page.next_urls[0] if page.next_urls else None) == golden["next"]


def test_accuracy_stays_at_or_above_the_pinned_floors():
    assert below_floor(scores()) == []


def test_every_engine_the_readme_promises_has_a_fixture():
    engines = {d.name.split("-")[0] for d in ENGINE_DIRS}
    assert {
        "hugo",
        "wordpress",
        "jekyll",
        "ghost",
        "hexo",
        "pelican",
        "mkdocs",
        "docusaurus",
        "eleventy",
    } <= engines


@pytest.mark.skipif(not reference.available(), reason="../shared/reference/engines/ is absent")
def test_real_reference_pages_stay_at_or_above_their_floors():
    results = reference.scores()
    assert len(results) >= 10
    assert reference.below_floor(results) == []

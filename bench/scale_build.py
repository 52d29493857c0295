"""The archives ``python -m bench --scale`` measures: 10k, 100k and 1M posts from 10,
100 and 1,000 sources of 1,000 posts each, written through the tool's own
``archive.store.save_page``, cached between runs.

Each source is walked twice, as a scheduled archive would be: a first full run of 100
pages of 10 posts, then a run whose first page holds 2 new posts and an edited one. Field
sizes are a blog's: titles of 4-12 words, excerpts of 25-60, a few authors per source,
dates over fifteen years. One word, :data:`COMMON_WORD`, is in 23% of the excerpts: the
search the issue measured. The text is generated from a fixed seed, so every build of
an archive holds the same posts.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlite_utils import Database

from listing_archiver.archive import store
from listing_archiver.archive.opening import known_migrations
from listing_archiver.archive.schema import open_archive
from listing_archiver.scraper.records import Entry

POSTS_PER_SOURCE = 1_000
PER_PAGE = 10
COMMON_WORD = "kubernetes"  # in COMMON_SHARE of the posts, and in no other word list
COMMON_SHARE = 0.23
GENERATOR = 2  # raise when the generated posts change, so cached archives are rebuilt
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
CACHE = Path.home() / ".cache" / "listing-archiver" / "bench-scale"


@dataclass(frozen=True)
class Corpus:
    """A vocabulary drawn with Zipf-like weights, as words are in real text."""

    words: tuple[str, ...]
    weights: tuple[float, ...]  # cumulative
    authors: tuple[str, ...]

    @classmethod
    def make(cls, rng: random.Random) -> Corpus:
        syllables = ["ka", "lo", "mi", "ner", "ta", "so", "vin", "dra", "pel", "qu", "ros", "te"]
        words = sorted(
            {"".join(rng.choices(syllables, k=rng.randint(1, 4))) for _ in range(8_000)}
            - {COMMON_WORD}
        )
        rng.shuffle(words)
        weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
        first = ["Ann", "Bob", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kim", "Lu"]
        authors = tuple(f"{rng.choice(first)} {w.title()}" for w in words[-3_000:])
        return cls(tuple(words), tuple(weights), authors)

    def text(self, rng: random.Random, low: int, high: int) -> str:
        return " ".join(rng.choices(self.words, cum_weights=self.weights, k=rng.randint(low, high)))


def source_name(number: int) -> str:
    return f"blog-{number:04d}.example"


def posts_of(corpus: Corpus, number: int) -> list[Entry]:
    """Source ``number``'s posts, newest first, one post every few days."""
    rng = random.Random(f"{GENERATOR}-{number}")
    authors = rng.sample(corpus.authors, rng.randint(1, 6))
    day = date(2026, 11, 1) - timedelta(days=rng.randint(0, 400))
    entries = []
    for index in range(POSTS_PER_SOURCE):
        day -= timedelta(days=rng.choice((1, 2, 3, 5, 8)))
        title = corpus.text(rng, 4, 12).capitalize()
        excerpt = corpus.text(rng, 25, 60)
        if rng.random() < COMMON_SHARE:
            excerpt = f"{excerpt} {COMMON_WORD} {corpus.text(rng, 2, 6)}"
        slug = "-".join(title.lower().split()[:6])
        url = f"https://{source_name(number)}/posts/{day.year}/{slug}-{index}/"
        entries.append(Entry(title, url, day.isoformat(), rng.choice(authors), excerpt + "."))
    return entries


def archive_path(size: str, cache: Path = CACHE) -> Path:
    """Named for what it holds: the generator and the schema it was built with."""
    return cache / f"scale-{size}-g{GENERATOR}-{known_migrations()[-1]}.db"


def pages(entries: list[Entry]) -> Iterator[tuple[int, list[Entry]]]:
    for start in range(0, len(entries), PER_PAGE):
        yield start // PER_PAGE + 1, entries[start : start + PER_PAGE]


def walk(db: Database, number: int, entries: list[Entry], *, mode: str) -> None:
    """One run of the source over ``entries`` (pages of 10), as a walk's writer makes it:
    ``start_run``, ``save_page`` per page, ``finish_run``. A first full walk is one
    outer transaction (each page still its own ``save_page``, a savepoint in it): the
    build's only shortcut, and it changes no row."""
    name = source_name(number)
    run = store.start_run(db, source=name, url=f"https://{name}/", mode=mode)
    with db.atomic():
        for page_number, page in pages(entries):
            url = f"https://{name}/" + (f"page/{page_number}/" if page_number > 1 else "")
            store.save_page(
                db, run_id=run, source=name, entries=page, page_url=url, page_number=page_number
            )
    store.finish_run(db, run, status="ok", stop_reason="end")


def news(corpus: Corpus, number: int, entries: list[Entry]) -> list[Entry]:
    """The second run's first page: 2 new posts, then 8 known ones, the 4th edited."""
    rng = random.Random(f"{GENERATOR}-news-{number}")
    today = date(2026, 11, 2).isoformat()
    fresh = [
        Entry(corpus.text(rng, 4, 12).capitalize(), f"https://{source_name(number)}/new/{i}/",
              today, entries[0].author, corpus.text(rng, 25, 60) + ".")
        for i in range(2)
    ]  # fmt: skip
    known = list(entries[:8])
    edited = known[3]
    known[3] = Entry(
        edited.title, edited.url, edited.date, edited.author, edited.excerpt + " (updated)"
    )
    return fresh + known


def build(path: Path, posts: int, progress: Callable[[str], None] | None = None) -> float:
    """Write the archive of ``posts`` posts at ``path`` (a partial file is removed
    first); the seconds it took."""
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        file.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    corpus = Corpus.make(random.Random(GENERATOR))
    start = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    db = open_archive(str(partial))
    try:
        sources = posts // POSTS_PER_SOURCE
        for number in range(1, sources + 1):
            walk(db, number, posts_of(corpus, number), mode="full")
            if progress is not None and number % 50 == 0:
                progress(f"  {path.name}: {number}/{sources} sources written")
        for number in range(1, sources + 1):
            walk(db, number, news(corpus, number, posts_of(corpus, number)), mode="incremental")
        db.execute("pragma wal_checkpoint(truncate)")
    finally:
        db.close()
    partial.rename(path)
    return time.perf_counter() - start

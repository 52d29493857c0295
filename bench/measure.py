"""The measurements a-f, taken in rounds that alternate which side goes first.

On a shared 2-core machine the load drifts during a run; measuring A then B in one
round and B then A in the next, and taking medians (ratios are the median of each
round's own ratio), keeps a drift from favouring either side. Subprocess figures run
the real commands as a user would; parsing and archiving run in-process over the same
pages, so they isolate those two costs from fetching and start-up.
"""

from __future__ import annotations

import compileall
import http.client
import importlib
import sqlite3
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from listing_archiver.archive.schema import open_archive
from listing_archiver.archive.store import save_page, start_run
from listing_archiver.scraper.parse import ParsedPage, parse_page
from listing_archiver.scraper.profile import Profile, get_profile
from listing_archiver.scraper.reader import ListingReader
from listing_archiver.scraper.records import Entry

from .baselines import lxml_parse, raw_open, raw_store
from .proc import ChildResult, Launcher
from .server import BenchServer, raw_throughput
from .site import SiteSpec, generate_site, page_path

SPIDER = Path(__file__).with_name("scrapy_spider.py")
FETCHED_AT = datetime(2025, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Config:
    pages: int = 1000  # the big listing (a, b, c, d, e)
    small_pages: int = 10  # e's small walk
    rounds: int = 3
    sources: int = 20  # f
    source_pages: int = 25
    source_delay: float = 0.1
    singles: int = 3  # f: sources also run alone each round; the slowest is the ideal
    per_page: int = 10


QUICK = Config(pages=50, small_pages=10, rounds=1, sources=4, source_pages=5, singles=1)


@dataclass
class Samples:
    """Per-round values by figure name; every figure is a median of its rounds."""

    values: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, value: float) -> None:
        self.values[name].append(value)

    def median(self, name: str) -> float:
        return statistics.median(self.values[name])

    def spread(self, name: str) -> tuple[float, float]:
        return min(self.values[name]), max(self.values[name])


_STARTED = time.perf_counter()


def progress(message: str) -> None:
    """One line to stderr, stamped with the seconds since the bench started."""
    print(f"[{time.perf_counter() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


class Bench:
    """One bench run: the server, the pages, a work folder, and the samples."""

    def __init__(self, config: Config, work: Path) -> None:
        self.config = config
        self.work = work
        self.samples = Samples()
        self.main = SiteSpec(site_id="bench", pages=config.pages, per_page=config.per_page)
        self.small = SiteSpec(site_id="small", pages=config.small_pages, per_page=config.per_page)
        self.sources = [
            SiteSpec(site_id=f"s{i + 1:02d}", pages=config.source_pages, per_page=config.per_page)
            for i in range(config.sources)
        ]
        # g: the big listing's twin without the generator tag: no built-in profile
        # recognises it, so the tool learns its profile on page 1.
        self.plain = SiteSpec(
            site_id="plain", pages=config.pages, per_page=config.per_page, generator=False
        )
        self.server = BenchServer([self.main, self.small, *self.sources, self.plain])
        self.launcher: Launcher | None = None
        self.html: dict[str, str] = {}
        self.parsed: list[tuple[str, ParsedPage]] = []

    # -- set-up -------------------------------------------------------------------------

    def setup(self) -> None:
        progress(f"generating {self.config.pages} pages and starting the server process")
        self.launcher = Launcher()
        _compile_bytecode()
        self.samples.notes.append(
            "the tool's bytecode is compiled before the runs, as pip does when it installs"
            " a wheel (Scrapy's was compiled when the bench extra was installed)"
        )
        floor = self._run(["true"]).max_rss_mib
        self.samples.notes.append(
            f"e: every child is started by a small launcher process, so a child's peak RSS"
            f" cannot read below {floor:.1f} MiB (what `true` reports); the bench process's"
            " own memory is not inherited"
        )
        pages = generate_site(self.main)
        self.server.start()
        base = self.server.url(0).rstrip("/")
        self.html = {base + path: body.decode("utf-8") for path, body in pages.items()}
        for number in (1, self.config.pages):  # the server serves what we parse
            path = page_path(number)
            if _get(self.server.ports[0], path) != pages[path]:
                raise RuntimeError(f"server and bench disagree on {path}")
        sizes = sorted(len(body) for body in pages.values())
        self.samples.notes.append(
            f"listing: {len(pages)} pages of {self.config.per_page} entries, "
            f"{sizes[0] / 1000:.1f}-{sizes[-1] / 1000:.1f} KB a page "
            f"(median {sizes[len(sizes) // 2] / 1000:.1f} KB)"
        )
        paths = [page_path(n) for n in range(1, self.config.pages + 1)]
        rate, mbps = raw_throughput(self.server.ports[0], paths, seconds=2.0)
        self.samples.add("server_rps", rate)
        self.samples.add("server_mbps", mbps)
        progress(f"server raw throughput: {rate:,.0f} req/s, {mbps:,.0f} MB/s (one client)")
        self.server.stats(0, reset=True)

    def close(self) -> None:
        self.server.stop()
        if self.launcher is not None:
            self.launcher.close()

    def _run(self, argv: list[str]) -> ChildResult:
        assert self.launcher is not None
        return self.launcher.run(argv).check()

    # -- commands ---------------------------------------------------------------------

    def ours_scrape(self, url: str, db: Path, *, full: bool = True) -> ChildResult:
        argv = [sys.executable, "-m", "listing_archiver", "scrape", str(db), url]
        argv += ["--delay", "0", *(["--full"] if full else []), "--ignore-robots"]
        return self._run(argv)

    def scrapy_crawl(self, url: str, db: Path) -> ChildResult:
        argv = [sys.executable, "-m", "scrapy", "runspider", str(SPIDER), "--loglevel", "ERROR"]
        argv += ["-a", f"start_url={url}", "-a", f"db={db}"]
        return self._run(argv)

    def ours_run(self, indices: Sequence[int], db: Path) -> ChildResult:
        sources = self.work / f"{db.stem}.toml"
        lines = [f"delay = {self.config.source_delay}"]
        for i in indices:
            lines += ["", "[[source]]", f'name = "{self.sources[i].site_id}"']
            lines.append(f'url = "{self.server.url(2 + i)}"')
        sources.write_text("\n".join(lines) + "\n", encoding="utf-8")
        argv = [sys.executable, "-m", "listing_archiver", "run", str(db), str(sources)]
        argv += ["--jobs", str(len(indices)), "--ignore-robots"]
        result = self._run(argv)
        _expect_posts(db, len(indices) * self.config.source_pages * self.config.per_page)
        return result

    # -- one round --------------------------------------------------------------------

    def round(self, number: int) -> None:
        """Every figure once; A (ours) first when ``number`` (0-based) is even."""
        ours_first = number % 2 == 0
        self._walks(number, ours_first)
        self._rerun(number)
        self._small_walks(number, ours_first)
        self._parse(number, ours_first)
        self._store(number, ours_first)
        self._many_sources(number, ours_first)
        self._plain_walks(number, ours_first)
        self._learned_parse(number, ours_first)

    def _walks(self, number: int, ours_first: bool) -> None:
        """a (pages/s) and the big half of e (peak RSS), both sides on the big site."""
        pages = self.config.pages
        url = self.server.url(0)

        def ours() -> None:
            self.server.stats(0, reset=True)
            result = self.ours_scrape(url, self.work / f"ours-{number}.db")
            requests = self.server.stats(0, reset=True)["requests"]
            _expect_posts(self.work / f"ours-{number}.db", pages * self.config.per_page)
            self._record_walk("ours", result, pages, requests)

        def scrapy() -> None:
            self.server.stats(0, reset=True)
            result = self.scrapy_crawl(url, self.work / f"scrapy-{number}.db")
            requests = self.server.stats(0, reset=True)["requests"]
            _expect_posts(self.work / f"scrapy-{number}.db", pages * self.config.per_page)
            self._record_walk("scrapy", result, pages, requests)

        _alternate(ours, scrapy, ours_first)
        s = self.samples
        s.add("a_ratio", s.values["a_ours_pps"][-1] / s.values["a_scrapy_pps"][-1])
        s.add("a_fastest_pps", max(s.values["a_ours_pps"][-1], s.values["a_scrapy_pps"][-1]))
        s.add("e_vs_scrapy", s.values["e_ours_big"][-1] / s.values["e_scrapy_big"][-1])

    def _record_walk(self, who: str, result: ChildResult, pages: int, requests: int) -> None:
        self.samples.add(f"a_{who}_pps", pages / result.wall)
        self.samples.add(f"a_{who}_wall", result.wall)
        self.samples.add(f"a_{who}_cpu", result.cpu)
        self.samples.add(f"a_{who}_requests", requests)
        self.samples.add(f"e_{who}_big", result.max_rss_mib)
        progress(
            f"  a: {who:6} {pages} pages in {result.wall:5.2f} s = {pages / result.wall:6.1f}"
            f" pages/s, cpu {result.cpu:5.2f} s, peak {result.max_rss_mib:5.1f} MiB,"
            f" {requests} requests"
        )

    def _rerun(self, number: int) -> None:
        """d: the same archive again without --full; the server counts the requests."""
        self.server.stats(0, reset=True)
        result = self.ours_scrape(self.server.url(0), self.work / f"ours-{number}.db", full=False)
        stats = self.server.stats(0, reset=True)
        s = self.samples
        s.add("d_requests", stats["requests"])
        s.add("d_not_modified", stats["not_modified"])
        s.add("d_wall", result.wall)
        s.add("d_wall_ratio", result.wall / s.values["a_ours_wall"][-1])
        s.add("d_requests_ratio", stats["requests"] / s.values["a_ours_requests"][-1])
        progress(
            f"  d: rerun {stats['requests']} request(s) ({stats['not_modified']} answered 304)"
            f" in {result.wall:.2f} s: {result.stdout.strip()}"
        )

    def _small_walks(self, number: int, ours_first: bool) -> None:
        """e: the same walk on a 10-page site, for both sides."""
        url = self.server.url(1)
        pages = self.config.small_pages

        def ours() -> None:
            result = self.ours_scrape(url, self.work / f"ours-small-{number}.db")
            _expect_posts(self.work / f"ours-small-{number}.db", pages * self.config.per_page)
            self.samples.add("e_ours_small", result.max_rss_mib)
            self.samples.add("e_ours_small_wall", result.wall)

        def scrapy() -> None:
            result = self.scrapy_crawl(url, self.work / f"scrapy-small-{number}.db")
            _expect_posts(self.work / f"scrapy-small-{number}.db", pages * self.config.per_page)
            self.samples.add("e_scrapy_small", result.max_rss_mib)
            self.samples.add("e_scrapy_small_wall", result.wall)

        _alternate(ours, scrapy, ours_first)
        s = self.samples
        s.add("e_growth", s.values["e_ours_big"][-1] / s.values["e_ours_small"][-1])
        s.add("e_scrapy_growth", s.values["e_scrapy_big"][-1] / s.values["e_scrapy_small"][-1])
        progress(
            f"  e: {pages}-page walk peak: ours {s.values['e_ours_small'][-1]:.1f} MiB,"
            f" scrapy {s.values['e_scrapy_small'][-1]:.1f} MiB"
        )

    def _parse(self, number: int, ours_first: bool) -> None:
        """b: ``parse_page`` against raw lxml over the same decoded pages, in-process."""
        profile = get_profile("papermod")
        pages = list(self.html.items())
        results: dict[str, list[tuple[list[Entry], str | None]]] = {}

        def ours() -> None:
            start = time.perf_counter()
            parsed = [
                (url, parse_page(html, url, profile, fetched_at=FETCHED_AT)) for url, html in pages
            ]
            self.samples.add("b_ours_pps", len(pages) / (time.perf_counter() - start))
            self.parsed = parsed
            results["ours"] = [(list(p.entries), (p.next_urls or (None,))[0]) for _, p in parsed]

        def raw() -> None:
            start = time.perf_counter()
            parsed = [lxml_parse(html, url) for url, html in pages]
            self.samples.add("b_lxml_pps", len(pages) / (time.perf_counter() - start))
            results["lxml"] = parsed

        _alternate(ours, raw, ours_first)
        s = self.samples
        s.add("b_ratio", s.values["b_ours_pps"][-1] / s.values["b_lxml_pps"][-1])
        if number == 0:  # the baseline must read the same thing, or the race is void
            same = sum(
                a == b
                for (ours_entries, _), (raw_entries, _) in zip(
                    results["ours"], results["lxml"], strict=True
                )
                for a, b in zip(ours_entries, raw_entries, strict=False)
            )
            total = sum(len(entries) for entries, _ in results["ours"])
            nexts = sum(a[1] == b[1] for a, b in zip(results["ours"], results["lxml"], strict=True))
            self.samples.notes.append(
                f"b: the lxml baseline read the same 5 fields for {same}/{total} entries and the"
                f" same next link on {nexts}/{len(pages)} pages"
            )
        progress(
            f"  b: parse {s.values['b_ours_pps'][-1]:.1f} pages/s ours,"
            f" {s.values['b_lxml_pps'][-1]:.1f} lxml"
        )

    def _store(self, number: int, ours_first: bool) -> None:
        """c: ``save_page`` per page into a fresh archive against raw executemany + commit."""
        pages = self.parsed
        posts = sum(len(parsed.entries) for _, parsed in pages)

        def ours() -> None:
            db = open_archive(str(self.work / f"store-ours-{number}.db"))
            run_id = start_run(db, source="bench", url=self.server.url(0), mode="full")
            start = time.perf_counter()
            for page_number, (url, parsed) in enumerate(pages, 1):
                save_page(
                    db,
                    run_id=run_id,
                    source="bench",
                    entries=parsed.entries,
                    page_url=url,
                    page_number=page_number,
                    next_url=(parsed.next_urls or (None,))[0],
                )
            self.samples.add("c_ours_pps", posts / (time.perf_counter() - start))
            db.close()

        def raw() -> None:
            db = raw_open(str(self.work / f"store-raw-{number}.db"))
            start = time.perf_counter()
            for page_number, (url, parsed) in enumerate(pages, 1):
                raw_store(db, parsed.entries, url, page_number)
            self.samples.add("c_raw_pps", posts / (time.perf_counter() - start))
            db.close()

        _alternate(ours, raw, ours_first)
        s = self.samples
        s.add("c_ratio", s.values["c_ours_pps"][-1] / s.values["c_raw_pps"][-1])
        progress(
            f"  c: archive {s.values['c_ours_pps'][-1]:.0f} posts/s ours,"
            f" {s.values['c_raw_pps'][-1]:.0f} raw sqlite3"
        )

    def _many_sources(self, number: int, ours_first: bool) -> None:
        """f: every source at once against the slowest of a few run alone (the ideal)."""
        n = self.config.sources
        singles = sorted(
            {(number * self.config.singles + k) * 7 % n for k in range(self.config.singles)}
        )
        single_walls: list[float] = []

        def many() -> None:
            result = self.ours_run(range(n), self.work / f"many-{number}.db")
            self.samples.add("f_many", result.wall)

        def alone() -> None:
            for i in singles:
                result = self.ours_run([i], self.work / f"single-{number}-{i}.db")
                single_walls.append(result.wall)

        _alternate(many, alone, ours_first)
        s = self.samples
        s.add("f_ideal", max(single_walls))
        s.add("f_ratio", s.values["f_many"][-1] / max(single_walls))
        names = ", ".join(self.sources[i].site_id for i in singles)
        walls = ", ".join(f"{wall:.2f} s" for wall in single_walls)
        s.notes.append(f"f round {number + 1}: alone {names}: {walls}")
        progress(
            f"  f: {n} sources in {s.values['f_many'][-1]:.2f} s; alone ({names})"
            f" {', '.join(f'{w:.2f}' for w in single_walls)} s"
        )

    def _plain_walks(self, number: int, ours_first: bool) -> None:
        """g: a full walk of the listing no built-in profile recognises, both sides."""
        port = len(self.server.specs) - 1
        url = self.server.url(port)
        pages = self.config.pages

        def walk(who: str, command: Callable[[str, Path], ChildResult]) -> Callable[[], None]:
            def run() -> None:
                db = self.work / f"plain-{who}-{number}.db"
                self.server.stats(port, reset=True)
                result = command(url, db)
                requests = self.server.stats(port, reset=True)["requests"]
                _expect_posts(db, pages * self.config.per_page)
                self.samples.add(f"g_{who}_pps", pages / result.wall)
                self.samples.add(f"g_{who}_requests", requests)
                progress(
                    f"  g: {who:6} {pages} unrecognised pages in {result.wall:5.2f} s ="
                    f" {pages / result.wall:6.1f} pages/s, {requests} requests"
                )

            return run

        _alternate(walk("ours", self.ours_scrape), walk("scrapy", self.scrapy_crawl), ours_first)
        s = self.samples
        s.add("g_ratio", s.values["g_ours_pps"][-1] / s.values["g_scrapy_pps"][-1])

    def _learned_parse(self, number: int, ours_first: bool) -> None:
        """g: the unrecognised pages parsed in-process with the profile learned on page 1
        against the same pages with the built-in profile: what learning costs per page
        once it is done (the learning itself is timed apart, once)."""
        base = self.server.url(len(self.server.specs) - 1).rstrip("/")
        pages = [(base + path, body.decode("utf-8")) for path, body in _plain_pages(self.plain)]
        start = time.perf_counter()
        reader = ListingReader()
        reader.read(pages[0][1], pages[0][0], FETCHED_AT)
        self.samples.add("g_learn_ms", (time.perf_counter() - start) * 1000)
        learned, builtin = reader.profile, get_profile("papermod")
        if learned is None or learned.name != "learned":
            raise RuntimeError(f"page 1 of the plain site was not learned: {learned}")
        read: dict[str, list[list[Entry]]] = {}

        def timed(name: str, profile: Profile) -> Callable[[], None]:
            def run() -> None:
                start = time.perf_counter()
                parsed = [
                    parse_page(html, url, profile, fetched_at=FETCHED_AT) for url, html in pages
                ]
                self.samples.add(f"g_{name}_parse_pps", len(pages) / (time.perf_counter() - start))
                read[name] = [list(p.entries) for p in parsed]

            return run

        _alternate(timed("learned", learned), timed("builtin", builtin), ours_first)
        s = self.samples
        s.add(
            "g_parse_ratio",
            s.values["g_builtin_parse_pps"][-1] / s.values["g_learned_parse_pps"][-1],
        )
        if number == 0:
            same = sum(a == b for a, b in zip(read["learned"], read["builtin"], strict=True))
            s.notes.append(
                f"g: the profile learned on page 1 (in {s.values['g_learn_ms'][-1]:.0f} ms) read"
                f" {same}/{len(pages)} pages exactly as the built-in PaperMod profile does"
            )
        progress(
            f"  g: parse {s.values['g_learned_parse_pps'][-1]:.1f} pages/s learned,"
            f" {s.values['g_builtin_parse_pps'][-1]:.1f} built-in"
        )

    # -- whole run --------------------------------------------------------------------

    def run(self) -> Samples:
        self.setup()
        try:
            for number in range(self.config.rounds):
                order = "ours first" if number % 2 == 0 else "baseline first"
                progress(f"round {number + 1}/{self.config.rounds} ({order})")
                self.round(number)
        finally:
            self.close()
        return self.samples


def _plain_pages(spec: SiteSpec) -> list[tuple[str, bytes]]:
    pages = generate_site(spec)
    return [(page_path(n), pages[page_path(n)]) for n in range(1, spec.pages + 1)]


def _compile_bytecode() -> None:
    """Compile the tool's modules where they are imported from, as pip does when it
    installs a wheel. Scrapy's were compiled when the bench extra was installed; an
    editable checkout's would otherwise be compiled at every start of the tool wherever
    PYTHONDONTWRITEBYTECODE is set (as on this machine)."""
    for name in ("scraper", "archive", "listing_archiver"):
        compileall.compile_dir(Path(importlib.import_module(name).__path__[0]), quiet=1)


def _alternate(a: Callable[[], None], b: Callable[[], None], a_first: bool) -> None:
    for step in (a, b) if a_first else (b, a):
        step()


def _expect_posts(db: Path, expected: int) -> None:
    """A walk that archived the wrong number of posts would make its timing meaningless."""
    with sqlite3.connect(db) as connection:
        found = connection.execute("select count(*) from posts").fetchone()[0]
    connection.close()
    if found != expected:
        raise RuntimeError(f"{db.name}: {found} posts archived, expected {expected}")


def _get(port: int, path: str) -> bytes:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()

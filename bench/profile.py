"""``python -m bench.profile [--pages N] [--top K]``: where a full walk spends its time.

``python -m cProfile -m listing_archiver scrape ...`` sees only the main thread, which
in the tool only writes the archive: the walk (fetch, decode, parse) runs in a worker
thread. Here the same job, ``scrape_source`` with a ``SerialWriter``, runs on one
thread (the writer then runs each call inline), so one profile covers fetch, parse
and archive, against the bench's own server.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from listing_archiver.archive.schema import open_archive
from listing_archiver.job import scrape_source
from listing_archiver.sources import Source
from listing_archiver.writer import SerialWriter

from .server import BenchServer
from .site import SiteSpec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--top", type=int, default=40, help="rows of the profile to print")
    parser.add_argument("--output", type=Path, help="also save the raw profile here")
    args = parser.parse_args(argv)
    with BenchServer([SiteSpec(pages=args.pages)]) as server, tempfile.TemporaryDirectory() as work:
        db = open_archive(str(Path(work) / "profile.db"))
        source = Source(name="bench", url=server.url(), delay=0.0)
        profiler = cProfile.Profile()
        report = profiler.runcall(scrape_source, SerialWriter(db), source, full=True)
        db.close()
    print(report.summary(), file=sys.stderr)
    if args.output:
        profiler.dump_stats(str(args.output))
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(args.top)
    stats.sort_stats("tottime").print_stats(args.top // 2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

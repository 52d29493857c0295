"""``python -m bench [--quick] [--rounds N] [--write-readme]``: measure and print the table.

Run it from the project root in a virtual environment with the ``bench`` extra
(``pip install -e '.[bench]'``): the tool and Scrapy are started with this interpreter,
exactly as a user of that environment would start them. Progress goes to stderr, the
table to stdout.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

from .measure import QUICK, Bench, Config, progress
from .report import END_MARKER, START_MARKER, section, write_readme

README = Path(__file__).resolve().parents[1] / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: 50 pages, 1 round, 4 sources"
    )
    parser.add_argument("--rounds", type=int, help="rounds to take medians of (default 3)")
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help=f"replace the README section between {START_MARKER} and {END_MARKER}",
    )
    parser.add_argument("--readme", type=Path, default=README, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if importlib.util.find_spec("scrapy") is None:
        parser.exit(2, "Scrapy is not installed here: pip install -e '.[bench]' first\n")
    config = QUICK if args.quick else Config()
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error("--rounds must be at least 1")
        config = dataclasses.replace(config, rounds=args.rounds)
    if config.rounds < 3 and not args.quick:
        progress("note: fewer than 3 rounds; the medians are not the figures the issue asks for")

    start = time.perf_counter()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="listing-archiver-bench-") as work:
        try:
            samples = Bench(config, Path(work)).run()
        except RuntimeError as exc:  # a failed command or a wrong count: no figures to trust
            progress(f"bench failed: {exc}")
            return 1
    took = time.perf_counter() - start
    text = section(samples, config, loads=(load_start, os.getloadavg()[0]), took=took)
    print(text)
    if args.write_readme:
        if write_readme(args.readme, text):
            progress(f"wrote the results into {args.readme}")
        else:
            progress(
                f"{args.readme} has no {START_MARKER} ... {END_MARKER} section: not written"
                " (the table is above)"
            )
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

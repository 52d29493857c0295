"""``listing-archiver`` with a 30 s backoff between attempts, for tests that must catch
a run inside a tenacity backoff wait (the real one is 1-2 s, too short to aim a signal
at): ``python -m tests.slow_retries scrape PATH URL``."""

from __future__ import annotations

from functools import partial

from listing_archiver import job
from listing_archiver.cli import main
from listing_archiver.scraper.fetch import FetchSettings

BACKOFF = 30.0

job.FetchSettings = partial(  # type: ignore[misc]
    FetchSettings, backoff_initial=BACKOFF, backoff_max=BACKOFF, backoff_jitter=0
)
main()

"""What the distributed mode (``run --broker``, ``worker``) raises on purpose::

    DistributedError
    ├── DistributedUnavailable   the ``distributed`` extra is not installed
    ├── BrokerLost               the broker is unreachable, or lost a run's pages
    ├── WalkAbandoned            a worker stopping mid-walk (Dramatiq hands it on)
    └── RecordFormatError        a record of another format (another version wrote it)

The walk and the archive keep their own trees (``scraper.errors``, ``archive.errors``).
"""

from __future__ import annotations

EXTRA_HINT = "pip install 'listing-archiver[distributed]'"


class DistributedError(Exception):
    """Base class: everything the distributed mode raises on purpose."""


class DistributedUnavailable(DistributedError):
    def __init__(self, missing: str) -> None:
        super().__init__(f"{missing} is not installed: {EXTRA_HINT}")


class BrokerLost(DistributedError):
    """The broker is unreachable, or lost this run's pages (restarted without them)."""


class WalkAbandoned(DistributedError):
    """The worker is stopping mid-walk: Dramatiq hands the message to another worker."""


class RecordFormatError(DistributedError, ValueError):
    """A record of another format (or none): written by another version of the tool."""

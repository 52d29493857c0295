"""The archive's exceptions.

ArchiveError
└── ArchiveBusy      another run holds the archive's lock
"""

from __future__ import annotations


class ArchiveError(Exception):
    """Base class: everything the archive raises on purpose."""


class ArchiveBusy(ArchiveError):
    def __init__(self, path: str, waited: float) -> None:
        waited_text = f" after waiting {waited:g} s" if waited else ""
        super().__init__(
            f"archive {path} is busy: another listing-archiver run holds its lock{waited_text} "
            "(use --wait SECONDS to wait for it)"
        )
        self.path = path

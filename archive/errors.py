"""The archive's exceptions.

ArchiveError
├── ArchiveBusy          another run holds the archive's lock
└── ExportError          an export could not be written where asked (carries ``path``)
    ├── ExportPathError  the path cannot be written at all: no such folder, read-only...
    └── ExportWriteError writing began and failed: disk full, the reader went away...

The command line reports an ``ExportPathError`` as a usage error (the user named a place
nothing can be written to) and an ``ExportWriteError`` as a failure (the command was right;
the output could not be delivered this time).
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


class ExportError(ArchiveError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class ExportPathError(ExportError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, f"cannot write {path}: {reason}")


class ExportWriteError(ExportError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, f"writing {path} failed: {reason}")

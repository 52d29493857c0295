"""The archive's exceptions.

ArchiveError
├── ArchiveBusy            another run holds the archive's lock
├── ArchiveUnusable        the archive cannot be opened as asked; nothing was written to it
│   ├── NotAnArchive       the path holds something else: not SQLite, another program's
│   │                      database, or (for a reader) nothing yet
│   ├── ArchiveTooOld      a reader needs migrations applied first (``listing-archiver upgrade``)
│   ├── ArchiveTooNew      written by a newer listing-archiver than this one
│   ├── ArchiveOccupied    the path holds a file the caller must not replace (``demo``)
│   ├── SameArchive        a shard given to ``merge`` is its target
│   └── ArchiveInaccessible  the OS or SQLite refused: a missing or read-only folder or file
├── UnknownSource          an export names a source the archive has no runs or posts of
└── ExportError            an export could not be written where asked (carries ``path``)
    ├── ExportPathError    the path cannot be written at all: no such folder, read-only...
    └── ExportWriteError   writing began and failed: disk full, the reader went away...

The command line reports an ``ExportPathError`` as a usage error (the user named a place
nothing can be written to) and an ``ExportWriteError`` as a failure (the command was right;
the output could not be delivered this time); an ``UnknownSource`` is a usage error too.
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


class ArchiveUnusable(ArchiveError):
    """Raised before anything is written: the message is one line that names the path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class UnknownSource(ArchiveError):
    """A typo in ``--source`` would otherwise export nothing and look like success."""

    def __init__(self, source: str, known: list[str]) -> None:
        have = f"it has {', '.join(known)}" if known else "it has no sources yet"
        super().__init__(f"the archive has no source {source!r}: {have}")
        self.source = source
        self.known = known


class ExportError(ArchiveError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path


class NotAnArchive(ArchiveUnusable):
    def __init__(self, path: str, what: str) -> None:
        super().__init__(path, f"{path} {what}")
        self.what = what  # e.g. "is not a SQLite database"


class ArchiveTooOld(ArchiveUnusable):
    def __init__(self, path: str, pending: list[str]) -> None:
        super().__init__(
            path,
            f"archive {path} needs upgrading before it can be read (pending migrations: "
            f"{', '.join(pending)}): run `listing-archiver upgrade {path}` "
            "(scrape and run also upgrade it)",
        )
        self.pending = pending


class ArchiveTooNew(ArchiveUnusable):
    def __init__(self, path: str, unknown: list[str]) -> None:
        super().__init__(
            path,
            f"archive {path} was written by a newer listing-archiver (migrations this version "
            f"does not know: {', '.join(unknown)}): upgrade listing-archiver to use it",
        )
        self.unknown = unknown


class ArchiveOccupied(ArchiveUnusable):
    """The path holds something the command would have to replace, and may not."""


class SameArchive(ArchiveUnusable):
    def __init__(self, path: str, target: str) -> None:
        super().__init__(path, f"{path} is the target archive {target}: nothing to merge")


class ArchiveInaccessible(ArchiveUnusable):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, f"cannot open archive {path}: {reason}")


class ExportPathError(ExportError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, f"cannot write {path}: {reason}")


class ExportWriteError(ExportError):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(path, f"writing {path} failed: {reason}")

"""Standard output as an export's destination: the one place a write to it can fail
(``> /dev/full``: ENOSPC, told in one line; ``| head``: EPIPE once the reader quits, which
is no news to the user who ran ``head``: exit 1 quietly, as ``cat`` does)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TextIO, TypeVar

from listing_archiver.archive.errors import ExportWriteError

T = TypeVar("T")
STDOUT = "standard output"


def write_to_stdout(write: Callable[[TextIO], T]) -> T:
    """``write(sys.stdout)``, flushed; ``ExportWriteError`` when standard output cannot take
    it, after pointing it at the null device so the interpreter's flush at exit does not fail
    a second time on what is still buffered, with a second message."""
    try:
        result = write(sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader took what it wanted and left
        _discard_stdout()
        raise SystemExit(1) from None
    except OSError as exc:
        _discard_stdout()
        raise ExportWriteError(STDOUT, exc.strerror or str(exc)) from None
    return result


def _discard_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (io.UnsupportedOperation)
        pass

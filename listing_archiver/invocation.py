"""How the user started this program, as a command they can type again: for hints such as
the demo's ``listing-archiver history demo.db URL``, which must work as printed.

A bare ``listing-archiver`` works only when that name on PATH is this very program; a
user who ran ``.venv/bin/listing-archiver`` without activating the venv would get "command
not found" (or another installation). So the hint names what ran, as it can be typed
from the current folder: the bare name when PATH finds exactly it, else its path
(relative when it is under the current folder, as ``.venv/bin/listing-archiver``), and
``python -m listing_archiver`` with this interpreter when run as a module.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

PACKAGE = "listing_archiver"


def program(argv0: str | None = None, executable: str | None = None) -> str:
    """The command that starts this program, quoted for a POSIX shell."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if not argv0 or argv0 in ("-c", "-m") or Path(argv0).name == "__main__.py":
        python = sys.executable if executable is None else executable
        return f"{_typed(python)} -m {PACKAGE}"
    return _typed(argv0)


def _typed(path: str) -> str:
    """``path`` as the user can type it here: the bare name if PATH finds this same file
    (compared unresolved: a venv's python is a symlink to the system's, which is not the
    same program), else relative to the current folder when under it, else absolute."""
    name = os.path.basename(path)
    found = shutil.which(name)
    absolute = os.path.abspath(path)
    if found is not None and os.path.abspath(found) == absolute:
        return shlex.quote(name)
    try:
        relative = os.path.relpath(absolute)
    except ValueError:  # another drive, on Windows
        relative = os.pardir
    if relative != os.pardir and not relative.startswith(os.pardir + os.sep):
        shown = relative if os.sep in relative else os.path.join(os.curdir, relative)
        return shlex.quote(shown)
    return shlex.quote(absolute)

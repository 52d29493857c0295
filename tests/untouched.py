"""Evidence that a command left a file alone, and a child process the file system really
refuses, even when the tests run as root (as in CI, where chmod alone stops nothing).

As root, a child started by :func:`run_obeying_permissions` drops CAP_DAC_OVERRIDE,
CAP_DAC_READ_SEARCH and CAP_FOWNER from its capability bounding set before it execs, so
the exec'd ``listing-archiver`` (still uid 0, still able to read the root-owned
interpreter) is bound by file modes like any user: a 0o555 folder and a 0o444 file
refuse it. :func:`permissions_bind` checks that this works on the machine at hand.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEADLINE = 60.0  # guards against a hang only
PR_CAPBSET_DROP = 24  # <linux/prctl.h>
ROOT_OVERRIDES = (1, 2, 3)  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
BESIDE = ("-wal", "-shm", ".lock", "-journal")


@dataclass(frozen=True)
class FileState:
    """A file's bytes (as a hash) and modification time, and what lies beside it."""

    digest: str
    mtime_ns: int
    beside: tuple[str, ...]


def state(path: Path) -> FileState:
    return FileState(
        digest=hashlib.sha256(path.read_bytes()).hexdigest(),
        mtime_ns=path.stat().st_mtime_ns,
        beside=companions(path),
    )


def companions(path: Path) -> tuple[str, ...]:
    """Which of the files SQLite or the lock put beside ``path`` exist."""
    return tuple(s for s in BESIDE if Path(f"{path}{s}").exists())


def _obey_permissions() -> None:
    """Run in the child between fork and exec: see the module docstring."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in ROOT_OVERRIDES:
        libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)


def run_obeying_permissions(*args: str) -> subprocess.CompletedProcess[str]:
    """``listing-archiver ARGS`` in a child process bound by file modes."""
    return python_obeying_permissions("-m", "listing_archiver", *args)


def python_obeying_permissions(*args: str) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a child process bound by file modes, from the project's root."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        preexec_fn=_obey_permissions,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )


def permissions_bind(folder: Path) -> bool:
    """Whether a child from :func:`run_obeying_permissions` is refused by a read-only
    folder here (False where the capabilities cannot be dropped, e.g. no CAP_SETPCAP)."""
    probe = folder / "permission-probe"
    probe.mkdir()
    probe.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-c", f"open({str(probe / 'x')!r}, 'w')"],
            preexec_fn=_obey_permissions,
            capture_output=True,
            timeout=DEADLINE,
        )
        return result.returncode != 0
    finally:
        probe.chmod(0o755)
        (probe / "x").unlink(missing_ok=True)
        probe.rmdir()

"""The demo's closing hints are commands that work as printed: they name the program as it
was started (a path, the bare name PATH finds, or ``python -m``), their URL is the same in
every demo archive, and the Datasette line appears only when Datasette is missing."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from listing_archiver.demo import DEMO_SITE, EDITED_POST
from listing_archiver.invocation import program

DEADLINE = 60.0  # only guards against a hang
VENV_BIN = Path(sys.executable).parent
SCRIPT = VENV_BIN / "listing-archiver"  # the console script pip made beside this python
BARE_PATH = os.pathsep.join(["/usr/bin", "/bin"])  # a PATH without this venv
NEEDS_DATASETTE = "needs Datasette"
# `python -c` with Datasette hidden: importing it fails, as in an environment without it.
WITHOUT_DATASETTE = (
    "import sys; sys.modules['datasette'] = None; from listing_archiver.cli import main; main()"
)


def run(command: list[str], cwd: Path, path: str = BARE_PATH) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path}
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=DEADLINE
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def hint(output: str, label: str) -> list[str]:
    return shlex.split(output.split(label)[1].splitlines()[0])


def assert_history_works(output: str, cwd: Path, path: str = BARE_PATH) -> list[str]:
    """Runs the printed history command exactly as printed; returns it."""
    command = hint(output, "See an edit:")
    assert command[-1] == f"{DEMO_SITE}{EDITED_POST}"
    shown = run(command, cwd, path)
    assert "2 versions" in shown.stdout and "changed title:" in shown.stdout
    return command


@pytest.fixture(scope="module", autouse=True)
def console_script_present() -> None:
    assert SCRIPT.is_file(), f"{SCRIPT}: the tests run from the project's venv"


def test_run_by_a_relative_path_the_hints_name_that_path(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "listing-archiver").symlink_to(SCRIPT)
    output = run(["bin/listing-archiver", "demo"], tmp_path).stdout
    command = assert_history_works(output, tmp_path)
    assert command[:3] == ["bin/listing-archiver", "history", "demo.db"]
    assert hint(output, "Browse it:") == ["bin/listing-archiver", "serve", "demo.db"]


def test_run_by_an_absolute_path_outside_the_folder_the_hints_name_it_whole(tmp_path):
    output = run([str(SCRIPT), "demo"], tmp_path).stdout
    assert assert_history_works(output, tmp_path)[0] == str(SCRIPT)


def test_found_on_path_the_hints_use_the_bare_name(tmp_path):
    path = os.pathsep.join([str(VENV_BIN), BARE_PATH])
    output = run(["listing-archiver", "demo"], tmp_path, path).stdout
    assert assert_history_works(output, tmp_path, path)[0] == "listing-archiver"


def test_run_as_a_module_the_hints_say_python_m_and_their_url_is_the_same_every_demo(tmp_path):
    first = run([sys.executable, "-m", "listing_archiver", "demo"], tmp_path).stdout
    command = hint(first, "See an edit:")
    assert command[:3] == [sys.executable, "-m", "listing_archiver"]
    assert "127.0.0.1" not in " ".join(command)  # not the port the site was served on
    second = run([sys.executable, "-m", "listing_archiver", "demo"], tmp_path).stdout
    assert hint(second, "See an edit:") == command
    assert_history_works(first, tmp_path)  # the first demo's command on the second's data


def test_the_datasette_hint_appears_only_when_datasette_is_missing(tmp_path):
    installed = run([sys.executable, "-m", "listing_archiver", "demo"], tmp_path).stdout
    assert "Browse it:" in installed and NEEDS_DATASETTE not in installed
    missing = run([sys.executable, "-c", WITHOUT_DATASETTE, "demo"], tmp_path).stdout
    assert f"{NEEDS_DATASETTE}: pip install 'datasette==" in missing
    assert hint(missing, "See an edit:")[:3] == [sys.executable, "-m", "listing_archiver"]


def test_program_quotes_a_path_a_shell_would_split(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", BARE_PATH)
    assert program("my tools/listing-archiver") == "'my tools/listing-archiver'"
    assert program("listing-archiver") == "./listing-archiver"  # in this folder, not on PATH
    assert (
        program("/opt/x/__main__.py", "/opt/py 3/python")
        == "'/opt/py 3/python' -m listing_archiver"
    )

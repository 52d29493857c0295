"""The package as published: one import name, the licence inside, metadata a package index
accepts, and a clear refusal on a Python too old for it.

These tests build the real sdist and wheel (``python -m build``, which fetches the build
backend from the package index as pip does) and install the wheel into a fresh venv.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from listing_archiver import __version__

from .conftest import ROOT

TOP_LEVEL_FOLDERS = ("scraper", "archive")  # installed inside listing_archiver, never beside it


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An sdist and a wheel built from the checkout, the wheel from the sdist (as
    ``python -m build`` does), so both carry everything."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out


def _wheel(dist: Path) -> Path:
    (wheel,) = dist.glob("*.whl")
    return wheel


def _site_packages(env: Path) -> Path:
    (site,) = env.glob("lib/python3*/site-packages")
    return site


def test_every_import_spells_the_installed_package_name():
    """From a checkout, ``import scraper`` would work too, as a second copy of every module
    and exception class; code must only use the names the wheel installs."""
    bare = []
    for folder in ("scraper", "archive", "listing_archiver", "tests", "bench"):
        for path in (ROOT / folder).rglob("*.py"):
            if any(part in TOP_LEVEL_FOLDERS for part in path.relative_to(ROOT).parts[1:2]):
                continue  # listing_archiver/scraper, /archive: the symlinks, seen at the top
            for node in ast.walk(ast.parse(path.read_text("utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                bare += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                    for name in names
                    if name.split(".")[0] in TOP_LEVEL_FOLDERS
                ]
    assert bare == []


def test_the_wheel_installs_one_top_level_name_with_its_data_and_licence(
    dist: Path, tmp_path: Path
):
    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    before = {p.name for p in _site_packages(env).iterdir()}
    subprocess.run(
        [env / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", _wheel(dist)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    site = _site_packages(env)
    added = {p.name for p in site.iterdir()} - before
    assert added == {"listing_archiver", f"listing_archiver-{__version__}.dist-info"}

    package = site / "listing_archiver"
    for part in (
        "scraper/fetch.py",
        "scraper/profiles/papermod.toml",
        "archive/store.py",
        "fixtures/papermod/earlier/index.html",
        "datasette_metadata.json",
        "datasette_plugin/static/archive.css",
        "py.typed",
    ):
        assert (package / part).is_file(), part
    assert not any(p.is_symlink() for p in package.rglob("*"))  # plain folders, not links
    licence = site / f"listing_archiver-{__version__}.dist-info" / "licenses" / "LICENSE"
    assert "Apache License" in licence.read_text("utf-8")


def test_sdist_and_wheel_pass_twine_check_and_carry_the_metadata(dist: Path):
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *sorted(dist.iterdir())],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(_wheel(dist)) as wheel:
        metadata = wheel.read(f"listing_archiver-{__version__}.dist-info/METADATA").decode()
    for field in (
        "License-Expression: Apache-2.0",
        "License-File: LICENSE",
        "Author: The listing-archiver developers",
        "Keywords: ",
        "Classifier: Programming Language :: Python :: 3.11",
        "Project-URL: Source, ",
        "Requires-Python: >=3.11",
    ):
        assert field in metadata, field


def test_an_older_python_is_refused_with_its_version_in_the_message(dist: Path, tmp_path: Path):
    """pip, asked to install for Python 3.10, names both versions instead of failing later
    on some dependency."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-index",
            "--only-binary=:all:",
            "--python-version",
            "3.10",
            "--dest",
            str(tmp_path),
            str(_wheel(dist)),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "requires a different Python: 3.10" in result.stderr
    assert ">=3.11" in result.stderr

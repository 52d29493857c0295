"""The README's promises: its two opening commands, CI running the same test command,
and every CLI command documented."""

from __future__ import annotations

import re
import shlex
import tomllib

from listing_archiver.cli import cli
from listing_archiver.serve import INSTALL_HINT
from listing_archiver.sources import load_sources

from .conftest import ROOT

README = (ROOT / "README.md").read_text("utf-8")


def _opening_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", README, re.S)
    assert block is not None and README.index(block.group(0)) < README.index("\n## ")
    return block.group(1).strip().splitlines()


def test_readme_opens_with_two_commands_demo_then_tests():
    demo, tests = _opening_commands()
    assert demo.endswith("listing-archiver demo")
    assert "pytest" in tests


def test_ci_runs_the_readmes_test_command():
    _, tests = _opening_commands()
    ci = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert tests in ci
    assert any(line.strip().endswith("ruff check .") for line in ci)


def test_every_cli_command_and_option_is_documented():
    for name, command in cli.commands.items():
        assert f"listing-archiver {name}" in README or f"`{name} " in README, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    assert f"`{opt}" in README, f"{name} {opt}"


def _command_lines() -> list[str]:
    """Every listing-archiver command a user is told to run unattended."""
    service = (ROOT / "examples" / "systemd" / "listing-archiver.service").read_text("utf-8")
    workflow = (ROOT / "examples" / "github-actions" / "archive.yml").read_text("utf-8")
    cron = [line for line in README.splitlines() if line.startswith("17 * * * *")]
    execstart = [
        line.split("=", 1)[1] for line in service.splitlines() if line.startswith("ExecStart=")
    ]
    steps = [
        line.split("run:", 1)[1]
        for line in workflow.splitlines()
        if "run: listing-archiver" in line
    ]
    return [*cron, *execstart, *steps]


def test_scheduling_examples_use_real_commands_and_options():
    lines = _command_lines()
    assert len(lines) == 3  # cron, systemd, GitHub Actions
    for line in lines:
        words = shlex.split(line.split("&&")[-1])
        args = words[next(i for i, w in enumerate(words) if w.endswith("listing-archiver")) + 1 :]
        command = cli.commands[args[0]]
        command.make_context(args[0], args[1:])  # raises on an unknown option or bad value


def test_example_sources_file_loads():
    [source] = load_sources(ROOT / "examples" / "sources.toml")
    assert (source.name, source.profile, source.max_pages, source.delay) == (
        "veritable",
        "papermod",
        50,
        2.0,
    )


def test_the_datasette_install_hint_names_the_pinned_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    [pin] = pyproject["project"]["optional-dependencies"]["datasette"]
    assert f"pip install '{pin}'" in INSTALL_HINT

"""The README's promises: its two opening commands, CI running the same test command,
and every CLI command documented."""

from __future__ import annotations

import re

from listing_archiver.cli import cli

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

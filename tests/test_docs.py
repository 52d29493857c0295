"""The README's promises: its two opening commands, CI running the same test command,
and every CLI command documented."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

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


WORKFLOWS = ROOT / "examples" / "github-actions"


def _steps(name: str) -> dict[str, dict[str, Any]]:
    """A workflow example's steps, by id (or name, or the action they use)."""
    workflow = yaml.safe_load((WORKFLOWS / name).read_text("utf-8"))
    steps = workflow["jobs"]["archive"]["steps"]
    return {step.get("id") or step.get("name") or step["uses"]: step for step in steps}


def _command_lines() -> list[str]:
    """Every listing-archiver command a user is told to run unattended."""
    service = (ROOT / "examples" / "systemd" / "listing-archiver.service").read_text("utf-8")
    cron = [line for line in README.splitlines() if line.startswith("17 * * * *")]
    execstart = [
        line.split("=", 1)[1] for line in service.splitlines() if line.startswith("ExecStart=")
    ]
    steps = [
        line
        for name in ("archive.yml", "archive-release.yml")
        for step in _steps(name).values()
        for line in step.get("run", "").splitlines()
        if line.startswith("listing-archiver ")
    ]
    return [*cron, *execstart, *steps]


def test_scheduling_examples_use_real_commands_and_options():
    lines = _command_lines()
    assert len(lines) == 4  # cron, systemd, the two GitHub Actions workflows
    for line in lines:
        words = shlex.split(line.split("&&")[-1].split(">")[0])
        args = words[next(i for i, w in enumerate(words) if w.endswith("listing-archiver")) + 1 :]
        assert "--db" not in args, line  # the archive first; --db is deprecated
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


# -- Beyond one machine: compose.yaml, the Dockerfile and the systemd units --------------

COMPOSE = ROOT / "compose.yaml"
SYSTEMD = ROOT / "examples" / "systemd"
WORKER_UNIT = SYSTEMD / "listing-archiver-worker@.service"
WRITER_UNIT = SYSTEMD / "listing-archiver-writer.service"


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE.read_text("utf-8")))


def _compose_commands() -> dict[str, list[str]]:
    """Each service's listing-archiver command, as its shell would split it (the
    writer's is a line of its schedule loop, ``$$`` being Compose's escaped ``$``)."""
    commands = {}
    for name, service in _compose()["services"].items():
        command = service.get("command", [])
        if command[:1] == ["listing-archiver"]:
            commands[name] = command
        for line in " ".join(command).replace("$$", "$").splitlines():
            if line.strip().startswith("listing-archiver "):
                commands[name] = shlex.split(line.split(" & ")[0])
    return commands


def _unit_command(unit: Path) -> list[str]:
    """The unit's ExecStart with its Environment= values put in, as systemd does."""
    lines = unit.read_text("utf-8").splitlines()
    environment = dict(
        line.removeprefix("Environment=").split("=", 1)
        for line in lines
        if line.startswith("Environment=")
    )
    [start] = [line.removeprefix("ExecStart=") for line in lines if line.startswith("ExecStart=")]
    for name, value in environment.items():
        start = start.replace(f"${{{name}}}", value)
    words = shlex.split(start)
    return words[next(i for i, w in enumerate(words) if w.endswith("/listing-archiver")) :]


def _check_against_cli(words: list[str]) -> None:
    """``listing-archiver COMMAND ARGS`` is accepted by the CLI."""
    assert words[0] == "listing-archiver" or words[0].endswith("/listing-archiver")
    name, args = words[1], words[2:]
    assert "--db" not in args  # the archive first; --db is deprecated
    cli.commands[name].make_context(name, args)  # raises on an unknown option or bad value


def test_compose_and_systemd_commands_use_real_commands_and_options():
    commands = [*_compose_commands().values(), _unit_command(WORKER_UNIT)]
    commands.append(_unit_command(WRITER_UNIT))
    assert [words[1] for words in commands] == ["worker", "run", "worker", "run"]
    for words in commands:
        _check_against_cli(words)


def test_compose_runs_redis_two_workers_and_one_writer_on_one_broker():
    services = _compose()["services"]
    assert set(services) == {"redis", "worker", "writer"}
    assert services["worker"]["deploy"]["replicas"] == 2
    assert "writer" not in services["writer"].get("deploy", {})  # one writer, never replicated
    assert "--appendonly" in services["redis"]["command"]  # in-flight work survives a restart
    brokers = {words[words.index("--broker") + 1] for words in _compose_commands().values()}
    assert brokers == {"redis://redis:6379/0"}  # the redis service, on Redis' port
    writer = services["writer"]
    archive = _compose_commands()["writer"][3]  # run ARCHIVE SOURCES
    assert not archive.startswith("/") and any(
        volume.endswith(f":{writer['working_dir']}") for volume in writer["volumes"]
    )  # the archive lives in the bind-mounted folder, not in the container
    assert all(service.get("build") == "." for service in (services["worker"], writer))


def test_the_image_installs_the_distributed_extra_from_the_checkout():
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    assert "pip install --no-cache-dir '.[distributed]'" in dockerfile
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    assert "distributed" in extras
    ignored = (ROOT / ".dockerignore").read_text("utf-8").split()
    assert {".git", ".venv", "*.db"} <= set(ignored)
    assert "archive" not in ignored  # the archive package, not the data folder


def test_the_systemd_worker_and_writer_share_a_broker_and_the_timer_starts_the_writer():
    brokers = {words[words.index("--broker") + 1] for words in map(_unit_command, _units())}
    assert len(brokers) == 1
    timer = (SYSTEMD / "listing-archiver-writer.timer").read_text("utf-8")
    assert "Unit=" not in timer  # so it starts the service of its own name
    assert "WantedBy=default.target" in WORKER_UNIT.read_text("utf-8")  # a user unit


def _units() -> list[Path]:
    return [WORKER_UNIT, WRITER_UNIT]


def test_systemd_accepts_the_unit_files(tmp_path):
    """``systemd-analyze verify`` on every unit, as installed for a user whose home is
    tmp_path (the worker template as its instance @1): no warning, no error."""
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed (systemd is not this machine's init)")
    venv = tmp_path / "archive" / ".venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "listing-archiver").symlink_to(Path(sys.executable).parent / "listing-archiver")
    units = tmp_path / "units"
    units.mkdir()
    for unit in SYSTEMD.glob("listing-archiver*"):
        name = unit.name.replace("@.", "@1.")
        (units / name).write_text(unit.read_text("utf-8").replace("%h", str(tmp_path)))
    names = sorted(path.name for path in units.iterdir())
    assert len(names) == 5
    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *names],
        cwd=units,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# The GitHub Actions examples: commit only when posts changed; never replace the archive
# after a failed download.

COMMIT_STEP = "Save the archive (commit it back when posts changed)"


def _count_changes(script: str, summary: str, tmp: Path) -> str:
    """Runs the workflow's counting step in bash, as a runner would, on ``summary``."""
    (tmp / "run.json").write_text(summary, "utf-8")
    output = tmp / "github_output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp, env=env, timeout=60)
    assert done.returncode == 0
    return output.read_text("utf-8")


def test_the_workflow_commits_only_when_the_runs_summary_counts_changed_posts():
    steps = _steps("archive.yml")
    assert steps["Archive"]["run"].rstrip().endswith("--json > run.json")
    assert steps["changes"]["if"] == "${{ !cancelled() }}"
    commit = steps[COMMIT_STEP]
    assert commit["if"] == "${{ !cancelled() && steps.changes.outputs.posts > 0 }}"
    assert "git diff" not in commit["run"]  # every run changes the file: see the comment


def test_the_counting_step_sums_new_changed_and_removed_posts_from_real_runs(site, tmp_path):
    script = _steps("archive.yml")["changes"]["run"]
    scrape = [sys.executable, "-m", "listing_archiver", "scrape", str(tmp_path / "archive.db"),
              site.url("/"), "--delay", "0", "--json"]  # fmt: skip

    def summary() -> str:
        done = subprocess.run(scrape, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 0, done.stderr
        return done.stdout

    first = summary()
    assert json.loads(first)["total"]["new_posts"] == 17
    assert _count_changes(script, first, tmp_path) == "posts=17\n"
    assert _count_changes(script, summary(), tmp_path) == "posts=0\n"  # nothing new: no commit
    changed = json.dumps({"total": {"new_posts": 0, "changed_posts": 2, "removed_posts": 1}})
    assert _count_changes(script, changed, tmp_path) == "posts=3\n"
    assert _count_changes(script, "", tmp_path) == "posts=0\n"  # exit 2 or 3: no summary


def _restore(tmp: Path, gh_says: str) -> tuple[int, list[str]]:
    """The release workflow's restore step, with a stand-in ``gh`` that answers the
    release lookup as told and logs every call (no network: GitHub is not contacted)."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    log = tmp / "gh.log"
    log.write_text("")
    gh = bin_dir / "gh"
    gh.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\nif [ "$1 $2" = "release view" ]; then\n  {gh_says}\nfi\n'
    )
    gh.chmod(0o755)
    script = _steps("archive-release.yml")["restore"]["run"]
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-e", "-c", script], cwd=tmp, env=env, timeout=60)
    return done.returncode, log.read_text("utf-8").splitlines()


def test_the_release_workflow_downloads_the_asset_or_creates_the_release_first(tmp_path):
    code, calls = _restore(tmp_path, "echo archive.db; echo notes.txt")
    assert code == 0 and calls[-1] == "release download archive -p archive.db"
    code, calls = _restore(tmp_path, 'echo "release not found" >&2; exit 1')
    assert code == 0 and calls[-1].startswith("release create archive")


def test_the_release_workflow_stops_and_uploads_nothing_when_the_lookup_fails(tmp_path):
    code, calls = _restore(tmp_path, 'echo "HTTP 502: Bad Gateway" >&2; exit 1')
    assert code != 0
    assert not [call for call in calls if "create" in call or "download" in call]
    save = _steps("archive-release.yml")["Save the archive (replace the release asset)"]
    assert save["if"] == "${{ !cancelled() && steps.restore.outcome == 'success' }}"
    assert save["run"] == "gh release upload archive archive.db --clobber"

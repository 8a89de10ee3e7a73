"""The CI and schedule examples in docs/ci/ are valid as their tools read them, and every chaosdrill
command they run exists, parses, and names drill files that exist and pass validation."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from harness.cli import build_parser
from harness.suite.model import collect_suite
from harness.suite.runner import SuiteOptions, checked_entries
from tests.e2e.drills import REPO

CI = REPO / "docs" / "ci"
SCHEMAS = {"github-actions.yml": "vendor.github-workflows", "gitlab-ci.yml": "vendor.gitlab-ci"}


def validate_schema(path: Path, schema: str) -> subprocess.CompletedProcess[str]:
    """Against the schema the check-jsonschema package ships (GitHub's and GitLab's published ones)."""
    argv = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_workflow_is_valid_for_its_ci(name):
    result = validate_schema(CI / name, SCHEMAS[name])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_schema_check_catches_a_broken_workflow(name, tmp_path):
    broken = tmp_path / name
    text = (CI / name).read_text()
    broken.write_text(text.replace("runs-on:", "runs_on:").replace("  script:", "  scripts:"))
    assert validate_schema(broken, SCHEMAS[name]).returncode == 1


def _shell_commands(script: str) -> list[list[str]]:
    """Each `chaosdrill ...` command of a shell snippet, as words, without its redirections."""
    commands = []
    for line in script.splitlines():
        for part in re.split(r"&&|\|\||;|\|", line):
            words = _without_redirections(shlex.split(part, comments=True))
            if words[:1] == ["chaosdrill"] or (words and words[0].endswith("/chaosdrill")):
                commands.append(words)
    return commands


def _without_redirections(words: list[str]) -> list[str]:
    """`cmd args >> log 2>&1` -> `cmd args`."""
    kept, skip_next = [], False
    for word in words:
        if skip_next:
            skip_next = False
        elif re.fullmatch(r"\d?>>?|\d?<", word):
            skip_next = True  # the file is the next word
        elif not re.fullmatch(r"\d?>>?\S+|\d?>&\d", word):
            kept.append(word)
    return kept


def _github_commands() -> list[list[str]]:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    return [c for s in steps if "run" in s for c in _shell_commands(s["run"])]


def _gitlab_commands() -> list[list[str]]:
    job = yaml.safe_load((CI / "gitlab-ci.yml").read_text())["chaos-drills"]
    return [c for line in job["script"] + job["after_script"] for c in _shell_commands(line)]


def _cron_line() -> list[str]:
    lines = [
        x for x in (CI / "chaosdrill-nightly.cron").read_text().splitlines() if x and not x.startswith("#")
    ]
    return [x for x in lines if not re.match(r"^[A-Z_]+=", x)]


def _cron_commands() -> list[list[str]]:
    [line] = _cron_line()
    return _shell_commands(line.split(None, 6)[6])


def _systemd_commands() -> list[list[str]]:
    text = (CI / "chaosdrill-nightly.service").read_text()
    return [shlex.split(m) for m in re.findall(r"^Exec\w*=(.+)$", text, re.M)]


EXAMPLES = {"github": _github_commands, "gitlab": _gitlab_commands, "cron": _cron_commands,
            "systemd": _systemd_commands}  # fmt: skip


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_every_chaosdrill_command_parses_and_its_suite_validates(example):
    commands = EXAMPLES[example]()
    assert {c[1] for c in commands} == {"suite", "trends"}, commands
    for words in commands:
        args = build_parser().parse_args(words[1:])  # exit 2 (SystemExit) on an unknown command or flag
        if args.command == "suite":
            paths = [REPO / p for p in args.paths]
            assert all(p.exists() for p in paths), paths
            entries = checked_entries(collect_suite(paths, args.tag), SuiteOptions(overrides=args.overrides))
            assert len(entries) >= 6


def test_the_systemd_units_verify(tmp_path):
    """`systemd-analyze verify` checks every setting; the ExecStart binary is pointed at this install."""
    beside_python = Path(sys.executable).parent / "chaosdrill"
    installed = str(beside_python) if beside_python.exists() else shutil.which("chaosdrill")
    assert installed, "chaosdrill is not installed (pip install -e .)"
    for name in ("chaosdrill-nightly.service", "chaosdrill-nightly.timer"):
        text = (CI / name).read_text().replace("/opt/chaosdrill/venv/bin/chaosdrill", installed)
        (tmp_path / name).write_text(text)
    units = [str(tmp_path / "chaosdrill-nightly.timer"), str(tmp_path / "chaosdrill-nightly.service")]
    result = subprocess.run(["systemd-analyze", "verify", *units], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    broken = tmp_path / "chaosdrill-nightly.timer"
    broken.write_text(broken.read_text().replace("*-*-* 02:30:00", "every night"))
    assert subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True).returncode != 0


_CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]


def test_the_cron_line_has_valid_schedule_fields_and_a_user():
    [line] = _cron_line()
    fields = line.split(None, 6)
    for field, (low, high) in zip(fields[:5], _CRON_RANGES, strict=True):
        for item in field.split(","):
            base, _, step = item.partition("/")
            assert not step or step.isdigit(), item
            if base != "*":
                bounds = [int(n) for n in base.split("-")]
                assert all(low <= n <= high for n in bounds), item
    assert fields[5] == "chaosdrill"  # /etc/cron.d lines name the user

"""What a suite runs: scenario files given directly or in a folder, or listed in a suite file.

    name: nightly
    drills:
      - scenario: ../scenarios/gpu_node_kill.yaml     # relative to the suite file
        tags: [gpu, failover]
      - scenario: ../scenarios/gpu_node_kill.yaml
        id: gpu-node-kill-no-breaker                  # default: the scenario's name; unique in the suite
        set: [stack.gateway.mechanisms.circuit_breaker.enabled=false]
        seed: 11

A YAML file with a top-level `drills` key is a suite file; any other is a scenario. A folder contributes
its `*.yaml`/`*.yml` files (not its subfolders), in name order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import InputError
from harness.scenario.model import MAX_SEED
from harness.scenario.strict import MAX_NAME_LENGTH
from harness.scenario.yaml_input import YamlInputError, read_yaml

_NAME = rf"^[a-z0-9][a-z0-9_.-]{{0,{MAX_NAME_LENGTH - 1}}}$"
"""As scenario names: they name run directories and JUnit test suites."""


class SuiteDrill(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: Path
    id: str | None = Field(None, pattern=_NAME)
    set: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    seed: int | None = Field(None, ge=0, lt=MAX_SEED)


class SuiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, pattern=_NAME)
    description: str = ""
    drills: list[SuiteDrill] = Field(min_length=1)


@dataclass(frozen=True)
class SuiteEntry:
    """One drill of the suite: a scenario file with its overrides."""

    scenario: Path
    id: str | None = None
    """None until the scenario is read: then its name."""
    overrides: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    seed: int | None = None


@dataclass(frozen=True)
class Suite:
    name: str
    entries: list[SuiteEntry]


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def _read_suite_file(path: Path, data: dict) -> tuple[str, list[SuiteEntry]]:
    try:
        suite = SuiteFile.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in error["loc"])
        message = (
            "unknown key"
            if error["type"] == "extra_forbidden"
            else error["msg"].removeprefix("Value error, ")
        )
        raise InputError(f"{path}: {where}: {message}" if where else f"{path}: {message}") from None
    entries = []
    for index, drill in enumerate(suite.drills):
        scenario = path.parent / drill.scenario
        if not scenario.is_file():
            raise InputError(f"{path}: drills[{index}].scenario: no such file {scenario}")
        entries.append(SuiteEntry(scenario, drill.id, drill.set, drill.tags, drill.seed))
    return suite.name or path.stem, entries


def _read(path: Path) -> tuple[str | None, list[SuiteEntry]]:
    """A suite file's name and drills, or (None, the scenario itself)."""
    try:
        data = read_yaml(path, "file")
    except YamlInputError as exc:
        raise InputError(f"{path}: {exc}") from None
    if isinstance(data, dict) and "drills" in data:
        return _read_suite_file(path, data)
    return None, [SuiteEntry(path)]


def collect_suite(paths: list[Path], tags: list[str]) -> Suite:
    """The drills `paths` name, those with one of `tags` if any are given, and the suite's name (the
    suite file's, else the one folder's, else `suite`)."""
    names, entries = [], []
    for path in paths:
        if path.is_dir():
            files = _yaml_files(path)
            if not files:
                raise InputError(f"{path}: no *.yaml drill files in this folder")
            names.append(_slug(path.resolve().name))
            for file in files:
                entries += _read(file)[1]
        elif path.is_file():
            name, found = _read(path)
            names.append(name)
            entries += found
        else:
            raise InputError(f"{path}: no such file or folder")
    if tags:
        entries = [e for e in entries if set(e.tags) & set(tags)]
        if not entries:
            raise InputError(f"--tag {', '.join(tags)}: no drill in the suite has this tag")
    name = names[0] if len(names) == 1 and names[0] else "suite"
    return Suite(name, entries)


def _slug(text: str) -> str:
    """A folder's name as a suite name: lower-case letters, digits, '-', '_' and '.'."""
    return re.sub(r"[^a-z0-9_.-]+", "-", text.lower()).strip("-._")[:MAX_NAME_LENGTH]

"""Reading a scenario file into a validated `Scenario`, with one-line errors that name file and field."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from harness.errors import InputError
from harness.scenario.checks import check_semantics
from harness.scenario.compose import compose_nodes
from harness.scenario.model import ReplicaSpec, Scenario
from harness.scenario.process_nodes import process_nodes
from harness.scenario.requests import resolve_locustfile
from harness.scenario.safety import check_safety
from harness.scenario.yaml_input import YamlInputError, parse_yaml, read_yaml


def load_scenario(path: str | Path, overrides: Sequence[str] = (), base: Path | None = None) -> Scenario:
    """Parse, apply `--set key.path=value` overrides, validate and cross-check.

    Every problem becomes an `InputError` naming file and field. Overrides let one drill file run against
    variants of the stack (e.g. `stack.gateway.profile=fragile`) without copies of the file. Relative paths
    in the file resolve against `base` (default: the file's folder): a run directory's copy of a scenario
    resolves them where the original was.
    """
    path = Path(path)
    try:
        data = read_yaml(path, "scenario file")
    except YamlInputError as exc:
        raise _refusal(path, str(exc)) from None
    if not isinstance(data, dict):
        raise _refusal(path, "expected a mapping of scenario fields at the top level")
    for override in overrides:
        _apply_override(data, override)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise _refusal(path, _first_error(exc)) from None
    try:
        scenario = _resolve_files(scenario, path.parent if base is None else base)
        check_semantics(scenario)
        check_safety(scenario)
    except ValueError as exc:
        raise _refusal(path, str(exc)) from None
    return scenario


MAX_MESSAGE_CHARS = 600


def _refusal(path: Path, message: str) -> InputError:
    """One line of bounded length: messages quote the offending value, which may be a megabyte long."""
    if len(message) > MAX_MESSAGE_CHARS:
        message = message[: MAX_MESSAGE_CHARS - 1] + "…"
    return InputError(f"{path}: {message}")


def _resolve_files(scenario: Scenario, base: Path) -> Scenario:
    """Paths in a scenario are relative to it; a compose file or a processes stack also supplies the
    stack's nodes."""
    scenario = scenario.model_copy(deep=True)
    replay = scenario.load.profile.replay
    if replay is not None:
        scenario.load.profile.replay = base / replay
        if not scenario.load.profile.replay.is_file():
            raise ValueError(f"load.profile.replay: no such file {scenario.load.profile.replay}")
    resolve_locustfile(scenario.load, base)
    compose = scenario.stack.compose
    if compose is not None:
        if "replicas" in scenario.stack.model_fields_set:
            raise ValueError(
                "stack.replicas: a compose stack's nodes are its services (see stack.compose.nodes)"
            )
        compose.file = base / compose.file
        scenario.stack.replicas = compose_nodes(compose)
    processes = scenario.stack.processes
    if processes is not None:
        if "replicas" in scenario.stack.model_fields_set:
            raise ValueError("stack.replicas: a processes stack's nodes are stack.processes.nodes")
        if scenario.stack.port is not None:
            raise ValueError("stack.port: a processes stack listens on its nodes' ports: set nodes[].port")
        scenario.stack.replicas = process_nodes(processes, base)
    external = scenario.stack.external
    if external is not None:
        if "replicas" in scenario.stack.model_fields_set:
            raise ValueError("stack.replicas: an external stack's nodes are stack.external.nodes")
        scenario.stack.replicas = [ReplicaSpec.from_labels(n.name, n.labels) for n in external.nodes]
    return scenario


def _apply_override(data: dict[str, Any], override: str) -> None:
    key, sep, raw = override.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise InputError(f"--set {override}: expected KEY.PATH=VALUE, e.g. stack.gateway.profile=fragile")
    try:
        value = parse_yaml(raw) if raw.strip() else ""
    except YamlInputError as exc:
        raise InputError(f"--set {key}: {exc}") from None
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise InputError(f"--set {key}: {'.'.join(parts[:depth]) or 'top level'} has no item {part}")
            index: Any = int(part)
        elif isinstance(node, dict):
            index = part
        else:
            raise InputError(f"--set {key}: {'.'.join(parts[:depth])} is not a mapping or list")
        if last:
            node[index] = value
        else:
            if isinstance(node, dict) and node.get(index) is None:
                node[index] = {}
            node = node[index]


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    # An unknown key says more than the missing one it was probably meant to be (`maxx` for `max`).
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    location = _format_location((*first["loc"], *first.get("ctx", {}).get("inner_loc", ())))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required field is missing"
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    return f"{location}: {message}{more}" if location else f"{message}{more}"


def _format_location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith("function-") or part in ("is-instance[TargetSpec]",):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text

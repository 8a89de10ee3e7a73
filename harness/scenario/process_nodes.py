"""A `stack.processes` stack read for what can be known before a run: its paths resolved against the
scenario file, its templates readable, every `${VAR}` it names one the run will set, its nodes as the
scenario's replicas.

Values (ports, link addresses, the run dir) exist only once a run starts, but their names are known now,
so a placeholder naming a link that is not declared fails `chaosdrill validate`, not a run half-way up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from harness.backends.variables import PORT_VARIABLE, interpolate, run_variables
from harness.scenario.model import ReplicaSpec
from harness.scenario.user_stacks import ProcessesSpec, ProcessNodeSpec

FIELD = "stack.processes"


def process_nodes(spec: ProcessesSpec, base: Path) -> list[ReplicaSpec]:
    """Resolve `cwd` and template paths against `base` (the scenario's folder) in place, check them and
    every placeholder; the nodes become the replicas faults target. ValueError naming the field."""
    links = {n.name: "127.0.0.1:1" for n in spec.nodes if n.link}
    stand_in = with_environment(run_variables(Path("RUN_DIR"), links, {n.name: 1 for n in spec.nodes}))
    ports: dict[int, int] = {}
    for index, node in enumerate(spec.nodes):
        where = f"{FIELD}.nodes[{index}]"
        node.cwd = base / (node.cwd or ".")
        if not node.cwd.is_dir():
            raise ValueError(f"{where}.cwd: no such folder {node.cwd}")
        if node.port is not None:
            if node.port in ports:
                raise ValueError(f"{where}.port: {node.port} is also nodes[{ports[node.port]}]'s port")
            ports[node.port] = index
        node_command(node, index, stand_in, 1)
    outputs: dict[str, int] = {}
    for index, template in enumerate(spec.templates):
        template.template = base / template.template
        render_template(template.template, stand_in, f"{FIELD}.templates[{index}].template")
        assert template.path is not None  # set from the template's name by the schema
        if template.path in outputs:
            other = outputs[template.path]
            raise ValueError(f"{FIELD}.templates[{index}].path: {template.path} is also templates[{other}]'s")
        outputs[template.path] = index
    return [ReplicaSpec.from_labels(n.name, n.labels) for n in spec.nodes]


def with_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """What placeholders may name: the run's variables first, then the harness's environment."""
    return {**os.environ, **variables}


def node_command(
    node: ProcessNodeSpec, index: int, variables: Mapping[str, str], port: int
) -> tuple[list[str], dict[str, str]]:
    """The node's command words and environment, interpolated, with `${CHAOSDRILL_PORT}` its own port."""
    where = f"{FIELD}.nodes[{index}]"
    own = {**variables, PORT_VARIABLE: str(port)}
    argv = [interpolate(word, own, f"{where}.command") for word in node.command]
    env = {key: interpolate(value, own, f"{where}.env.{key}") for key, value in node.env.items()}
    return argv, env


def render_template(path: Path, variables: Mapping[str, str], where: str) -> str:
    """The template's text with its placeholders replaced; ValueError naming `where` and the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"{where}: cannot read {path}: {reason}") from None
    return "".join(
        interpolate(line, variables, f"{where} ({path.name} line {number})")
        for number, line in enumerate(text.splitlines(keepends=True), 1)
    )

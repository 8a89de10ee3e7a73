"""A user's compose stack in a scenario: nodes come from its services, only container-level faults apply."""

import textwrap

import pytest

from harness.errors import InputError
from harness.plan import resolve_plan
from harness.scenario import load_scenario

COMPOSE = """
services:
  gateway: {image: my/gateway, ports: ["127.0.0.1::8080"]}
  gpu-a: {image: my/model, labels: {accelerator: gpu, region: eu}}
  gpu-b: {image: my/model, labels: ["accelerator=gpu"]}
  cpu-a: {image: my/model}
"""

SCENARIO = """
name: user-stack
stack:
  backend: docker
  compose:
    file: stack/compose.yaml
    entrypoint: {service: gateway, port: 8080, ready_path: /readyz}
load: {users: 2, duration: 20s, path: /v1/predict}
faults:
  - {name: kill, kind: node-kill, at: 5s, duration: 5s, target: {labels: {accelerator: gpu}, count: 1}}
"""


def scenario_file(tmp_path, text=SCENARIO, compose=COMPOSE):
    (tmp_path / "stack").mkdir(exist_ok=True)
    (tmp_path / "stack" / "compose.yaml").write_text(textwrap.dedent(compose))
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_nodes_are_the_services_with_their_labels(tmp_path):
    scenario = load_scenario(scenario_file(tmp_path))
    assert scenario.stack.compose.file == tmp_path / "stack" / "compose.yaml"
    nodes = {r.name: r for r in scenario.stack.replicas}
    assert set(nodes) == {"gpu-a", "gpu-b", "cpu-a"}
    assert nodes["gpu-a"].all_labels()["region"] == "eu"
    assert nodes["gpu-b"].accelerator == "gpu" and nodes["cpu-a"].accelerator == "cpu"
    assert resolve_plan(scenario).faults[0].targets[0] in {"gpu-a", "gpu-b"}
    assert scenario.load.path == "/v1/predict"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.replace("backend: docker", "backend: local"), "stack: a compose file .* on the docker"),
        (lambda s: s.replace("stack/compose.yaml", "stack/missing.yaml"), "stack.compose.file: cannot read"),
        (lambda s: s.replace("service: gateway", "service: gw"), "entrypoint.service: no service 'gw'"),
        (lambda s: s.replace("kind: node-kill", "kind: latency, params: {latency: 1s}").replace(
            "target: {labels: {accelerator: gpu}, count: 1}", "target: gpu-a"),
         "latency needs the reference stack's internals"),
        (lambda s: s + "expectations: {breaker_opened: [{fault: kill, within: 1s}]}\n",
         "breaker_opened reads the reference gateway's state"),
        (lambda s: s.replace("    entrypoint:", "    nodes: [gpu-z]\n    entrypoint:"),
         "stack.compose.nodes: no service 'gpu-z'"),
    ],
)  # fmt: skip
def test_compose_mistakes_are_one_line_errors(tmp_path, edit, message):
    with pytest.raises(InputError, match=message):
        load_scenario(scenario_file(tmp_path, edit(SCENARIO)))


def test_compose_file_without_services(tmp_path):
    with pytest.raises(InputError, match="defines no services"):
        load_scenario(scenario_file(tmp_path, compose="version: '3'\n"))

"""A user's compose stack in a scenario: nodes come from its services, only container-level faults apply."""

import re
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
         "latency needs a link to its target: declare one in stack.compose.links"),
        (lambda s: s + "expectations: {breaker_opened: [{fault: kill, within: 1s}]}\n",
         "breaker_opened reads the reference gateway's state"),
        (lambda s: s.replace("    entrypoint:", "    nodes: [gpu-z]\n    entrypoint:"),
         "stack.compose.nodes: no service 'gpu-z'"),
        (lambda s: s.replace("    entrypoint:", "    links: {gateway: gateway:8080}\n    entrypoint:"),
         r"stack.compose.links.gateway: no node 'gateway' \(the nodes: gpu-a, gpu-b, cpu-a\)"),
        (lambda s: s.replace("    entrypoint:", "    links: {gpu-a: gpu-z:8000}\n    entrypoint:"),
         "stack.compose.links.gpu-a: upstream 'gpu-z:8000' names no service of"),
        (lambda s: s.replace("    entrypoint:", "    links: {gpu-a: gpu-a:8000}\n    entrypoint:")
         + "toxiproxy: {url: 'http://127.0.0.1:8474'}\n",
         "toxiproxy.url: an external Toxiproxy cannot reach the compose project's network"),
    ],
)  # fmt: skip
def test_compose_mistakes_are_one_line_errors(tmp_path, edit, message):
    with pytest.raises(InputError, match=message):
        load_scenario(scenario_file(tmp_path, edit(SCENARIO)))


def test_compose_file_without_services(tmp_path):
    with pytest.raises(InputError, match="defines no services"):
        load_scenario(scenario_file(tmp_path, compose="version: '3'\n"))


LINKED = """
name: linked
stack:
  backend: docker
  compose:
    file: stack/compose.yaml
    entrypoint: {service: gateway, port: 8080}
    links: {gpu-a: "gpu-a:8000"}
load: {users: 2, duration: 20s}
faults:
  - {name: slow, kind: latency, at: 5s, duration: 5s, target: gpu-a, params: {latency: 1s}}
"""


def _linked_compose(upstream: str) -> str:
    """COMPOSE with the gateway's command naming its upstream, e.g. through a link variable."""
    return COMPOSE.replace(
        "gateway: {image: my/gateway,", f"gateway: {{image: my/gateway, command: {upstream},"
    )


def test_network_faults_on_linked_nodes_only(tmp_path):
    """A link's default form (`:-`) is the file's own fallback, not a link it needs."""
    compose = _linked_compose('"${CHAOSDRILL_LINK_GPU_A} ${CHAOSDRILL_LINK_CPU_A:-cpu-a:8000}"')
    plan = resolve_plan(load_scenario(scenario_file(tmp_path, LINKED, compose)))
    assert [f.targets for f in plan.faults] == [("gpu-a",)]
    unlinked = LINKED.replace("target: gpu-a", "target: gpu-b")
    with pytest.raises(
        InputError, match=re.escape("(slow).target: latency needs a link to gpu-b: declare one")
    ):
        load_scenario(scenario_file(tmp_path, unlinked, compose))


@pytest.mark.parametrize(
    ("upstream", "message"),
    [
        ("$CHAOSDRILL_LINK_CPU_A",
         "uses ${CHAOSDRILL_LINK_CPU_A}, a link not declared (declared: CHAOSDRILL_LINK_GPU_A)"),
        ("${CHAOSDRILL_LINK_CPU_A:?needed}", "uses ${CHAOSDRILL_LINK_CPU_A}, a link not declared"),
    ],
)  # fmt: skip
def test_an_undeclared_link_in_the_compose_file_is_refused(tmp_path, upstream, message):
    """Compose would fill in an empty string (or stop with its own message): the scenario lacks a link."""
    with pytest.raises(InputError, match=re.escape(message)):
        load_scenario(scenario_file(tmp_path, LINKED, _linked_compose(f'"{upstream}"')))


def test_the_link_proxys_service_name_is_reserved(tmp_path):
    compose = COMPOSE + "  chaosdrill-proxy: {image: my/proxy}\n"
    with pytest.raises(
        InputError, match="has a service named chaosdrill-proxy, the name of chaosdrill's link"
    ):
        load_scenario(scenario_file(tmp_path, LINKED, compose))

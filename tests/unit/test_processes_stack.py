"""A `stack.processes` scenario as validation sees it: its nodes are the replicas, its paths resolve
against the scenario file, and it offers process faults on every node and network faults on the nodes
that have a link, saying which field to change for the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from faults.capabilities import NetworkIsolation, NetworkLinks, ProcessControl
from harness.backend_offers import backend_offer
from harness.backends import make_backend
from harness.backends.user_processes import ProcessesBackend
from harness.errors import InputError
from harness.scenario.loader import load_scenario
from harness.scenario.model import Scenario


def write(tmp_path: Path, faults: list[dict[str, Any]], link_a: bool = True) -> Path:
    (tmp_path / "lb.cfg").write_text("backend\n    server a ${CHAOSDRILL_LINK_A}\n" if link_a else "")
    scenario = {
        "name": "procs",
        "load": {"users": 1, "duration": "20s"},
        "stack": {
            "processes": {
                "nodes": [
                    {"name": "a", "command": "serve a", "link": link_a, "labels": {"accelerator": "gpu"}},
                    {"name": "b", "command": ["serve", "b"], "labels": {"region": "west"}, "cwd": "."},
                    {"name": "lb", "command": "lb -f ${CHAOSDRILL_CONFIG_DIR}/lb.cfg", "ready_path": None},
                ],
                "entrypoint": {"node": "lb"},
                "templates": [{"template": "lb.cfg"}],
            }
        },
        "faults": faults,
    }
    path = tmp_path / "procs.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def fault(kind: str, target: str, **params: object) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": "f", "kind": kind, "at": "2s", "duration": "3s", "target": target}
    return {**spec, "params": params} if params else spec


def refusal(tmp_path: Path, faults: list[dict[str, Any]], link_a: bool = True) -> str:
    with pytest.raises(InputError) as caught:
        load_scenario(write(tmp_path, faults, link_a))
    return str(caught.value).removeprefix(f"{tmp_path / 'procs.yaml'}: ")


def test_nodes_become_the_replicas_and_paths_resolve_against_the_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, []))
    replicas = [(r.name, r.accelerator, r.region) for r in scenario.stack.replicas]
    assert replicas == [("a", "gpu", "default"), ("b", "cpu", "west"), ("lb", "cpu", "default")]
    processes = scenario.stack.processes
    assert processes is not None
    assert [n.cwd for n in processes.nodes] == [tmp_path / ".", tmp_path / ".", tmp_path / "."]
    assert processes.templates[0].template == tmp_path / "lb.cfg" and processes.templates[0].path == "lb.cfg"


def test_a_link_offers_network_faults_on_its_node_only(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, [fault("latency", "a", latency="100ms")]))
    offer = backend_offer(scenario.stack)
    assert (offer.name, offer.links, offer.link_field) == ("processes", {"a"}, "stack.processes.nodes[].link")
    assert {ProcessControl, NetworkLinks, NetworkIsolation} == offer.capabilities
    load_scenario(write(tmp_path, [fault("partition", "a")]))
    load_scenario(write(tmp_path, [fault("node-kill", "b"), {**fault("node-pause", "lb"), "name": "p"}]))


@pytest.mark.parametrize(
    ("faults", "link_a", "message"),
    [
        ([fault("latency", "b", latency="100ms")], True,
         "faults[0] (f).target: latency needs a link to b: declare one in stack.processes.nodes[].link"),
        ([fault("partition", "lb")], True,
         "faults[0] (f).target: partition needs a link to lb: declare one in stack.processes.nodes[].link"),
        ([fault("down", "a")], False,
         "faults[0] (f).kind: down needs a link to its target: declare one in stack.processes.nodes[].link"),
        ([fault("gpu-hang", "a")], True,
         "faults[0] (f).kind: gpu-hang needs the reference stack's internals for model server faults; "
         "the processes backend offers network isolation, network links, process control"),
        ([fault("node-stop", "a")], True,
         "faults[0] (f).kind: node-stop needs a stack the harness runs (the reference stack, your compose "
         "stack) for container control; "
         "the processes backend offers network isolation, network links, process control"),
    ],
)  # fmt: skip
def test_what_a_processes_stack_cannot_do_is_refused_naming_the_field(
    tmp_path: Path, faults: list[dict[str, Any]], link_a: bool, message: str
) -> None:
    assert refusal(tmp_path, faults, link_a) == message


def test_the_backend_offers_per_instance_what_the_stack_declares(tmp_path: Path) -> None:
    """Linked or not, the class declares process control; an instance adds what its links give."""
    linked = {ProcessControl, NetworkLinks, NetworkIsolation}
    for link_a, expected in [(True, linked), (False, {ProcessControl})]:
        scenario: Scenario = load_scenario(write(tmp_path, [], link_a))
        backend = make_backend(scenario, tmp_path / "run")
        assert isinstance(backend, ProcessesBackend) and backend.capabilities == expected
        assert ProcessesBackend.capabilities == {ProcessControl}
        assert [c.__name__ for c in expected if not isinstance(backend, c)] == []

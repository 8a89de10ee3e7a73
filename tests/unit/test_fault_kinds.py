"""The fault-kind registry and the backend capabilities: checked at import, declared once, explained alike."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest
from pydantic import ConfigDict

from faults.capabilities import CAPABILITIES, ContainerControl, NetworkLinks, ProcessControl
from faults.kind import FaultParams
from faults.kinds import FAULT_KINDS, registry
from faults.kinds.node_kill import Kill
from harness.backend_offers import BACKENDS, COMPOSE, DOCKER, LOCAL, PROCESSES, refusal
from harness.backends.compose_backend import ComposeBackend
from harness.backends.docker_backend import DockerBackend
from harness.backends.local import LocalBackend
from harness.backends.user_processes import ProcessesBackend
from harness.plan import resolve_plan
from harness.scenario.model import Scenario


def module(name: str, **attributes: object) -> ModuleType:
    made = ModuleType(name)
    made.__dict__.update(attributes)
    return made


class LooseParams(FaultParams):
    model_config = ConfigDict(extra="allow")


@pytest.mark.parametrize(
    ("modules", "error"),
    [
        ([module("faults.kinds.empty")], "faults.kinds.empty must export KINDS"),
        (
            [module("a", KINDS=(Kill(name="x"),)), module("b", KINDS=(Kill(name="x"),))],
            "'x' is defined twice",
        ),
        ([module("a", KINDS=(Kill(name="Node Kill"),))], "names are lower-case"),
        ([module("a", KINDS=(Kill(name="x", params=LooseParams),))], "must forbid unknown keys"),
        ([module("a", KINDS=(Kill(name="x", gpu_only=True, subject="the gateway"),))], "can be GPU-only"),
        ([module("a", KINDS=(Kill(name="x", needs=frozenset({int})),))], "needs ['int'], not capabilities"),
        ([module("a", KINDS=(Kill(name="x", may_target=True),))], "may_target is for a kind with a subject"),
    ],
)
def test_the_registry_refuses_a_kind_module_that_breaks_the_rules(modules, error):
    with pytest.raises(ImportError, match=error.replace("[", r"\[").replace("(", r"\(")):
        registry(modules)


def test_every_shipped_kind_is_registered_once_with_strict_params():
    assert len(FAULT_KINDS) == 31
    assert {k.category for k in FAULT_KINDS.values()} == {"network", "node", "deploy", "data", "action"}
    assert all(k.needs <= set(CAPABILITIES) for k in FAULT_KINDS.values())


def scenario(**stack: object) -> Scenario:
    return Scenario.model_validate({"name": "caps", "stack": stack, "load": {"users": 1, "duration": "5s"}})


COMPOSE_STACK = {
    "backend": "docker",
    "compose": {"file": "c.yaml", "entrypoint": {"service": "gw", "port": 80}},
}


PROCESSES_STACK = {"processes": {"nodes": [{"name": "a", "command": "serve"}], "entrypoint": {"node": "a"}}}


@pytest.mark.parametrize(
    ("backend_class", "offer", "stack"),
    [
        (LocalBackend, LOCAL, {}),
        (DockerBackend, DOCKER, {"backend": "docker"}),
        (ComposeBackend, COMPOSE, COMPOSE_STACK),
        (ProcessesBackend, PROCESSES, PROCESSES_STACK),
    ],
)
def test_each_backend_implements_what_it_declares(backend_class, offer, stack, tmp_path: Path):
    """Declared on the class (from its offer, readable before construction) and there once constructed."""
    assert (backend_class.name, backend_class.capabilities) == (offer.name, offer.capabilities)
    backend = backend_class(scenario(**stack), tmp_path)
    assert [c.__name__ for c in offer.capabilities if not isinstance(backend, c)] == []


def test_only_container_runtimes_offer_container_control_and_only_the_reference_stack_its_internals():
    """User stacks get network links only where they declare them (`backend_offer`), and a stack the
    harness does not run offers no process control."""
    assert [b.name for b in BACKENDS if ContainerControl in b.capabilities] == ["docker", "compose"]
    assert [b.name for b in BACKENDS if NetworkLinks in b.capabilities] == ["local", "docker"]
    assert [b.name for b in BACKENDS if ProcessControl not in b.capabilities] == ["external"]


def test_a_refusal_names_what_is_missing_who_offers_it_and_what_the_backend_offers():
    assert refusal("latency", frozenset({NetworkLinks}), LOCAL) is None
    assert refusal("latency", frozenset({NetworkLinks}), COMPOSE) == (
        "latency needs the reference stack's internals for network links; "
        "the compose backend offers container control, network isolation, process control"
    )
    assert refusal("oom-kill", frozenset({ContainerControl, ProcessControl}), LOCAL) == (
        "oom-kill needs the docker backend (stack.backend) for container control; the local backend offers "
        "deploy control, model server faults, network isolation, network links, process control, state probe"
    )
    unoffered = replace(COMPOSE, capabilities=frozenset())
    assert "needs what no backend offers" in str(refusal("x", frozenset({int}), unoffered))


def test_the_plan_words_a_kill_with_a_window_as_a_restart():
    data = {
        "name": "words",
        "load": {"users": 1, "duration": "30s"},
        "faults": [
            {"name": "k", "kind": "gpu-node-kill", "at": "2s", "duration": "5s", "target": "gpu-0"},
            {"name": "d", "kind": "bad-deploy", "at": "3s"},
        ],
    }
    text = resolve_plan(Scenario.model_validate(data)).describe()
    assert "restart gpu-0 (k)" in text
    assert "inject d: bad-deploy on the gateway's canary" in text

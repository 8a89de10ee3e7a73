"""Which faults may overlap on one node: refused where one's undo would wipe the other, layered otherwise."""

import pytest

from harness.plan import resolve_plan
from harness.scenario.model import Scenario


def plan_of(first: str, second: str, backend: str = "local"):
    scenario = Scenario.model_validate(
        {
            "name": "overlap",
            "stack": {"backend": backend},
            "load": {"users": 1, "duration": "30s"},
            "faults": [_fault("a", first, "2s", "10s"), _fault("b", second, "5s", "10s")],
        }
    )
    return resolve_plan(scenario)


PARAMS = {
    "latency": {"latency": "100ms"}, "bandwidth": {"rate_kbps": 100}, "error-burst": {"rate": 0.5},
    "gpu-xid": {}, "slowdown": {"factor": 2}, "gpu-throttle": {"factor": 3}, "gpu-oom": {"batch_size": 2},
    "cpu-squeeze": {"cpus": 0.5}, "memory-squeeze": {"memory": "256m"},
    "data-drift": {"transform": "scale", "features": ["age"]},
}  # fmt: skip
UNTARGETED = {"bad-deploy", "canary-deploy", "data-drift"}


def _fault(name: str, kind: str, at: str, duration: str | None) -> dict:
    fault = {"name": name, "kind": kind, "at": at, "params": PARAMS.get(kind, {})}
    if duration:
        fault["duration"] = duration
    if kind not in UNTARGETED:
        fault["target"] = "gpu-0"
    return fault


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("node-kill", "latency"),  # a toxic lives in the proxy: a restart leaves it alone
        ("partition", "bandwidth"),
        ("latency", "latency"),  # two toxics of one type: distinct names
        ("error-burst", "slowdown"),  # admin faults setting different fields
        ("gpu-hang", "gpu-oom"),
        ("gpu-xid", "gpu-throttle"),
        ("error-burst", "down"),
        ("node-hang", "latency"),
        ("data-drift", "data-drift"),
        ("data-drift", "node-kill"),
        ("bad-deploy", "node-kill"),
    ],
)
def test_faults_that_layer_may_overlap(first: str, second: str) -> None:
    assert len(plan_of(first, second).faults) == 2


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        ("node-kill", "node-kill", "node-kill acts on the whole node"),
        ("gpu-node-kill", "node-hang", "gpu-node-kill acts on the whole node"),
        ("error-burst", "node-restart", "node-restart acts on the whole node"),
        ("node-pause", "slowdown", "node-pause acts on the whole node"),
        ("partition", "down", "partition acts on the whole node"),
        ("down", "down", "both set the link's up/down state"),
        ("error-burst", "gpu-xid", "both set the model server's error rate"),
        ("gpu-throttle", "slowdown", "both set the model server's slowdown factor"),
        ("node-hang", "gpu-hang", "both set the model server's hang"),
        ("canary-deploy", "bad-deploy", "the gateway runs one canary at a time"),
    ],
)
def test_interfering_faults_are_refused_naming_both(first: str, second: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        plan_of(first, second)
    assert f"faults[1] (b, {second} from 5s to 15s) overlaps a ({first} from 2s to 12s)" in str(info.value)


@pytest.mark.parametrize(
    ("first", "second"),
    [("oom-kill", "cpu-squeeze"), ("cpu-squeeze", "memory-squeeze"), ("node-stop", "node-pause")],
)
def test_container_faults_that_interfere_are_refused(first: str, second: str) -> None:
    with pytest.raises(ValueError, match="on node gpu-0"):
        plan_of(first, second, backend="docker")


def test_touching_windows_do_not_overlap() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "touching",
            "load": {"users": 1, "duration": "30s"},
            "faults": [_fault("a", "node-kill", "2s", "5s"), _fault("b", "node-kill", "7s", "5s")],
        }
    )
    assert len(resolve_plan(scenario).faults) == 2


def test_an_open_ended_fault_lasts_until_the_load_ends() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "open-ended",
            "load": {"users": 1, "duration": "30s"},
            "faults": [_fault("a", "node-kill", "2s", None), _fault("b", "error-burst", "25s", "5s")],
        }
    )
    with pytest.raises(
        ValueError, match=r"overlaps a \(node-kill from 2s to the end of the load\) on node gpu-0"
    ):
        resolve_plan(scenario)


def test_different_nodes_never_conflict() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "apart",
            "load": {"users": 1, "duration": "30s"},
            "faults": [
                {**_fault("a", "node-kill", "2s", "10s"), "target": "gpu-0"},
                {**_fault("b", "node-kill", "5s", "10s"), "target": "gpu-1"},
            ],
        }
    )
    assert [f.targets for f in resolve_plan(scenario).faults] == [("gpu-0",), ("gpu-1",)]

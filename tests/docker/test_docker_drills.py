"""The shipped drills on the docker backend: real containers, a real network partition, real SIGKILLs.

Each passes with its mechanism on (and, where the stack reports its own timestamps, the harness's
observation agrees with them); the local backend runs the same drills with the mechanism on and off
(tests/e2e).
"""

import docker
import pytest

from tests.e2e.drill_catalogue import DRILLS, IDS, OFF, assert_agrees_with_stack_clock
from tests.e2e.drills import run_scenario_file

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("drill", "mechanism", "verified"), DRILLS, ids=IDS)
def test_drill_passes_on_docker_with_its_mechanism(images, tmp_path, drill, mechanism, verified):
    run = run_scenario_file(tmp_path, drill, "--backend", "docker", timeout=300)
    assert run.code == 0, run.stdout + run.stderr
    assert run.summary["backend"] == "docker"
    expectation = run.expectation(verified)
    assert expectation["passed"]
    assert_agrees_with_stack_clock(run, expectation)


def test_gpu_node_kill_fails_on_docker_without_failover(images, tmp_path, engine):
    args = ["--backend", "docker", "--set", OFF.format("failover")]
    run = run_scenario_file(tmp_path, "gpu_node_kill.yaml", *args, timeout=300)
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation("recovery_time: kill-gpu <= 3s")["passed"]
    assert "FAIL recovery_time: kill-gpu" in run.stdout
    containers = [c for event in run.events for c in event.get("pids", {}).values()]
    assert containers, "the stack_ready event names the run's containers"
    for container in containers:
        with pytest.raises(docker.errors.NotFound):
            engine.containers.get(container)

"""The shipped drills on the docker backend: real containers, a real network partition, real SIGKILLs."""

import docker
import pytest

from tests.e2e.drills import run_scenario_file

pytestmark = pytest.mark.slow

OFF = "stack.gateway.mechanisms.{}.enabled=false"


@pytest.mark.parametrize(
    "drill", ["gpu_node_kill.yaml", "region_failover.yaml", "retry_storm.yaml", "bad_canary_rollback.yaml",
              "gpu_gray_failure.yaml", "data_drift.yaml"],
)  # fmt: skip
def test_drill_passes_on_docker(images, tmp_path, drill):
    run = run_scenario_file(tmp_path, drill, "--backend", "docker", timeout=300)
    assert run.code == 0, run.stdout + run.stderr
    assert run.summary["backend"] == "docker"


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

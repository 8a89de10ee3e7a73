"""The shipped user-stack drill, run through the real CLI exactly as a user runs it on their compose file."""

from __future__ import annotations

from pathlib import Path

import docker
import pytest

from harness.backends.docker_images import StackImages
from tests.e2e.drills import Run, chaosdrill, run_scenario_file

DRILL = "examples/compose_user_stack.yaml"


@pytest.fixture
def stack_image(images: StackImages, monkeypatch: pytest.MonkeyPatch) -> str:
    """The example compose file names its image through this variable; the CLI's compose inherits it."""
    monkeypatch.setenv("CHAOSDRILL_STACK_IMAGE", images.stack)
    return images.stack


def _containers_gone(run: Run, engine: docker.DockerClient) -> None:
    ready = next(e for e in run.events if e["event"] == "stack_ready")
    assert set(ready["pids"]) == {"gateway", "gpu-0", "cpu-0"}
    for container in ready["pids"].values():
        with pytest.raises(docker.errors.NotFound):
            engine.containers.get(container)


def test_example_validates() -> None:
    result = chaosdrill("validate", f"scenarios/{DRILL}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK (compose-user-stack: 1 faults, seed 5)" in result.stdout


@pytest.mark.slow
def test_drill_passes_when_the_users_gateway_fails_over(
    stack_image: str, tmp_path: Path, engine: docker.DockerClient
) -> None:
    run = run_scenario_file(tmp_path, DRILL, timeout=120)
    assert run.code == 0, run.stdout + run.stderr
    applied = next(e for e in run.events if e["event"] == "fault_applied")
    assert applied["targets"] == ["gpu-0"]  # the only service labelled accelerator=gpu
    assert applied["details"][0]["signal"] == "SIGKILL"
    assert {p.name for p in (run.run_dir / "logs").iterdir()} == {"gateway.log", "gpu-0.log", "cpu-0.log"}
    _containers_gone(run, engine)


@pytest.mark.slow
def test_drill_fails_when_the_users_gateway_has_failover_off(
    stack_image: str, tmp_path: Path, engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_FAILOVER", "0")
    run = run_scenario_file(tmp_path, DRILL, timeout=120)
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation("recovery_time: kill-gpu <= 3s")["passed"]
    assert "FAIL recovery_time: kill-gpu" in run.stdout
    _containers_gone(run, engine)

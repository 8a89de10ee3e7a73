"""A harness SIGKILLed mid-run leaves its containers behind; `cleanup` removes them, and only them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import docker

from harness.backends.docker_cleanup import leftovers
from harness.backends.docker_images import REPO_ROOT, StackImages

_HARNESS = """
import sys, time
from pathlib import Path
from harness.backends.docker_backend import DockerBackend
from harness.scenario import load_scenario
backend = DockerBackend(load_scenario(sys.argv[1]), Path(sys.argv[2]))
try:
    backend.start()
    print(backend.run_id, flush=True)
    time.sleep(60)
finally:
    backend.stop()
"""


def start_harness(scenario_file: Path, run_dir: Path) -> tuple[subprocess.Popen[str], str]:
    run_dir.mkdir()
    harness = subprocess.Popen(
        [sys.executable, "-c", _HARNESS, str(scenario_file), str(run_dir)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert harness.stdout is not None
    run_id = harness.stdout.readline().strip()
    if not run_id:
        harness.kill()
        raise AssertionError("the harness never got its stack up")
    return harness, run_id


def cleanup(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", "cleanup", *args],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_cleanup_removes_a_sigkilled_runs_containers_and_leaves_a_live_run_alone(
    images: StackImages, scenario_file: Path, tmp_path: Path, engine: docker.DockerClient
) -> None:
    """Regression: `cleanup` without --run-id removed every run's containers, a live concurrent run's too."""
    dead, dead_id = start_harness(scenario_file, tmp_path / "dead")
    os.kill(dead.pid, signal.SIGKILL)
    dead.wait(timeout=10)
    live, live_id = start_harness(scenario_file, tmp_path / "live")
    try:
        left = leftovers(engine, dead_id)
        assert any(item.startswith("network ") for item in left)
        assert sum(item.startswith("container ") for item in left) == 4

        result = cleanup()
        assert result.returncode == 0, result.stderr
        assert "5 objects removed" in result.stdout
        assert leftovers(engine, dead_id) == []
        assert len(leftovers(engine, live_id)) == 5  # its harness is alive: not touched

        by_id = cleanup("--run-id", live_id)  # an explicit run id is removed, alive or not
        assert by_id.returncode == 0 and "5 objects removed" in by_id.stdout, by_id.stderr
        assert leftovers(engine, live_id) == []
    finally:
        live.kill()
        live.wait(timeout=10)
        cleanup("--run-id", live_id)

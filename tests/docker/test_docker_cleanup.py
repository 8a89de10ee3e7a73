"""A harness SIGKILLed mid-run leaves its containers behind; `chaosdrill cleanup` removes all of them."""

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


def test_cleanup_after_sigkilled_harness(
    images: StackImages, scenario_file: Path, tmp_path: Path, engine: docker.DockerClient
) -> None:
    harness = subprocess.Popen(
        [sys.executable, "-c", _HARNESS, str(scenario_file), str(tmp_path)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert harness.stdout is not None
        run_id = harness.stdout.readline().strip()
        assert run_id, "the harness never got its stack up"
    finally:
        os.kill(harness.pid, signal.SIGKILL)
        harness.wait(timeout=10)
    left = leftovers(engine, run_id)
    assert any(item.startswith("network ") for item in left)
    assert sum(item.startswith("container ") for item in left) == 4

    cleanup = subprocess.run(
        [sys.executable, "-m", "harness.cli", "cleanup", "--run-id", run_id],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert cleanup.returncode == 0, cleanup.stderr
    assert "5 objects removed" in cleanup.stdout
    assert leftovers(engine, run_id) == []

"""A SIGKILLed harness leaves a processes stack's workers behind (only its direct children die with it);
`chaosdrill cleanup` finds them by the run marked in their environment and kills them, and leaves a live
run's processes alone."""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import psutil
import pytest

from harness.backends.processes import free_port
from tests.e2e.drills import assert_all_gone, chaosdrill, start_drill, wait_for_event

pytestmark = pytest.mark.slow
NODE = Path(__file__).with_name("node_server.py")


def _worker_pid(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2.0) as answer:
        return int(json.loads(answer.read())["pid"])


def test_cleanup_kills_the_workers_a_killed_harness_left(tmp_path: Path):
    port = free_port()
    node = {"name": "server", "command": [sys.executable, str(NODE), "--worker"], "port": port}
    scenario = {
        "name": "killed-processes",
        "stack": {"processes": {"nodes": [node], "entrypoint": {"node": "server"}}},
        "load": {"users": 1, "duration": "60s", "path": "/"},
    }
    harness, run_dir = start_drill(tmp_path, scenario)
    try:
        wait_for_event(run_dir, "load_started")
        worker = _worker_pid(port)
        live = chaosdrill("cleanup")  # the run is alive: nothing of it may go
        assert live.returncode == 0 and psutil.pid_exists(worker), live.stdout + live.stderr
    finally:
        harness.kill()
        harness.communicate(timeout=10)
    assert psutil.Process(worker).status() != psutil.STATUS_ZOMBIE  # orphaned, still serving
    assert _worker_pid(port) == worker
    result = chaosdrill("cleanup")
    assert result.returncode == 0, result.stderr
    assert f"process {worker} " in result.stdout
    assert_all_gone([worker])

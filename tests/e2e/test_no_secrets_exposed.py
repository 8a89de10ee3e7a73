"""The stack's admin token stays secret during a real drill: no command line shows it (`ps` is every local
user's to read) and nothing in the run directory holds it, while the faults that need it still work."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.e2e.drills import REPO, Run, assert_all_gone, scenario, write_scenario

pytestmark = pytest.mark.slow

# Each uses the token: the model servers' fault hook, the gateway's canary API (which passes it on to the
# canary's /admin/model), and a killed node restarted with a fresh process.
FAULTS = [
    {"name": "slow", "kind": "slowdown", "at": "1s", "duration": "2s", "target": "gpu-0",
     "params": {"factor": 2}},
    {"name": "canary", "kind": "canary-deploy", "at": "1s", "params": {"version": "v2", "weight": 0.2}},
    {"name": "kill", "kind": "node-kill", "at": "2s", "duration": "2s", "target": "cpu-0"},
]  # fmt: skip


def test_no_command_line_and_no_file_in_the_run_dir_holds_the_admin_token(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    path = write_scenario(tmp_path, scenario("no-secrets", FAULTS, {}, duration="6s", users=2))
    argv = [sys.executable, "-m", "harness.cli", "run", str(path), "--out", str(run_dir)]
    harness = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    token, command_lines = "", set()
    while harness.poll() is None:  # every command line on the machine, over the whole drill
        command_lines |= set(
            subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout.splitlines()
        )
        token = token or _token_in_environment(harness.pid)
        time.sleep(0.2)
    stdout, stderr = harness.communicate()
    run = Run(harness.returncode, stdout, stderr, run_dir)

    assert run.code == 0, stdout + stderr
    assert all(f["applied_at"] is not None and f["cleared_at"] is not None for f in run.summary["faults"])
    assert len(token) == 32, "the gateway got no token by environment"
    assert not [line for line in command_lines if token in line]
    assert any("stack.gateway" in line for line in command_lines)  # the sampling did see the stack
    holding = [str(p) for p in run_dir.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    assert holding == []
    assert_all_gone(run.child_pids())


def _token_in_environment(harness_pid: int) -> str:
    """The gateway's token as its environment carries it (readable by its owner only, as here)."""
    try:
        children = psutil.Process(harness_pid).children(recursive=True)
        for child in children:
            if "stack.gateway" in " ".join(child.cmdline()):
                return child.environ().get("CHAOSDRILL_GATEWAY_ADMIN_TOKEN", "")
    except psutil.Error:
        pass
    return ""

"""`chaosdrill run` shows its progress on stderr while the drill runs: plain lines in logs (no terminal),
a live panel on a terminal, nothing with --quiet; stdout stays the verdict either way."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from tests.e2e.drills import REPO, chaosdrill, scenario, write_scenario

pytestmark = pytest.mark.slow
SLOW = {"name": "slow", "kind": "latency", "target": "gpu-0", "at": "2s", "duration": "3s",
        "params": {"latency": "100ms"}}  # fmt: skip


def test_plain_lines_follow_the_drill_and_quiet_shows_none(tmp_path):
    path = write_scenario(tmp_path, scenario("progress", [SLOW], {}, duration="8s", users=2))
    run = chaosdrill("run", str(path), "--out", str(tmp_path / "plain"), "--progress-every", "2s")
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stderr.splitlines()
    seconds = [int(re.match(r"chaosdrill: (\d+)s/8s drilling; ", line)[1]) for line in lines]
    assert seconds in ([2, 4, 6], [2, 4, 6, 8])  # the last one only if the load had not wound down yet
    assert re.search(r"last 5s: [\d,]+ req/s, errors 0\.0%, p99 \d+ ms, SLO met", lines[2])
    assert "faults: slow active since 2." in lines[1]
    assert re.search(r"faults: slow 2\.\d+s-5\.\d+s$", lines[2])
    assert run.stdout.startswith("PASS: progress")

    quiet = chaosdrill("run", str(path), "--out", str(tmp_path / "quiet"), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr


def test_a_terminal_gets_a_live_panel(tmp_path):
    path = write_scenario(tmp_path, scenario("live", [SLOW], {}, duration="6s", users=2))
    primary, secondary = pty.openpty()
    argv = [sys.executable, "-m", "harness.cli", "run", str(path), "--out", str(tmp_path / "run")]
    process = subprocess.Popen(argv, cwd=REPO, stdin=secondary, stdout=subprocess.PIPE, stderr=secondary)
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal's other end closed: the run is over
            break
        if not chunk:
            break
        shown += chunk
    stdout = process.communicate(timeout=60)[0].decode()
    os.close(primary)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.decode(errors="replace"))
    assert process.returncode == 0 and stdout.startswith("PASS: live"), stdout + text
    assert "drilling" in text and "━" in text  # the phase and its bar, redrawn in place
    assert re.search(r"slow\s+latency\s+gpu-0\s+2s-5s\s+2\.\d+s\s+5\.\d+s\s+cleared", text), text
    assert "SLO met" in text

"""Time to detect and to mitigate on the reference stack: the GPU-node-kill drill meets both with the
gateway's breaker, health checks and outlier ejection (tests/e2e/test_scenario_drills.py runs it to a
pass), and fails both, on evidence rather than "not measured", with the three switched off."""

from __future__ import annotations

import pytest

from tests.e2e.drill_catalogue import OFF
from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

DETECTORS = ("circuit_breaker", "health_checks", "outlier_ejection")


def test_a_gateway_that_notices_nothing_fails_time_to_detect_and_to_mitigate(tmp_path):
    off = [arg for mechanism in DETECTORS for arg in ("--set", OFF.format(mechanism))]
    run = run_scenario_file(tmp_path, "gpu_node_kill.yaml", *off)
    assert run.code == 1, run.stdout + run.stderr
    for metric in ("time_to_detect", "time_to_mitigate"):
        result = run.expectation(f"{metric}: kill-gpu <= 2s")
        assert result["status"] == "fail", result
        assert f"FAIL {metric}: kill-gpu <= 2s" in run.stdout
    [kill] = run.summary["faults"]
    response = kill["response"]
    assert "stack state" in response["signal_sources"]  # it was watched: the silence is evidence
    for signal in ("breaker_open", "unhealthy", "ejected"):
        assert response["signals_seen"].get(signal) is None, signal
    report = (run.run_dir / "report.md").read_text()
    assert "https://runbooks.example.com/gpu-node-down" in report
    assert_all_gone(run.child_pids())

"""Probes and actions in whole drills on the reference stack, verified as on a stack without its state:
an `action` deploys a bad canary through the gateway's admin API (as a CD pipeline would), a Prometheus
probe of the gateway's /metrics shows the canary's weight, and the rollback is verified from that probe and
from the model version of the answers, never from /admin/state. The drill passes with the gateway's canary
analysis, FAILS without it, and is an ERROR when the action fails."""

from __future__ import annotations

import sys

import pytest

from tests.e2e.drills import assert_all_gone, run_drill, scenario

pytestmark = pytest.mark.slow

PROBES = [
    {"name": "canary-weight", "every": "250ms",
     "prometheus": {"url": "${CHAOSDRILL_ENTRYPOINT}/metrics", "metric": "chaosdrill_gateway_canary_weight"}},
    {"name": "ready", "every": "500ms", "command": [sys.executable, "-c", (
        "import os, urllib.request\n"
        "print(urllib.request.urlopen(os.environ['CHAOSDRILL_ENTRYPOINT'] + '/readyz').status)")]},
]  # fmt: skip
DEPLOY = {
    "name": "deploy-bad", "kind": "action", "at": "2s",
    "params": {"http": {"url": "${CHAOSDRILL_ENTRYPOINT}/admin/canary",
                        "headers": {"X-Admin-Token": "${CHAOSDRILL_ADMIN_TOKEN}"},
                        "json": {"version": "v2-bad", "weight": 0.3}}},
}  # fmt: skip
BY_PROBE = "rollback: deploy-bad <= 5s (probe canary-weight == 0)"
BY_ANSWERS = "rollback: deploy-bad <= 5s (answers from v2-bad)"
EXPECTATIONS = {
    "rollback": [
        {"fault": "deploy-bad", "within": "5s", "probe": "canary-weight", "reads": "== 0",
         "version": "v2-bad"},
        {"fault": "deploy-bad", "within": "5s", "version": "v2-bad"},
    ],
    "probes": [{"probe": "ready", "reads": "== 200", "within": "1s", "holds": True}],
}  # fmt: skip


def canary_drill(name: str, **gateway: object) -> dict:
    return scenario(name, [DEPLOY], EXPECTATIONS, duration="10s", probes=PROBES, **gateway)


def test_a_bad_canary_deployed_by_an_action_is_seen_rolled_back_in_a_probe_and_the_answers(tmp_path):
    run = run_drill(tmp_path, canary_drill("action-canary"))
    assert run.code == 0, run.stdout + run.stderr
    by_probe, by_answers = run.expectation(BY_PROBE), run.expectation(BY_ANSWERS)
    assert by_probe["explanation"].startswith("probe canary-weight turned from 0.3 to 0 ")
    assert by_answers["explanation"].startswith("v2-bad answered last ")
    assert by_probe["observed"] == pytest.approx(by_answers["observed"], abs=1.0)  # two views of one rollback
    [fault] = run.summary["faults"]
    assert fault["kind"] == "action" and fault["applied_at"] and fault["cleared_at"]
    assert "HTTP 200" in (run.run_dir / "logs" / "actions" / "deploy-bad.log").read_text()
    report = (run.run_dir / "report.md").read_text()
    assert "canary-weight: 0 → 0.3" in report and "canary-weight: 0.3 → 0" in report  # on the timeline
    assert "## Probes" in report and (run.run_dir / "plots" / "probes.png").stat().st_size > 10_000
    assert_all_gone(run.child_pids())


def test_without_canary_analysis_the_drill_fails_naming_both_rollback_expectations(tmp_path):
    # Only the analysis is off: a breaker or outlier ejection taking the failing canary out would also
    # silence v2-bad in the answers (on a slow machine it does), which is not the rollback under test.
    off = {"enabled": False}
    mechanisms = {"canary_analysis": off, "circuit_breaker": off, "outlier_ejection": off}
    run = run_drill(tmp_path, canary_drill("action-canary-off", mechanisms=mechanisms))
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation(BY_PROBE)["passed"] and not run.expectation(BY_ANSWERS)["passed"]
    assert run.expectation(BY_PROBE)["explanation"] == (
        "probe canary-weight read 0.3, never == 0 after deploy-bad was injected, until deploy-bad ended"
    )
    assert f"FAIL {BY_PROBE}" in run.stdout and f"FAIL {BY_ANSWERS}" in run.stdout


def test_an_action_that_fails_makes_the_drill_an_error(tmp_path):
    refuse = [sys.executable, "-c", "import sys; sys.exit('registry refused v2')"]
    failing = {"name": "deploy-bad", "kind": "action", "at": "1s", "params": {"run": refuse}}
    run = run_drill(tmp_path, scenario("action-fails", [failing], {}, duration="3s", users=2))
    assert run.code == 2, run.stdout + run.stderr
    assert run.summary["verdict"] == "error"
    assert run.summary["incomplete_reason"].startswith(
        f"fault deploy-bad (action) could not be applied: ActionFailed: {sys.executable} -c import sys; "
        "sys.exit('registry refused v2') exited with 1: registry refused v2 (output in "
        "logs/actions/deploy-bad.log)"
    )
    assert "registry refused v2" in (run.run_dir / "logs" / "actions" / "deploy-bad.log").read_text()

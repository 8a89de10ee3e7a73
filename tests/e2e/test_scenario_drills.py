"""The shipped drill files on the local backend: each passes with the mechanism it verifies, and fails,
naming its expectation, with that mechanism switched off (the same drills pass against containers too:
tests/docker)."""

import pytest

from tests.e2e.drill_catalogue import DRILLS, IDS, OFF, assert_agrees_with_stack_clock
from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("drill", "mechanism", "verified"), DRILLS, ids=IDS)
def test_drill_passes_with_its_mechanism(tmp_path, drill, mechanism, verified):
    run = run_scenario_file(tmp_path, drill)
    assert run.code == 0, run.stdout + run.stderr
    expectation = run.expectation(verified)
    assert expectation["passed"] and expectation["status"] == "pass"
    assert_agrees_with_stack_clock(run, expectation)
    assert_all_gone(run.child_pids())


@pytest.mark.parametrize(("drill", "mechanism", "failing"), DRILLS, ids=IDS)
def test_drill_fails_without_its_mechanism(tmp_path, drill, mechanism, failing):
    run = run_scenario_file(tmp_path, drill, "--set", OFF.format(mechanism))
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation(failing)["passed"]
    assert f"FAIL {failing}" in run.stdout
    assert_all_gone(run.child_pids())


def test_quickstart_passes_and_writes_every_report_file(tmp_path):
    run = run_scenario_file(tmp_path, "quickstart.yaml")
    assert run.code == 0, run.stdout + run.stderr
    for name in [
        "summary.json",
        "report.md",
        "report.html",
        "junit.xml",
        "events.jsonl",
        "samples.csv",
        "plots/latency.png",
        "plots/errors.png",
        "plots/traffic_share.png",
        "plots/attempts.png",
    ]:
        assert (run.run_dir / name).is_file(), name
    [kill] = [f for f in run.summary["faults"] if f["name"] == "kill-gpu"]
    assert kill["applied_at"] and kill["cleared_at"] and kill["recovery_s"] is not None
    assert run.summary["traffic_share"][kill["targets"][0]] < 0.3  # traffic moved off the dead node
    assert_all_gone(run.child_pids())

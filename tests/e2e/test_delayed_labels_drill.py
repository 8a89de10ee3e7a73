"""Labels that come late catch what label-free analysis cannot: a stale canary (v2-stale), whose scores
look like stable's, is rolled back once the harness's labels reach the gateway's /feedback, and the drill
fails, naming the quality and rollback expectations, when the gateway's analysis ignores labels."""

from __future__ import annotations

import pytest

from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

DRILL = "delayed_labels_canary.yaml"
ROLLBACK = "rollback: stale-canary <= 8s"


def test_a_stale_canary_is_rolled_back_on_its_late_labels(tmp_path):
    run = run_scenario_file(tmp_path, DRILL)
    assert run.code == 0, run.stdout + run.stderr
    assert "accuracy on labelled rows" in run.expectation(ROLLBACK)["explanation"]
    labels = run.summary["load"]["labels"]
    assert labels["accepted"] + labels["not_due"] == labels["scheduled"] == run.summary["load"]["completed"]
    assert labels["accepted"] and labels["unmatched"] == labels["failed"] == 0, labels
    assert "answers' labels 2.0s late" in (run.run_dir / "report.md").read_text()
    assert_all_gone(run.child_pids())


def test_without_label_analysis_the_stale_canary_stays_and_the_drill_fails_on_quality(tmp_path):
    run = run_scenario_file(tmp_path, DRILL, "--set", "stack.gateway.mechanisms.canary_analysis.labels=false")
    assert run.code == 1, run.stdout + run.stderr
    assert "FAIL quality: accuracy > 95%" in run.stdout and f"FAIL {ROLLBACK}" in run.stdout
    assert run.expectation("errors: rate < 1%")["passed"]  # nothing but the answers' quality shows it
    labels = run.summary["load"]["labels"]
    assert labels["accepted"] == 0 and labels["failed"] + labels["not_due"] == labels["scheduled"], labels
    assert labels["failed"], labels  # the gateway refused them (409)
    assert_all_gone(run.child_pids())

"""Recording runs and reading them back, in SQLite and in a real PostgreSQL server."""

from __future__ import annotations

import json

import pytest

from harness.history.location import resolve_history
from harness.history.recording import import_runs
from harness.history.rows import RunLabels
from harness.history.store import History
from tests.history.recorded_runs import T0, expectation, summary, write_run_dir


@pytest.fixture
def history(history_url):
    with History(resolve_history(history_url)) as opened:
        yield opened


def test_a_recorded_run_reads_back_with_faults_failures_and_score_inputs(history):
    failing = summary("r1", verdict="fail", recovery_s=6.0)
    history.record(failing, RunLabels("abc123", "nightly"))
    [run] = history.recent_runs()
    assert (run.run_id, run.scenario, run.verdict, run.stack_version, run.suite) == (
        "r1", "kill-drill", "fail", "abc123", "nightly")  # fmt: skip
    assert run.failed == ["recovery_time: kill <= 4s"]
    assert [(f.name, f.applied, f.recovery_s) for f in run.faults] == [("kill", True, 6.0)]
    assert run.error_rate == pytest.approx(0.002)
    # 1 of 2 met (E 0.5), no headroom (R 0), 80% of the budget left: 100 × (25 + 0 + 16) / 100.
    assert run.score.value == 41.0
    assert [i.name for i in run.score.inputs] == ["expectations met", "time headroom", "error budget left"]
    assert run.mechanisms["failover"].value == pytest.approx(100 * (50 * 0 + 30 * 0) / 80)
    assert not run.held


def test_recording_a_run_again_replaces_it(history):
    history.record(summary("r1", recovery_s=3.0), RunLabels())
    history.record(summary("r1", recovery_s=1.0), RunLabels("v2"))
    [run] = history.recent_runs()
    assert (run.stack_version, run.faults[0].recovery_s) == ("v2", 1.0)


def test_recent_runs_are_newest_first_limited_and_per_scenario(history):
    for index in range(4):
        history.record(summary(f"a{index}", started_at=T0 + index * 60), RunLabels())
    history.record(summary("b0", scenario="other", started_at=T0 + 30), RunLabels())
    assert [r.run_id for r in history.recent_runs(last=3)] == ["a3", "a2", "a1"]
    assert [r.run_id for r in history.recent_runs("other")] == ["b0"]
    assert history.scenarios() == ["kill-drill", "other"]


def test_the_baseline_is_the_latest_runs_that_held_before_this_one(history):
    runs = [
        summary("old", started_at=T0, recovery_s=1.0),
        summary("broken", started_at=T0 + 60, recovery_s=9.0, verdict="fail"),  # recovery over its limit
        summary("errored", started_at=T0 + 90, verdict="error"),
        summary("held", started_at=T0 + 120, recovery_s=2.0),
        summary("gate-only", started_at=T0 + 150, recovery_s=3.0, verdict="fail", expectations=[
            expectation("regression: recovery_time of kill", "regression", None, "<= last run", False)]),
        summary("later", started_at=T0 + 600, recovery_s=0.5),
        summary("elsewhere", scenario="other", started_at=T0 + 130, recovery_s=0.1),
    ]  # fmt: skip
    for run in runs:
        history.record(run, RunLabels())
    baseline = history.baseline("kill-drill", T0 + 300, "this", 5, fault="kill")
    # A run whose only unmet expectations are regression gates still held: the first runs build the history.
    assert [(b.run_id, b.value) for b in baseline] == [("gate-only", 3.0), ("held", 2.0), ("old", 1.0)]
    assert [b.run_id for b in history.baseline("kill-drill", T0 + 300, "gate-only", 1, fault="kill")] == [
        "held"]  # fmt: skip
    assert [b.value for b in history.baseline("kill-drill", T0 + 300, "x", 2, figure="error_rate")] == [
        pytest.approx(0.002)] * 2  # fmt: skip


def test_import_records_every_run_directory_below_a_folder_and_skips_unfinished_ones(history_url, tmp_path):
    reports = tmp_path / "reports"
    write_run_dir(reports / "a-1", summary("a1"))
    RunLabels("v7").write(write_run_dir(reports / "suite-x" / "01-a", summary("a2", started_at=T0 + 60)))
    unfinished = reports / "killed"
    unfinished.mkdir(parents=True)
    (unfinished / "run.json").write_text("{}")
    location = resolve_history(history_url)
    result = import_runs(location, [reports], stack_version=None)
    assert sorted(p.name for p in result.imported) == ["01-a", "a-1"]
    assert len(result.skipped) == 1 and "killed: no summary.json" in result.skipped[0]
    with History(location) as history:
        runs = {r.run_id: r for r in history.recent_runs()}
    assert runs["a2"].stack_version == "v7" and runs["a2"].suite is None
    assert runs["a1"].run_dir == str((reports / "a-1").resolve())
    # Importing again with a version given replaces the records, never duplicates them.
    import_runs(location, [reports / "a-1"], stack_version="v8")
    with History(location) as history:
        assert [(r.run_id, r.stack_version) for r in history.recent_runs()] == [("a2", "v7"), ("a1", "v8")]


def test_a_summary_from_another_version_imports(history_url, tmp_path):
    """Written before expectations had a `status`, or by a later version with fields this one lacks."""
    directory = write_run_dir(tmp_path / "old", summary("old-format", recovery_s=5.0, verdict="fail"))
    data = json.loads((directory / "summary.json").read_text())
    for item in data["expectations"]:
        del item["status"]
    data["slo"]["added_later"] = 1
    (directory / "summary.json").write_text(json.dumps(data))
    location = resolve_history(history_url)
    result = import_runs(location, [directory], None)
    assert result.imported == [directory] and not result.skipped
    with History(location) as history:
        [run] = history.recent_runs()
    assert run.failed == ["recovery_time: kill <= 4s"]

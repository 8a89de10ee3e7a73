"""Regression gates against a real history: the median of earlier runs that held, never a silent pass."""

from __future__ import annotations

import pytest

from harness.history.location import in_effect, resolve_history
from harness.history.rows import RunLabels
from harness.history.store import History
from harness.scenario.regression import RegressionExpectation
from harness.verify.regression import ThisRun, evaluate_gates
from tests.history.recorded_runs import T0, summary


def gate(**fields) -> RegressionExpectation:
    return RegressionExpectation.model_validate(
        {"metric": "recovery_time", "fault": "kill", "runs": 3, **fields}
    )


def this_run(recovery_s: float | None = 1.0, *, applied: bool = True, error_rate: float = 0.002) -> ThisRun:
    run = summary("now", started_at=T0 + 3600, recovery_s=recovery_s, applied=applied, error_rate=error_rate)
    return ThisRun(run.scenario, run.run_id, run.started_at, run.slo, run.faults)


def record(history_url: str, *recoveries: float, **fields) -> None:
    with History(resolve_history(history_url)) as history:
        for index, recovery in enumerate(recoveries):
            history.record(summary(f"b{index}", started_at=T0 + index * 60, recovery_s=recovery, **fields),
                           RunLabels())  # fmt: skip


def evaluate(history_url: str, gates: list[RegressionExpectation], run: ThisRun):
    with in_effect(history_url):
        return evaluate_gates(gates, run)


def test_too_little_history_is_not_measured_and_fails(history_url):
    record(history_url, 1.0, 1.2)
    [result] = evaluate(history_url, [gate()], this_run(1.0))
    assert (result.status, result.passed, result.observed) == ("not measured", False, None)
    assert "only 2 of the 3 earlier runs that held" in result.explanation


@pytest.mark.parametrize(("observed", "passed"), [(1.5, True), (1.8, True), (1.81, False), (6.0, False)])
def test_the_limit_is_the_median_plus_the_increase_and_delta(history_url, observed, passed):
    record(history_url, 1.0, 9.0, 1.5, 1.0)  # the 9 s run missed its recovery limit: not a baseline
    [result] = evaluate(history_url, [gate(max_increase="20%")], this_run(observed))
    # median of (1.0, 1.5, 1.0) = 1.0 s: limit 1.2 s, and 1.8 s with 600 ms more
    [with_delta] = evaluate(history_url, [gate(max_increase="20%", max_delta="600ms")], this_run(observed))
    assert result.passed is (observed <= 1.2)
    assert with_delta.passed is passed, with_delta.explanation
    assert with_delta.status == ("pass" if passed else "fail") and with_delta.observed == observed
    assert "median of the last 3 runs that held (b3, b2, b0)" in with_delta.explanation


def test_a_fault_that_never_recovered_fails_the_gate(history_url):
    record(history_url, 1.0, 1.0, 1.0)
    [result] = evaluate(history_url, [gate(max_increase="100%")], this_run(None))
    assert (result.status, result.observed) == ("fail", None)
    assert "never recovered" in result.explanation


def test_a_fault_never_applied_is_not_measured(history_url):
    record(history_url, 1.0, 1.0, 1.0)
    [result] = evaluate(history_url, [gate()], this_run(applied=False))
    assert result.status == "not measured" and "never applied" in result.explanation


def test_error_rate_against_the_last_run_that_held_in_points(history_url):
    record(history_url, 1.0, error_rate=0.005)
    error_gate = RegressionExpectation.model_validate({"metric": "error_rate", "runs": 1, "max_delta": "2%"})
    [met] = evaluate(history_url, [error_gate], this_run(error_rate=0.025))
    [regressed] = evaluate(history_url, [error_gate], this_run(error_rate=0.0251))
    assert (met.passed, met.observed, met.unit) == (True, pytest.approx(2.5), "%"), met.explanation
    assert not regressed.passed and "REGRESSED" in regressed.explanation


def test_no_readable_history_is_not_measured_with_the_reason(tmp_path):
    [off] = evaluate("off", [gate()], this_run())
    assert off.status == "not measured" and "history is off" in off.explanation
    [unreachable] = evaluate("postgresql://nobody@127.0.0.1:1/none", [gate()], this_run())
    assert unreachable.status == "not measured" and "could not be read" in unreachable.explanation

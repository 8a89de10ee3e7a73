"""The resilience score: the documented formula, its inputs, and no score for runs that prove nothing."""

from __future__ import annotations

import pytest

from harness.scoring import resilience
from tests.history.recorded_runs import expectation, summary


def run_with(*expectations, burn=0.25, verdict="pass"):
    return summary("s", expectations=list(expectations), burn=burn, verdict=verdict)


def test_the_formula_weighs_expectations_time_headroom_and_error_budget():
    scores = resilience(run_with(
        expectation("recovery_time: kill <= 4s", "recovery_time", 1.0, "<= 4s", True),    # 75% headroom
        expectation("breaker_opened: kill <= 2s", "breaker_opened", 1.5, "<= 2s", True),   # 25% headroom
        expectation("errors: rate < 1%", "errors", 2.0, "rate < 1%", False, "%"),
        expectation("attempts: mean < 1.3", "attempts", 1.1, "mean < 1.3", True, ""),
    ))  # fmt: skip
    # E = 3/4, R = (0.75 + 0.25) / 2 = 0.5, B = 1 - 0.25: 100 × (50·0.75 + 30·0.5 + 20·0.75) / 100
    assert scores.run.value == 67.5
    assert [(i.name, i.value, i.weight) for i in scores.run.inputs] == [
        ("expectations met", 0.75, 50),
        ("time headroom", 0.5, 30),
        ("error budget left", 0.75, 20),
    ]
    assert scores.run.describe().startswith("67.5/100 = 100 × (50×0.75 + 30×0.50 + 20×0.75) / 100")
    assert scores.run.short() == "67.5 (met 75%, headroom 50%, budget left 75%)"
    # Per mechanism: E and R over its own expectations only, without the run-wide budget.
    assert scores.mechanisms["failover"].value == pytest.approx(100 * (50 * 1 + 30 * 0.5) / 80, abs=0.05)
    assert scores.mechanisms["retries"].value == 100
    assert set(scores.mechanisms) == {"failover", "retries"}


def test_an_unmet_or_unmeasured_time_limit_leaves_no_headroom_and_a_missing_input_drops_its_weight():
    scores = resilience(run_with(
        expectation("rollback: bad <= 10s", "rollback", None, "<= 10s", False),
        expectation("drift_detected: drift <= 10s", "drift_detected", 12.0, "<= 10s", False),
    burn=2.0))  # fmt: skip
    assert scores.run.value == 0.0
    no_timed = resilience(run_with(expectation("errors: rate < 1%", "errors", 0.5, "rate < 1%", True, "%")))
    assert no_timed.run.value == pytest.approx(100 * (50 + 20 * 0.75) / 70, abs=0.05)
    assert [i.name for i in no_timed.run.inputs] == ["expectations met", "error budget left"]


def test_regression_gates_stay_out_of_the_score():
    scores = resilience(run_with(
        expectation("errors: rate < 1%", "errors", 0.5, "rate < 1%", True, "%"),
        expectation("regression: error_rate <= last run", "regression", None, "<= last run", False, "%"),
    burn=0.0))  # fmt: skip
    assert scores.run.value == 100.0


@pytest.mark.parametrize("verdict", ["error", "incomplete"])
def test_a_run_that_proves_nothing_is_not_scored(verdict):
    scores = resilience(run_with(expectation("errors: rate < 1%", "errors", 0.1, "rate < 1%", True, "%"),
                                 verdict=verdict))  # fmt: skip
    assert scores.run.value is None and scores.mechanisms == {}
    assert scores.run.short().startswith("not scored (")

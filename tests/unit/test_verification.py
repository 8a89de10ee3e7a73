"""Verification on synthetic samples whose truth is known by construction."""

import numpy as np
import pandas as pd
import pytest

from harness.scenario.model import Scenario
from harness.verify.recovery import assess_recovery
from harness.verify.results import FaultRecord
from harness.verify.verifier import verify

T0 = 1_700_000_000.0


def synthetic_samples(duration=30.0, rate=50, outage=(10.0, 14.0), outage_latency_ms=None, seed=0):
    """Steady traffic at `rate` req/s; every request in `outage` fails (or is slow)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, duration, 1 / rate)
    inside = (t >= outage[0]) & (t < outage[1])
    latency = rng.uniform(5, 20, len(t))
    ok = np.ones(len(t), dtype=int)
    if outage_latency_ms is None:
        ok[inside] = 0
    else:
        latency[inside] = outage_latency_ms
    return pd.DataFrame({
        "t_intended": T0 + t, "t_start": T0 + t, "latency_ms": latency, "status": np.where(ok, 200, 503),
        "ok": ok, "error": np.where(ok, "", "http_5xx"), "replica": np.where(t < 15, "gpu-0", "cpu-0"),
        "version": "v1", "attempts": np.where(ok, 1, 3), "degraded": 0, "late": 0,
    })  # fmt: skip


def scenario(**expectations):
    return Scenario.model_validate({
        "name": "synthetic",
        "load": {"users": 1, "duration": "30s"},
        "slo": {"availability": "99%", "latency": "p(99) < 100ms", "window": "1s", "recovery_windows": 3},
        "faults": [{"name": "kill", "kind": "node-kill", "at": "10s", "duration": "2s", "target": "gpu-0"}],
        "expectations": expectations,
    })  # fmt: skip


def fault(applied_rel=10.0, cleared_rel=12.0):
    return FaultRecord("kill", "node-kill", ["gpu-0"], 10.0, 12.0, applied_at=T0 + applied_rel,
                       cleared_at=T0 + cleared_rel)  # fmt: skip


@pytest.mark.parametrize("outage_end", [12.0, 14.0, 14.5, 17.3])
def test_recovery_time_is_exact_to_one_window(outage_end):
    faults = [fault()]
    verify(scenario(), synthetic_samples(outage=(10.0, outage_end)), T0, faults)
    true_recovery = outage_end - 10.0
    assert faults[0].recovery_s == pytest.approx(true_recovery, abs=1.0)
    assert faults[0].recovery_s >= true_recovery - 1e-9  # never optimistic


def test_latency_outage_counts_too():
    faults = [fault()]
    verify(scenario(), synthetic_samples(outage=(10.0, 13.0), outage_latency_ms=400), T0, faults)
    assert faults[0].recovery_s == pytest.approx(3.0, abs=1.0)


def test_never_recovered_is_a_result():
    faults = [fault()]
    result = verify(
        scenario(recovery_time=[{"fault": "kill", "max": "5s"}]),
        synthetic_samples(outage=(10.0, 30.0)),  # to the end: 29-30 s alone was good (unconfirmed) before
        T0,
        faults,
    )
    assert faults[0].recovery_s is None
    [expectation] = result.expectations
    assert not expectation.passed and "never recovered" in expectation.explanation


def test_recovery_needs_consecutive_good_windows():
    good = [True, False, True, True, False, True, True, True, True, True]
    windows = pd.DataFrame({"start_s": range(10), "end_s": range(1, 11), "good": good})
    assert assess_recovery(windows, 1.0, required=3).seconds == 4.0
    assert assess_recovery(windows, 1.0, required=1).seconds == 1.0
    assert assess_recovery(windows, 0.5, required=3).seconds == 4.5
    assert assess_recovery(windows, 5.0, required=6).seconds is None


def test_expectations_pass_and_fail_with_explanations():
    samples = synthetic_samples(outage=(10.0, 12.0))  # 2 s of 30 s failing: 6.7% errors
    result = verify(
        scenario(
            errors=["rate < 10%", "rate < 1%"],
            **{"errors{steady}": ["count == 0"], "latency": ["p(99) < 50ms"]},
            attempts=["max <= 3", "mean < 1.1"],
            error_budget=["burn < 100%"],
            slo=["steady >= 100%"],
            recovery_time=[{"fault": "kill", "max": "3s"}, {"fault": "kill", "max": "1s"}],
        ),
        samples, T0, [fault()],
    )  # fmt: skip
    verdicts = {e.name: e.passed for e in result.expectations}
    assert verdicts == {
        "errors: rate < 10%": True,
        "errors: rate < 1%": False,
        "errors{steady}: count == 0": True,
        "latency: p(99) < 50ms": True,
        "attempts: max <= 3": True,
        "attempts: mean < 1.1": False,
        "error_budget: burn < 100%": False,
        "slo: steady >= 100%": True,
        "recovery_time: kill <= 3s": True,
        "recovery_time: kill <= 1s": False,
    }
    errors = next(e for e in result.expectations if e.name == "errors: rate < 1%")
    assert errors.observed == pytest.approx(100 * 2 / 30, rel=0.02)
    assert errors.unit == "%"
    assert "NOT met" in errors.explanation and "requests" in errors.explanation
    assert result.traffic_share == pytest.approx({"cpu-0": 0.5, "gpu-0": 0.5})


def test_unmeasurable_expectation_fails():
    empty = synthetic_samples().iloc[0:0]
    result = verify(scenario(errors=["rate < 1%"], recovery_time=[{"fault": "kill", "max": "5s"}]), empty, T0,
                    [FaultRecord("kill", "node-kill", ["gpu-0"], 10.0, 12.0, error="boom")])  # fmt: skip
    assert [e.passed for e in result.expectations] == [False, False]
    assert "not measured" in result.expectations[0].explanation
    assert "boom" in result.expectations[1].explanation


def test_degraded_answers_are_not_good_service_unless_the_slo_says_so():
    samples = synthetic_samples(outage=(10.0, 10.0))
    samples.loc[(samples["t_intended"] >= T0 + 10) & (samples["t_intended"] < T0 + 15), "degraded"] = 1
    faults = [fault()]
    verify(scenario(), samples, T0, faults)
    assert faults[0].recovery_s == pytest.approx(5.0, abs=1.0)
    lenient = scenario().model_copy(deep=True)
    lenient.slo.degraded_is_good = True
    faults = [fault()]
    verify(lenient, samples, T0, faults)
    assert faults[0].recovery_s == 0.0


def test_zero_attempts_count_and_missing_headers_do_not():
    """A gateway answering from its fallback without trying a replica reports 0 attempts: that is data.
    A response without the header (-1) says nothing about retries and is left out."""
    samples = synthetic_samples(outage=(10.0, 10.0))
    samples["attempts"] = 1
    samples.loc[samples.index[:100], "attempts"] = 0
    samples.loc[samples.index[100:200], "attempts"] = -1
    result = verify(scenario(attempts=["mean < 1"]), samples, T0, [fault()])
    [attempts] = result.expectations
    expected = (len(samples) - 200) / (len(samples) - 100)
    assert attempts.observed == pytest.approx(expected)
    assert attempts.passed

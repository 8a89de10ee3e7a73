"""Mechanism expectations from polled stack state, on synthetic snapshots with known truth."""

import pandas as pd
import pytest

from faults.deploy import HARNESS_ROLLBACK_REASON
from harness.scenario.checks import check_semantics
from harness.scenario.model import Scenario
from harness.verify.mechanisms import evaluate_mechanisms, stack_transitions
from harness.verify.results import FaultRecord

T0 = 1_800_000_000.0


def scenario(**expectations):
    return Scenario.model_validate({
        "name": "m",
        "load": {"users": 1, "duration": "30s"},
        "faults": [
            {"name": "drift", "kind": "data-drift", "at": "10s", "params": {"transform": "mean-shift",
                                                                           "features": ["income_k"]}},
            {"name": "canary", "kind": "bad-deploy", "at": "10s"},
            {"name": "hang", "kind": "gpu-hang", "at": "10s", "duration": "5s", "target": "gpu-0"},
        ],
        "expectations": expectations,
    })  # fmt: skip


def snapshots(alert_from=None, rolled_back_at=None, reason="automated analysis: error rate", open_from=None):
    """Polls every 0.25 s from T0 to T0+30."""
    result = []
    for i in range(121):
        t = T0 + i * 0.25
        alert = alert_from is not None and t >= alert_from
        rolled = rolled_back_at is not None and t >= rolled_back_at
        result.append({
            "polled_at": t,
            "drift": {"alert": alert, "alert_since": alert_from if alert else None},
            "canary": {"status": "rolled_back" if rolled else "active", "version": "v2-bad",
                       "rolled_back_at": rolled_back_at if rolled else None,
                       "reason": reason if rolled else None},
            "replicas": [{"name": "gpu-0", "breaker": "open" if open_from and t >= open_from else "closed"}],
        })  # fmt: skip
    return result


def records(applied=T0 + 10, cleared=None):
    return [FaultRecord(name, "x", ["gpu-0"], 10, None, applied_at=applied, cleared_at=cleared)
            for name in ("drift", "canary", "hang")]  # fmt: skip


def samples(canary_until=None):
    t = [T0 + i * 0.1 for i in range(300)]
    version = ["v2-bad" if (i % 5 == 0 and canary_until and T0 + 10 <= x < canary_until) else "v1"
               for i, x in enumerate(t)]  # fmt: skip
    return pd.DataFrame({"t_start": t, "version": version})


def test_drift_detected_within_limit_and_agrees_with_stack_timestamp():
    [result] = evaluate_mechanisms(scenario(drift_detected=[{"fault": "drift", "within": "5s"}]),
                                   snapshots(alert_from=T0 + 13.1), records(), samples())  # fmt: skip
    assert result.passed
    assert result.observed == pytest.approx(3.1, abs=0.25)  # one polling interval
    assert "stack's alert_since: +3.10s" in result.explanation


def test_drift_false_alarm_and_missed_alert_fail():
    e = scenario(drift_detected=[{"fault": "drift", "within": "5s"}])
    [early] = evaluate_mechanisms(e, snapshots(alert_from=T0 + 4), records(), samples())
    assert not early.passed and "false alarm" in early.explanation
    [never] = evaluate_mechanisms(e, snapshots(), records(), samples())
    assert not never.passed and "no drift alert" in never.explanation
    [late] = evaluate_mechanisms(e, snapshots(alert_from=T0 + 18), records(), samples())
    assert not late.passed and late.observed == pytest.approx(8.0, abs=0.25)


def test_rollback_within_limit_and_canary_traffic_stops():
    e = scenario(rollback=[{"fault": "canary", "within": "5s", "max_canary_requests": 20}])
    [ok] = evaluate_mechanisms(e, snapshots(rolled_back_at=T0 + 12), records(), samples(canary_until=T0 + 12))
    assert ok.passed, ok.explanation
    assert "4 requests served by v2-bad" in ok.explanation
    [leaky] = evaluate_mechanisms(
        e, snapshots(rolled_back_at=T0 + 12), records(), samples(canary_until=T0 + 20)
    )
    assert not leaky.passed and "still served by v2-bad after the rollback" in leaky.explanation


def test_rollback_by_the_harness_itself_does_not_count():
    e = scenario(rollback=[{"fault": "canary", "within": "30s"}])
    [result] = evaluate_mechanisms(e, snapshots(rolled_back_at=T0 + 25, reason=HARNESS_ROLLBACK_REASON),
                                   records(), samples(canary_until=T0 + 25))  # fmt: skip
    assert not result.passed and "never rolled back" in result.explanation


def test_breaker_opened():
    e = scenario(breaker_opened=[{"fault": "hang", "within": "2s"}])
    [ok] = evaluate_mechanisms(e, snapshots(open_from=T0 + 11), records(), samples())
    assert ok.passed and ok.observed == pytest.approx(1.0, abs=0.25)
    [never] = evaluate_mechanisms(e, snapshots(), records(), samples())
    assert not never.passed


def test_unapplied_fault_cannot_be_measured():
    e = scenario(breaker_opened=[{"fault": "hang", "within": "2s"}])
    [result] = evaluate_mechanisms(e, snapshots(open_from=T0 + 11), records(applied=None), samples())
    assert not result.passed and "not measured" in result.explanation


def test_transitions_become_timeline_events():
    events = stack_transitions(snapshots(alert_from=T0 + 3, rolled_back_at=T0 + 5, open_from=T0 + 7))
    assert [e["event"] for e in events] == ["drift_alert", "canary_rolled_back", "breaker_open"]
    assert events[2]["node"] == "gpu-0"


def test_mechanism_expectations_only_refer_to_matching_faults():
    with pytest.raises(ValueError, match="drift_detected applies to data faults, not bad-deploy"):
        check_semantics(scenario(drift_detected=[{"fault": "canary", "within": "5s"}]))

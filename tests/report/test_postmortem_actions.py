"""Action items: one per failed or unmeasured expectation, fault gone wrong and unseen runbook signal, naming
the mechanism, and on the reference stack the real configuration keys to look at."""

from __future__ import annotations

from typing import Any

import pytest

from harness.report.action_items import CONFIG_PREFIX, MECHANISMS, action_items, action_items_section
from harness.scenario.model import Scenario
from harness.thresholds import METRICS
from stack.config import Mechanisms
from tests.report.postmortem_data import RUNBOOK, fault, not_measured, response, result, run

ITEM, EVIDENCE, LOOK_AT = range(3)


def _scenario_sets(key: str) -> None:
    """A scenario setting `key` to the gateway's default validates (extra keys are refused)."""
    *path, section, leaf = key.split(".")
    setting: dict[str, Any] = {section: {leaf: getattr(getattr(Mechanisms(), section), leaf)}}
    for name in reversed(path):
        setting = {name: setting}
    Scenario.model_validate({"name": "keys", **setting, "load": {"users": 1, "duration": "1s"}})


@pytest.mark.parametrize("metric", sorted(MECHANISMS))
def test_every_failed_metric_names_its_mechanism_and_real_keys(metric: str) -> None:
    failed = result(f"{metric}: kill-gpu <= 2s", metric, False, 3.0)
    [item] = action_items(run([fault()], [failed]))
    mechanism = MECHANISMS[metric]
    assert item[ITEM] == f"{mechanism.fix} ({metric}: kill-gpu <= 2s)"
    assert item[EVIDENCE] == "observed 3 s, threshold <= 2s: 3.0s, over the limit"
    keys = [k for k in item[LOOK_AT].split(": ", 1)[-1].split(", ") if k.startswith(CONFIG_PREFIX)]
    assert len(keys) == len(mechanism.keys.split())
    for key in keys:
        _scenario_sets(key)  # a key a scenario cannot set would send the reader nowhere


def test_the_key_check_above_can_fail() -> None:
    with pytest.raises(AttributeError, match="failure_treshold"):
        _scenario_sets(f"{CONFIG_PREFIX}circuit_breaker.failure_treshold")
    with pytest.raises(ValueError, match="mechanisms"):
        _scenario_sets("stack.mechanisms.circuit_breaker.failure_threshold")


def test_the_reference_stack_gets_config_keys_a_users_stack_gets_words() -> None:
    failed = [result("breaker_opened: kill-gpu <= 2s", "breaker_opened", False, 3.0)]
    [[*_, reference]] = action_items(run([fault()], failed, backend="docker"))
    assert reference == (
        "the circuit breaker: stack.gateway.mechanisms.circuit_breaker.enabled, "
        "stack.gateway.mechanisms.circuit_breaker.failure_threshold, "
        "stack.gateway.mechanisms.timeouts.attempt_ms"
    )
    for backend in ("compose", "processes", "external"):
        [[*_, users]] = action_items(run([fault()], failed, backend=backend))
        assert users == MECHANISMS["breaker_opened"].user
        assert "stack.gateway" not in users


def test_a_not_measured_expectation_says_which_evidence_to_expose() -> None:
    missing = [
        not_measured("time_to_mitigate: kill-gpu <= 2s", "time_to_mitigate", "no signal source"),
        not_measured("rollback: deploy <= 5s", "rollback", "no answer said its version"),
    ]
    mitigate, rollback = action_items(run([fault()], missing, backend="compose"))
    assert mitigate[ITEM].startswith(
        "Expose evidence for time_to_mitigate: kill-gpu <= 2s: what the stack did"
    )
    assert "X-Served-By" in mitigate[ITEM] and "/admin/state" in mitigate[ITEM]
    assert mitigate[EVIDENCE] == "not measured: no signal source"
    assert "X-Model-Version" in rollback[ITEM]


def test_the_drills_own_problems_come_first_then_expectations_then_runbooks() -> None:
    refused = fault(
        "refused", applied_at=None, cleared_at=None, recovery_s=None, response=None, error="no proxy"
    )
    unseen = fault(
        runbook=RUNBOOK, runbook_signals=["ejected"], response=response(signals_seen={"ejected": None})
    )
    failed = [result("recovery_time: kill-gpu <= 2s", "recovery_time", False, 4.0)]
    rows = action_items(run([unseen, refused], failed, backend="compose"))
    assert [row[ITEM] for row in rows] == [
        "Fix the drill: apply and clear the fault as planned",
        "Take the faulted replica out of rotation sooner (recovery_time: kill-gpu <= 2s)",
        "Fix the runbook or the alerting for kill-gpu",
    ]
    assert rows[0][EVIDENCE] == "fault refused (node_kill) could not be applied: no proxy"
    assert rows[2][EVIDENCE:] == [
        "expected ejected: not seen while the fault lasted",
        f"{RUNBOOK}: its signals, or the alerting that should raise them",
    ]


def test_an_unknown_metric_still_gets_an_item() -> None:
    [item] = action_items(run([fault()], [result("gpu_temp: kill-gpu <= 2s", "gpu_temp", False)]))
    assert item[ITEM] == "Meet the gpu_temp expectation (gpu_temp: kill-gpu <= 2s)"


def test_nothing_to_do_no_section() -> None:
    passed = [result("recovery_time: kill-gpu <= 5s", "recovery_time", True, 4.0)]
    assert action_items_section(run([fault()], passed)) is None
    assert action_items_section(run([fault(response=None)])) is None


def test_an_slo_breach_nothing_detected_is_an_item_unless_a_time_to_detect_already_says_so() -> None:
    unnoticed = fault(response=response(detected_s=None, detected_by=None, slo_missed_s=3.0))
    [item] = action_items(run([unnoticed]))
    assert item[ITEM] == "Detect kill-gpu: add a signal and a time_to_detect"
    assert item[EVIDENCE] == "the SLO missed for 3.0s and no detection signal was seen"
    assert "circuit_breaker.failure_threshold" in item[EVIDENCE + 1]
    judged = [result("time_to_detect: kill-gpu <= 2s", "time_to_detect", False, 3.0)]
    assert [row[ITEM] for row in action_items(run([unnoticed], judged))] == [
        "Detect the fault sooner (time_to_detect: kill-gpu <= 2s)"
    ]
    assert action_items(run([fault()])) == []  # detected: nothing to add


def test_every_threshold_metric_has_its_own_item() -> None:
    """A new metric (quality, say) gets an item naming its mechanism, not the generic fallback."""
    assert set(METRICS) <= set(MECHANISMS)

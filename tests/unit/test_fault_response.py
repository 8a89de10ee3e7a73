"""Detection, mitigation, recovery and impact per fault against synthetic timelines whose truth is known by
construction, and `time_to_detect` / `time_to_mitigate` judged from them as strictly as recovery_time."""

import numpy as np
import pandas as pd
import pytest

from faults.deploy import HARNESS_ROLLBACK_REASON
from harness.scenario.model import Scenario
from harness.verify.fault_response import run_evidence
from harness.verify.fault_signals import fault_signals
from harness.verify.results import ExpectationResult, FaultRecord
from harness.verify.verifier import verify
from harness.verify.windows import window_slis, with_relative_time

T0 = 1_700_000_000.0
RATE = 50


def samples(outage=(10.0, 14.0), degraded_from=None, replicas=("gpu-0", "cpu-0"), shares=None, slow=None):
    """Steady traffic; every request in `outage` fails; answers degraded from `degraded_from` on."""
    t = np.arange(0, 30, 1 / RATE)
    ok = np.where((t >= outage[0]) & (t < outage[1]), 0, 1)
    rng = np.random.default_rng(0)
    replica = rng.choice(replicas, size=len(t), p=shares)
    degraded = np.zeros(len(t), dtype=int) if degraded_from is not None else np.full(len(t), -1)
    if degraded_from is not None:
        degraded[t >= degraded_from] = 1
    latency = np.full(len(t), 10.0)
    if slow is not None:
        latency[(t >= slow[0]) & (t < slow[1])] = 500.0
    return pd.DataFrame({
        "t_intended": T0 + t, "t_start": T0 + t, "latency_ms": latency, "status": np.where(ok, 200, 503),
        "ok": ok, "error": np.where(ok, "", "http_5xx"), "replica": np.where(ok, replica, ""),
        "version": "v1", "attempts": 1, "degraded": degraded, "late": 0,
    })  # fmt: skip


def scenario(runbook=None, probes=(), **expectations):
    fault = {"name": "kill", "kind": "node-kill", "at": "10s", "duration": "6s", "target": "gpu-0"}
    if runbook is not None:
        fault["runbook"] = runbook
    return Scenario.model_validate({
        "name": "synthetic",
        "load": {"users": 1, "duration": "30s"},
        "slo": {"availability": "99%", "latency": "p(99) < 100ms", "window": "1s", "recovery_windows": 2},
        "faults": [fault],
        "probes": list(probes),
        "expectations": expectations,
    })  # fmt: skip


def record(spec: Scenario) -> FaultRecord:
    runbook = spec.faults[0].runbook
    return FaultRecord(
        "kill", "node-kill", ["gpu-0"], 10.0, 16.0, applied_at=T0 + 10, cleared_at=T0 + 16,
        runbook=runbook.url if runbook else None, runbook_signals=list(runbook.signals) if runbook else [],
    )  # fmt: skip


def polls(until=30.0, every=0.5, **changes):
    """The stack's state every `every` s; `changes` is {field: (node, from_s, value)}."""
    snapshots = []
    for t in np.arange(-1, until, every):
        replicas = []
        for name in ("gpu-0", "cpu-0"):
            replica = {"name": name, "breaker": "closed", "healthy": True, "ejected": False}
            for key, (node, since, value) in changes.items():
                if node == name and since <= t < 16:
                    replica[key] = value
            replicas.append(replica)
        snapshots.append({"polled_at": T0 + t, "replicas": replicas, "canary": {}, "drift": {"alert": False}})
    return snapshots


def run(spec, frame, snapshots=(), readings=()):
    fault = record(spec)
    verification = verify(spec, frame, T0, [fault], 0, list(snapshots), list(readings))
    return fault.response, {e.metric: e for e in verification.expectations}


PROBE = {"name": "down", "every": "250ms", "command": ["true"]}


def test_a_breaker_opening_on_the_target_detects_and_fails_over_at_the_first_poll_that_shows_it():
    spec = scenario(
        time_to_detect={"fault": "kill", "max": "2s"}, time_to_mitigate={"fault": "kill", "max": "1s"}
    )
    response, results = run(spec, samples(), polls(breaker=("gpu-0", 11.2, "open")))
    assert response.detected_s == pytest.approx(1.5) and response.detected_by == "breaker_open on gpu-0"
    assert response.mitigated_s == pytest.approx(1.5)
    assert response.mitigated_by == "failover (breaker_open on gpu-0)"
    assert results["time_to_detect"].passed and results["time_to_detect"].observed == pytest.approx(1.5)
    mitigate = results["time_to_mitigate"]
    assert not mitigate.passed and mitigate.status == "fail" and "over the 1s limit" in mitigate.explanation


def test_ejection_and_health_checks_are_signals_and_the_earliest_one_detects():
    spec = scenario()
    response, _ = run(spec, samples(), polls(ejected=("gpu-0", 12.0, True), healthy=("gpu-0", 10.6, False)))
    assert response.detected_by == "unhealthy on gpu-0" and response.detected_s == pytest.approx(1.0)
    assert response.signals_seen == {"errors": 0.0, "ejected": 2.0, "slo_breach": 0.0, "unhealthy": 1.0}


def test_a_breaker_on_another_replica_detects_but_is_no_failover_of_the_target():
    response, _ = run(scenario(), samples(), polls(breaker=("cpu-0", 11.0, "open")))
    assert response.detected_by == "breaker_open on cpu-0"
    assert response.mitigated_s is None and response.mitigated_by is None


def test_a_reaction_after_the_fault_window_ended_does_not_count():
    spec = scenario(time_to_detect={"fault": "kill", "max": "10s"})
    late = polls(breaker=("gpu-0", 16.5, "open"))
    for snapshot in late:  # opens after the window, stays open
        if snapshot["polled_at"] >= T0 + 16.5:
            snapshot["replicas"][0]["breaker"] = "open"
    response, results = run(spec, samples(), late)
    assert response.detected_s is None
    detect = results["time_to_detect"]
    assert detect.status == "fail" and "no detection seen in stack state" in detect.explanation


def test_no_signal_source_at_all_is_not_measured_and_never_a_failure():
    spec = scenario(time_to_detect={"fault": "kill", "max": "2s"})
    response, results = run(spec, samples())
    assert response.signal_sources == [] and response.detected_s is None
    detect = results["time_to_detect"]
    assert detect.status == "not measured" and "nothing could show a detection" in detect.explanation


def test_polling_that_stopped_before_the_limit_is_not_measured():
    spec = scenario(time_to_detect={"fault": "kill", "max": "5s"})
    _, results = run(spec, samples(), polls(until=12.0))
    detect = results["time_to_detect"]
    assert detect.status == "not measured" and "short of the 5s limit" in detect.explanation


def test_the_first_degraded_answer_detects_and_mitigates_unless_degradation_was_already_on():
    spec = scenario(time_to_mitigate={"fault": "kill", "max": "1s"})
    response, results = run(spec, samples(degraded_from=10.4))
    assert response.detected_s == pytest.approx(0.4) and response.mitigated_by.startswith("degradation")
    assert results["time_to_mitigate"].passed
    already, results = run(spec, samples(degraded_from=9.5))
    assert already.mitigated_s is None
    assert results["time_to_mitigate"].status == "fail"  # the answers were watched: nothing new came


def test_a_rollback_the_harness_made_is_not_the_stacks():
    def canary(reason):
        snapshots = polls()
        for snapshot in snapshots:
            if snapshot["polled_at"] >= T0 + 12:
                snapshot["canary"] = {"status": "rolled_back", "reason": reason}
        return snapshots

    spec = scenario()
    stack, _ = run(spec, samples(), canary("error rate 30% over the baseline"))
    assert stack.mitigated_by == "rollback (canary rolled back (error rate 30% over the baseline))"
    harness, _ = run(spec, samples(), canary(HARNESS_ROLLBACK_REASON))
    assert harness.detected_s is None and harness.mitigated_s is None


def test_runbook_probe_signals_detect_and_unseen_runbook_signals_are_listed():
    runbook = {"url": "https://runbooks.example/gpu-down", "signals": ["probe down >= 1", "drift_alert"]}
    spec = scenario(runbook=runbook, probes=[PROBE], time_to_detect={"fault": "kill", "max": "2s"})
    readings = [{"probe": "down", "t": T0 + t, "value": int(t >= 11.3)} for t in np.arange(0, 30, 0.25)]
    response, results = run(spec, samples(), readings=readings)
    assert response.detected_by == "probe down >= 1" and response.detected_s == pytest.approx(1.5)
    assert response.signals_seen["probe down >= 1"] == pytest.approx(1.5)
    assert response.signals_seen["drift_alert"] is None
    assert response.signal_sources == ["probe down"] and results["time_to_detect"].passed


def test_impact_counts_the_requests_from_injection_until_the_slo_is_back():
    response, _ = run(scenario(), samples(outage=(10.0, 14.0), slow=(14.0, 14.5)))
    assert not response.slo_held
    # Failed 10-14 s, slow 14-14.5 s; back from 15 s (two good windows), but the fault lasts until 16 s.
    assert (response.impact_start_s, response.impact_end_s) == (10.0, 16.0)
    assert response.requests == 6 * RATE and response.failed == 4 * RATE and response.slow == RATE // 2
    assert response.slo_missed_s == 5.0


def test_a_fault_that_never_hurt_held_the_slo_throughout():
    response, _ = run(scenario(), samples(outage=(25.0, 26.0)))
    assert response.slo_held and response.failed == 0 and response.slo_missed_s == 0.0
    assert (response.impact_start_s, response.impact_end_s) == (10.0, 16.0)


def test_never_recovered_impact_runs_to_the_end_of_the_run():
    response, _ = run(scenario(), samples(outage=(10.0, 30.0)))
    assert response.impact_end_s == 30.0 and response.slo_missed_s == 20.0


def test_the_targets_share_of_traffic_before_the_fault_is_measured():
    response, _ = run(scenario(), samples(shares=[0.1, 0.9]))
    assert response.fair_share == 0.5 and response.target_share_before == pytest.approx(0.1, abs=0.02)
    unnamed, _ = run(scenario(), samples(replicas=("other-0", "other-1")))
    assert unnamed.target_share_before is None and unnamed.fair_share is None


def test_a_fault_never_applied_has_no_response_and_its_times_are_not_measured():
    spec = scenario(time_to_detect={"fault": "kill", "max": "2s"})
    fault = FaultRecord("kill", "node-kill", ["gpu-0"], 10.0, 16.0, error="no such node")
    verification = verify(spec, samples(), T0, [fault], 0, polls(), [])
    assert fault.response is None
    (detect,) = [e for e in verification.expectations if e.metric == "time_to_detect"]
    assert detect.status == "not measured" and detect.explanation == "not measured: no such node"


def expected(metric, observed, passed, why, status=None):
    return ExpectationResult(f"{metric}: kill <= 1.5s", metric, observed, "<= 1.5s", "s", passed, why, status)


def test_time_to_detect_and_to_mitigate_results_exactly_at_the_limit_and_past_it():
    spec = scenario(
        time_to_detect={"fault": "kill", "max": "1.5s"}, time_to_mitigate={"fault": "kill", "max": "1.5s"}
    )
    _, results = run(spec, samples(), polls(breaker=("gpu-0", 11.2, "open")))
    assert results["time_to_detect"] == expected(
        "time_to_detect", 1.5, True,
        "detected by breaker_open on gpu-0 1.50s after kill was injected; within the 1.5s limit",
    )  # fmt: skip
    assert results["time_to_mitigate"] == expected(
        "time_to_mitigate", 1.5, True,
        "mitigated by failover (breaker_open on gpu-0) 1.50s after kill was injected; within the 1.5s limit",
    )  # fmt: skip
    _, late = run(spec, samples(), polls(breaker=("gpu-0", 11.7, "open")))
    assert late["time_to_detect"].observed == 2.0 and not late["time_to_detect"].passed
    assert late["time_to_detect"].explanation.endswith("; over the 1.5s limit")


def test_unseen_reactions_fail_once_read_up_to_the_limit_and_name_what_was_watched():
    spec = scenario(
        time_to_detect={"fault": "kill", "max": "1.5s"}, time_to_mitigate={"fault": "kill", "max": "1.5s"}
    )
    _, results = run(spec, samples(), polls(until=11.51))  # last poll exactly at the limit
    assert results["time_to_detect"] == expected(
        "time_to_detect",
        None,
        False,
        "no detection seen in stack state while kill lasted (6.00s): not detected",
    )
    _, answers = run(spec, samples(degraded_from=25.0))  # answers say "not degraded": watched, never seen
    assert answers["time_to_detect"].explanation == (
        "no detection seen in answers' degraded signal while kill lasted (6.00s): not detected"
    )
    _, short = run(spec, samples(), polls(until=11.49))
    assert short["time_to_mitigate"] == expected(
        "time_to_mitigate", None, False,
        "not measured: no mitigation seen in stack state, but they were last read +1.00s from kill's "
        "injection, short of the 1.5s limit",
        "not measured",
    )  # fmt: skip


def test_mitigation_is_the_first_action_limiting_the_damage_not_the_first_reaction():
    spec = scenario(
        time_to_detect={"fault": "kill", "max": "1.5s"}, time_to_mitigate={"fault": "kill", "max": "3s"}
    )
    _, results = run(spec, samples(), polls(breaker=("cpu-0", 11.2, "open"), healthy=("gpu-0", 12.2, False)))
    assert results["time_to_detect"].observed == 1.5
    assert results["time_to_mitigate"].observed == 2.5
    assert results["time_to_mitigate"].explanation.startswith(
        "mitigated by failover (unhealthy on gpu-0) 2.50s"
    )


def test_a_reaction_with_no_source_that_mitigates_is_not_measured_for_mitigation():
    runbook = {"url": "https://runbooks.example/gpu-down", "signals": ["probe down >= 1"]}
    spec = scenario(runbook=runbook, probes=[PROBE], time_to_mitigate={"fault": "kill", "max": "1.5s"})
    readings = [{"probe": "down", "t": T0 + t, "value": 0} for t in np.arange(0, 30, 0.25)]
    _, results = run(spec, samples(), readings=readings)
    assert results["time_to_mitigate"] == expected(
        "time_to_mitigate", None, False,
        "not measured: nothing could show a mitigation: the stack's state was never polled (no "
        "/admin/state), no probe signal names kill (runbook signals, or mechanism expectations with a "
        "probe), and no answer reported degradation",
        "not measured",
    )  # fmt: skip


def test_every_signal_is_timed_from_the_injection_with_its_words():
    fault = record(scenario())
    frame = samples(outage=(10.5, 12.0), degraded_from=11.0)
    snapshots = polls(breaker=("cpu-0", 12.2, "open"), healthy=("gpu-0", 13.1, False))
    for snapshot in snapshots:
        if snapshot["polled_at"] >= T0 + 14:
            snapshot["drift"]["alert"] = True
    signals = fault_signals(scenario(), fault, T0 + 16, run_evidence(
        with_relative_time(frame, T0), window_slis(with_relative_time(frame, T0), 30, scenario().slo, []),
        snapshots, [], T0))  # fmt: skip
    seen = sorted((round(s.t - T0, 3), s.signal, s.detail, s.detects, s.mitigation) for s in signals.seen)
    assert seen == [
        (10.0, "slo_breach", "SLO window missed", False, None),
        (10.5, "errors", "failed requests", False, None),
        (11.0, "degraded", "fallback model answering", True, "degradation"),
        (12.5, "breaker_open", "breaker_open on cpu-0", True, None),
        (13.5, "unhealthy", "unhealthy on gpu-0", True, "failover"),
        (14.0, "drift_alert", "drift alert", True, None),
    ]
    assert [(s.name, round(s.last_t - T0, 3), s.mitigates) for s in signals.sources] == [
        ("stack state", 29.5, True), ("answers' degraded signal", 29.98, True)]  # fmt: skip
    assert signals.first_of("breaker_open").t == T0 + 12.5 and signals.first_of("ejected") is None


def signals_of(spec, frame, snapshots=(), readings=(), until=16.0):
    fault = record(spec)
    timed = with_relative_time(frame, T0)
    evidence = run_evidence(timed, window_slis(timed, 30, spec.slo, []), list(snapshots), list(readings), T0)
    return fault_signals(spec, fault, T0 + until, evidence)


def test_the_fault_window_is_closed_at_the_injection_and_open_at_its_end():
    at_injection = polls(every=1.0, breaker=("gpu-0", 10.0, "open"))  # polled at 10.0 s exactly
    assert signals_of(scenario(), samples(), at_injection).first_of("breaker_open").t == T0 + 10
    at_end = polls(every=1.0, ejected=("cpu-0", 16.0, True))
    for snapshot in at_end:  # ejected from 16 s on, at the very end of the window
        snapshot["replicas"][1]["ejected"] = snapshot["polled_at"] >= T0 + 16
    assert signals_of(scenario(), samples(), at_end).first_of("ejected") is None
    assert signals_of(scenario(), samples(), at_end, until=16.5).first_of("ejected").t == T0 + 16
    failing_at_end = samples(outage=(16.0, 17.0))  # failures and a breach after the window are not its own
    assert signals_of(scenario(), failing_at_end).seen == []
    assert signals_of(scenario(), samples(outage=(15.98, 17.0))).first_of("errors").t == T0 + 15.98


def test_degradation_already_on_within_one_slo_window_before_the_injection_is_no_reaction():
    assert signals_of(scenario(), samples(degraded_from=9.0)).first_of("degraded") is None
    assert signals_of(scenario(), samples(degraded_from=10.0)).first_of("degraded").t == T0 + 10
    just_outside = samples(degraded_from=9.0)
    just_outside.loc[
        (just_outside["t_start"] >= T0 + 9) & (just_outside["t_start"] < T0 + 10), "degraded"
    ] = 0
    just_outside.loc[just_outside["t_start"] == T0 + 9, "degraded"] = 1  # one second (a window) before
    assert signals_of(scenario(), just_outside).first_of("degraded") is None
    just_outside.loc[just_outside["t_start"] == T0 + 9, "degraded"] = 0
    just_outside.loc[just_outside["t_start"] == T0 + 8.98, "degraded"] = 1
    assert signals_of(scenario(), just_outside).first_of("degraded").t == T0 + 10


def test_a_rollback_expectations_probe_detects_and_mitigates_and_names_its_source():
    probe = {"name": "weight", "every": "250ms", "command": ["true"]}
    rollback = {"fault": "kill", "within": "5s", "probe": "weight", "reads": "== 0"}
    spec = scenario(probes=[probe], rollback=rollback)
    readings = [
        {"probe": "weight", "t": T0 + t, "value": 0 if t >= 12.0 else 30} for t in np.arange(0, 20, 0.5)
    ]
    found = signals_of(spec, samples(), readings=readings)
    [turn] = [s for s in found.seen if s.signal == "probe weight == 0"]
    assert (turn.t, turn.detail, turn.detects, turn.mitigation) == (
        T0 + 12,
        "probe weight == 0",
        True,
        "rollback",
    )
    assert [(s.name, s.last_t, s.mitigates) for s in found.sources] == [("probe weight", T0 + 19.5, True)]
    other = record(spec)
    other.name = "other"  # the expectation names `kill`, not this fault
    timed = with_relative_time(samples(), T0)
    evidence = run_evidence(timed, window_slis(timed, 30, spec.slo, []), [], readings, T0)
    assert fault_signals(spec, other, T0 + 16, evidence).sources == []


def test_the_stacks_rollback_is_worded_with_its_reason_or_without():
    for reason, words in [
        ("error rate 30%", "canary rolled back (error rate 30%)"),
        (None, "canary rolled back"),
    ]:
        snapshots = polls()
        for snapshot in snapshots:
            if snapshot["polled_at"] >= T0 + 12:
                snapshot["canary"] = {"status": "rolled_back", "reason": reason}
        [seen] = [s for s in signals_of(scenario(), samples(), snapshots).seen if s.signal == "rollback"]
        assert (seen.detail, seen.detects, seen.mitigation) == (words, True, "rollback")

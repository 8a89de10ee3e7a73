"""The verifier's own figures: SLO summary, traffic share, fault windows and recovery times on known runs."""

import pandas as pd
import pytest

from harness.verify.results import SloFigures
from harness.verify.verifier import slo_figures, traffic_share, verify
from harness.verify.windows import with_relative_time

from .verdict_data import FAILED, NO_HEADERS, T0, record, requests, run, scenario


def graded_run():
    """100 requests over 10 s with latencies 1..100 ms; the 10 at 2-3 s fail (2 attempts each), the 10 at
    6-7 s were answered without trying a replica (0 attempts), the 10 at 8-9 s carry no X-Attempts header.
    2 s windows: the one at 2-4 s misses availability 75%. Mean attempts: (70 + 20 + 0) / 90 = 1."""
    samples = requests(0, 10, latency_ms=[float(i + 1) for i in range(100)])
    failing = samples.index[20:30]
    samples.loc[failing, ["status", "ok", "error", "replica", "attempts"]] = [503, 0, "http_5xx", "", 2]
    samples.loc[samples.index[60:70], "attempts"] = 0
    samples.loc[samples.index[80:90], "attempts"] = -1
    return samples


def figures(samples, records=(), **slo):
    verification = verify(
        scenario(duration="10s", slo={"latency": "p(99.9) < 150ms", **slo}), samples, T0, list(records)
    )
    return verification.slo


def test_slo_figures_of_a_known_run():
    assert figures(graded_run(), [record("kill", 2.0, 4.0)]) == SloFigures(
        availability_target=0.75,
        latency_percentile=99.9,
        latency_threshold_ms=150.0,
        window_s=2.0,
        requests=100,
        success_ratio=pytest.approx(0.9),
        latency_p50_ms=pytest.approx(50.5),
        latency_p95_ms=pytest.approx(95.05),
        latency_p99_ms=pytest.approx(99.01),
        windows_total=5,
        windows_good=4,
        compliance_steady=1.0,
        compliance_faulted=0.0,
        error_budget_burn=pytest.approx(10 / 25),
        mean_attempts=pytest.approx(1.0),
    )


def test_slo_figures_without_requests_or_faults():
    assert figures(requests(0, 0)) == SloFigures(
        availability_target=0.75,
        latency_percentile=99.9,
        latency_threshold_ms=150.0,
        window_s=2.0,
        windows_total=5,
        windows_good=0,
        compliance_steady=0.0,
    )


def test_slo_figures_without_headers_or_error_budget():
    """No X-Attempts header: no mean; availability 100%: no failure allowed, so no burn ratio."""
    got = figures(requests(0, 10, **NO_HEADERS), availability="100%")
    assert (got.mean_attempts, got.error_budget_burn, got.success_ratio) == (None, None, 1.0)


def test_slo_figures_use_the_scenario_slo():
    samples = with_relative_time(graded_run(), T0)
    got = slo_figures(
        scenario(slo={"window": "5s"}), samples, pd.DataFrame({"good": [True], "faults": ["x"]})
    )
    assert (got.window_s, got.latency_percentile, got.windows_total, got.windows_good) == (5.0, 99.0, 1, 1)
    assert (got.compliance_steady, got.compliance_faulted) == (None, 1.0)


def test_traffic_share_is_over_requests_a_replica_answered():
    samples = run(requests(0, 3, replica="gpu-1"), requests(3, 4, **FAILED), requests(4, 5, replica="cpu-0"))
    share = traffic_share(samples)
    assert list(share.items()) == [("cpu-0", 0.25), ("gpu-1", 0.75)]


def test_traffic_share_without_x_served_by_is_not_reported():
    assert traffic_share(requests(0, 10, **NO_HEADERS)) == {}
    assert verify(scenario(), requests(0, 20, **NO_HEADERS), T0, []).traffic_share == {}


def test_verify_fills_in_recovery_and_keeps_what_it_measured_from():
    """kill: failing 5-10 s, good from 10 s: recovered 5.0 s after injection; slow: never applied."""
    samples = run(requests(0, 5), requests(5, 10, **FAILED), requests(10, 20))
    faults = [record("kill", 5.0, 10.0), record("slow", None, None, recovery_s=99.0)]
    verification = verify(scenario(), samples, T0, faults)
    assert [f.recovery_s for f in faults] == [5.0, 99.0]
    assert verification.samples["t_rel"].tolist() == pytest.approx([i / 10 for i in range(200)])
    assert verification.windows["faults"].tolist() == ["", "", "kill", "kill", "kill", "", "", "", "", ""]
    assert verification.windows["good"].tolist() == [
        True,
        True,
        False,
        False,
        False,
        True,
        True,
        True,
        True,
        True,
    ]


def test_a_fault_never_cleared_is_active_to_the_end_of_the_run():
    verification = verify(scenario(), requests(0, 20), T0, [record("kill", 15.0, None)])
    assert verification.windows["faults"].tolist() == [""] * 7 + ["kill"] * 3


def test_verify_passes_slots_never_sent_and_stack_state_on():
    """`late` counts slots never sent (none unless told); mechanism checks get the polls (none unless
    told)."""
    expectations = {"late": ["count == 0"], "breaker_opened": [{"fault": "kill", "within": "1s"}]}
    faults = [record("kill", 5.0, 10.0)]
    late, breaker = verify(scenario(expectations), requests(0, 20), T0, faults).expectations
    assert (late.status, late.observed, breaker.status) == ("pass", 0.0, "not measured")
    assert breaker.explanation == "not measured: the stack's state was never polled (no /admin/state)"
    snapshots = [
        {"polled_at": T0 + t / 2, "replicas": [{"name": "gpu-0", "breaker": "open" if t >= 11 else "closed"}]}
        for t in range(40)
    ]
    late, breaker = verify(scenario(expectations), requests(0, 20), T0, faults, 3, snapshots).expectations
    assert (late.status, late.observed, breaker.status, breaker.observed) == ("fail", 3.0, "pass", 0.5)


def test_verify_judges_a_rollback_from_the_samples_it_was_given():
    expectations = {"rollback": [{"fault": "canary", "within": "5s", "max_canary_requests": 5}]}
    faults = [{"name": "canary", "kind": "canary-deploy", "at": "5s"}]
    samples = run(requests(0, 20), requests(5, 6, version="v2"))
    snapshots = [
        {"polled_at": T0 + t, "canary": {"status": "rolled_back" if t >= 7 else "active"}} for t in range(20)
    ]
    [rollback] = verify(
        scenario(expectations, faults=faults), samples, T0, [record("canary", 5.0, None)], 0, snapshots
    ).expectations
    assert (rollback.status, rollback.observed) == ("fail", 2.0)
    assert rollback.explanation.endswith("; 10 requests served by v2; 10 requests served by v2 (limit 5)")

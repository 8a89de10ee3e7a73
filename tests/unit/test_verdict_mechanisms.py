"""Mechanism expectations on polled stack states with known truth: limits, boundaries and missing evidence.

Every fault is applied 5 s after load start; the stack is polled every 0.5 s from -2 s (14 polls before
the injection) to 30 s unless a case says otherwise.
"""

import pytest

from faults.deploy import HARNESS_ROLLBACK_REASON
from harness.verify.mechanisms import evaluate_mechanisms, stack_transitions

from .verdict_data import T0, record, requests, result, run, scenario

APPLIED = 5.0

# fmt: off
MECHANISM_FAULTS = [
    {"name": "drift", "kind": "data-drift", "at": "5s",
     "params": {"transform": "mean-shift", "features": ["income_k"]}},
    {"name": "canary", "kind": "canary-deploy", "at": "5s"},
    {"name": "canary-bad", "kind": "canary-deploy", "at": "5s", "params": {"version": "v2-bad"}},
    {"name": "bad", "kind": "bad-deploy", "at": "5s"},
    {"name": "hang", "kind": "gpu-hang", "at": "5s", "duration": "5s", "target": "gpu-0"},
]
# fmt: on


def polls(since=-2.0, until=30.0, drift=None, canary=None, replicas=None):
    """One snapshot every 0.5 s; each section is a function of the time since load start (None: left out)."""
    snapshots = []
    for i in range(round((until - since) / 0.5) + 1):
        t = since + i * 0.5
        snapshot = {"polled_at": T0 + t}
        for section, state in (("drift", drift), ("canary", canary), ("replicas", replicas)):
            if state is not None:
                snapshot[section] = state(t)
        snapshots.append(snapshot)
    return snapshots


def alert_from(start, since=None):
    return lambda t: {"alert": t >= start, "alert_since": since if t >= start else None}


def rolled_back(polled_from, at=None, reason="automated analysis: error rate"):
    """Active from the injection; rolled back as first seen at `polled_from` (stack's time `at`)."""

    def state(t):
        if t < polled_from:
            return {"status": "active" if t >= APPLIED else "none", "rolled_back_at": None, "reason": None}
        return {"status": "rolled_back", "rolled_back_at": None if at is None else T0 + at, "reason": reason}

    return state


def breakers(open_from=None, nodes=("gpu-0",), replicas=("gpu-0", "gpu-1")):
    def state(t):
        opened = open_from is not None and t >= open_from
        return [{"name": r, "breaker": "open" if opened and r in nodes else "closed"} for r in replicas]

    return state


def records(applied=APPLIED, **fields):
    names = [f["name"] for f in MECHANISM_FAULTS]
    return [
        record(name, applied, None, targets=fields.get("targets", ["gpu-0"]), error=fields.get("error"))
        for name in names
    ]


def check(expectation, snapshots, samples=None, applied=APPLIED, **record_fields):
    kind = next(iter(expectation))
    results = evaluate_mechanisms(
        scenario(expectation, faults=MECHANISM_FAULTS),
        snapshots,
        records(applied, **record_fields),
        requests(0, 20) if samples is None else samples,
    )
    assert len(results) == 1, kind
    return results[0]


def drift(within="3s"):
    return {"drift_detected": [{"fault": "drift", "within": within}]}


# fmt: off
DRIFT = [
    # snapshots, status, observed, explanation
    (polls(drift=alert_from(8.0, T0 + 7.9)), "pass", 3.0,
     "drift alert seen 3.00s after drift was injected (stack's alert_since: +2.90s); no alert in the 14 "
     "polls before it; within the 3s limit"),
    (polls(drift=alert_from(8.5)), "fail", 3.5,
     "drift alert seen 3.50s after drift was injected; no alert in the 14 polls before it; over the 3s "
     "limit"),
    (polls(drift=alert_from(5.0, T0 + 4.9)), "pass", 0.0,
     "drift alert seen 0.00s after drift was injected (stack's alert_since: -0.10s); no alert in the 14 "
     "polls before it; within the 3s limit"),
    (polls(drift=alert_from(4.5)), "fail", None, "false alarm: drift alert 0.50s before drift was injected"),
    (polls(drift=alert_from(99)), "fail", None,
     "no drift alert after drift was injected, until the end of the run"),
    (polls(until=8.0, drift=alert_from(99)), "fail", None,
     "no drift alert after drift was injected, until the end of the run"),
    (polls(until=7.5, drift=alert_from(99)), "not measured", None,
     "not measured: no drift alert, but the last poll of the stack's state was at +2.50s from drift's "
     "injection, short of the 3s limit"),
    (polls(until=4.5, drift=alert_from(99)), "not measured", None,
     "not measured: no drift alert, but the last poll of the stack's state was at -0.50s from drift's "
     "injection, short of the 3s limit"),
    (polls(since=5.0, drift=alert_from(6.0)), "not measured", None,
     "not measured: no poll of the stack's drift state before drift was injected"),
    ([], "not measured", None, "not measured: the stack's state was never polled (no /admin/state)"),
    (polls(canary=rolled_back(99)), "not measured", None,
     "not measured: none of the 65 polls of the stack's state reported drift"),
]
# fmt: on


@pytest.mark.parametrize(("snapshots", "status", "observed", "explanation"), DRIFT)
def test_drift_detected(snapshots, status, observed, explanation):
    expected = result("drift_detected: drift <= 3s", observed, "<= 3s", "s", status, explanation)
    assert check(drift(), snapshots) == expected


def test_a_fault_never_applied_is_not_measured():
    expected = result(
        "drift_detected: drift <= 3s",
        None,
        "<= 3s",
        "s",
        "not measured",
        "not measured: drift was never applied",
    )
    assert check(drift(), polls(drift=alert_from(6.0)), applied=None) == expected
    failed = check(drift(), polls(drift=alert_from(6.0)), applied=None, error="proxy refused")
    assert failed.explanation == "not measured: proxy refused"


def canary_traffic(version="v2", start=APPLIED, end=7.0):
    """v1 throughout (10/s) plus `version` from `start` to `end` (10/s), and a v2-bad one at 3 s."""
    return run(requests(0, 20), requests(start, end, version=version), requests(3.0, 3.1, version="v2-bad"))


def rollback(fault="canary", within="2s", **limits):
    return {"rollback": [{"fault": fault, "within": within, **limits}]}


# fmt: off
ROLLBACKS = [
    # expectation, snapshots, samples, status, observed, explanation
    (rollback(), polls(canary=rolled_back(7.0, 6.9)), canary_traffic(), "pass", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 20 requests served by v2"),
    (rollback(), polls(canary=rolled_back(7.5, 6.9)), canary_traffic(), "fail", 2.5,
     "rolled back 2.50s after canary was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 20 requests served by v2; over the 2s limit"),
    (rollback(), polls(canary=rolled_back(7.0, 6.9)), canary_traffic(end=7.5), "fail", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 25 requests served by v2; 5 requests still served by v2 after the rollback"),
    (rollback(), polls(canary=rolled_back(7.0, 6.8)), canary_traffic(), "fail", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +1.80s; automated analysis: error "
     "rate); 20 requests served by v2; 1 requests still served by v2 after the rollback"),
    (rollback(), polls(canary=rolled_back(7.0, reason=None)), canary_traffic(), "pass", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +2.00s; no reason given); 20 "
     "requests served by v2"),
    (rollback(max_canary_requests=20), polls(canary=rolled_back(7.0, 6.9)), canary_traffic(), "pass", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 20 requests served by v2"),
    (rollback(max_canary_requests=19), polls(canary=rolled_back(7.0, 6.9)), canary_traffic(), "fail", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 20 requests served by v2; 20 requests served by v2 (limit 19)"),
    (rollback(), polls(canary=rolled_back(7.0, 6.9)), canary_traffic(start=4.0), "pass", 2.0,
     "rolled back 2.00s after canary was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 20 requests served by v2"),  # served before the deploy: another version of v2, not the canary
    (rollback("canary-bad"), polls(canary=rolled_back(7.0, 6.9)), canary_traffic("v2-bad"), "pass", 2.0,
     "rolled back 2.00s after canary-bad was deployed (stack's rolled_back_at: +1.90s; automated analysis: "
     "error rate); 20 requests served by v2-bad"),
    (rollback("bad"), polls(canary=rolled_back(7.0, 6.9)), canary_traffic("v2-bad", end=7.2), "fail", 2.0,
     "rolled back 2.00s after bad was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 22 requests served by v2-bad; 2 requests still served by v2-bad after the rollback"),
    (rollback("bad"), polls(canary=rolled_back(7.0, 6.9)), canary_traffic("v2"), "pass", 2.0,
     "rolled back 2.00s after bad was deployed (stack's rolled_back_at: +1.90s; automated analysis: error "
     "rate); 0 requests served by v2-bad"),
    (rollback(), polls(canary=rolled_back(25.0, 25.0, HARNESS_ROLLBACK_REASON)), canary_traffic(), "fail",
     None, "v2 was never rolled back after canary was injected, until the end of the run; 20 requests "
     "served by v2"),
    (rollback(), polls(until=6.5, canary=rolled_back(99)), canary_traffic(), "not measured", None,
     "not measured: v2 was never rolled back, but the last poll of the stack's state was at +1.50s from "
     "canary's injection, short of the 2s limit; 20 requests served by v2"),
    (rollback(), polls(drift=alert_from(99)), canary_traffic(), "not measured", None,
     "not measured: none of the 65 polls of the stack's state reported the canary"),
]
# fmt: on


@pytest.mark.parametrize(
    ("expectation", "snapshots", "samples", "status", "observed", "explanation"), ROLLBACKS
)
def test_rollback(expectation, snapshots, samples, status, observed, explanation):
    entry = expectation["rollback"][0]
    name = f"rollback: {entry['fault']} <= {entry['within']}"
    expected = result(name, observed, f"<= {entry['within']}", "s", status, explanation)
    assert check(expectation, snapshots, samples) == expected


def breaker(within="1s"):
    return {"breaker_opened": [{"fault": "hang", "within": within}]}


# fmt: off
BREAKERS = [
    # snapshots, targets, status, observed, explanation
    (polls(replicas=breakers(6.0)), ["gpu-0"], "pass", 1.0,
     "breaker for gpu-0 seen open 1.00s after hang; within the 1s limit"),
    (polls(replicas=breakers(6.5)), ["gpu-0"], "fail", 1.5,
     "breaker for gpu-0 seen open 1.50s after hang; over the 1s limit"),
    (polls(replicas=breakers(3.0)), ["gpu-0"], "pass", 0.0,
     "breaker for gpu-0 seen open 0.00s after hang; within the 1s limit"),
    (polls(replicas=breakers(6.0, nodes=("gpu-1",))), ["gpu-0"], "fail", None,
     "no breaker opened for gpu-0 after hang was injected, until the end of the run"),
    (polls(replicas=breakers(6.0, nodes=("gpu-1",))), ["gpu-1", "gpu-0"], "pass", 1.0,
     "breaker for gpu-0, gpu-1 seen open 1.00s after hang; within the 1s limit"),
    (polls(until=5.5, replicas=breakers()), ["gpu-0"], "not measured", None,
     "not measured: no breaker opened for gpu-0, but the last poll of the stack's state was at +0.50s from "
     "hang's injection, short of the 1s limit"),
    (polls(replicas=breakers(6.0, replicas=("cpu-0",))), ["gpu-0"], "not measured", None,
     "not measured: none of the 65 polls of the stack's state reported a breaker for gpu-0"),
    (polls(drift=alert_from(99)), ["gpu-0"], "not measured", None,
     "not measured: none of the 65 polls of the stack's state reported a breaker for gpu-0"),
]
# fmt: on


@pytest.mark.parametrize(("snapshots", "targets", "status", "observed", "explanation"), BREAKERS)
def test_breaker_opened(snapshots, targets, status, observed, explanation):
    expected = result("breaker_opened: hang <= 1s", observed, "<= 1s", "s", status, explanation)
    assert check(breaker(), snapshots, targets=targets) == expected


def test_results_come_in_the_order_drift_rollback_breaker():
    expectations = {**breaker(), **rollback(), **drift()}
    snapshots = polls(drift=alert_from(6.0), canary=rolled_back(7.0, 6.9), replicas=breakers(6.0))
    results = evaluate_mechanisms(
        scenario(expectations, faults=MECHANISM_FAULTS), snapshots, records(), canary_traffic()
    )
    assert [r.name for r in results] == [
        "drift_detected: drift <= 3s",
        "rollback: canary <= 2s",
        "breaker_opened: hang <= 1s",
    ]
    assert [r.status for r in results] == ["pass", "pass", "pass"]


def test_stack_transitions_become_timeline_events():
    def snapshot(t, breakers, canary, alert):
        return {
            "polled_at": t,
            "replicas": [{"name": n, "breaker": b} for n, b in breakers.items()],
            "canary": {"status": canary},
            "drift": {"alert": alert},
        }

    snapshots = [
        snapshot(1.0, {"gpu-0": "closed"}, "none", False),
        snapshot(2.0, {"gpu-0": "open", "gpu-1": "open"}, "active", True),
        snapshot(3.0, {"gpu-0": "half_open", "gpu-1": "open"}, "rolled_back", False),
        snapshot(4.0, {"gpu-0": "half_open", "gpu-1": "open"}, "rolled_back", False),
    ]
    assert stack_transitions(snapshots) == [
        {"t": 2.0, "event": "breaker_open", "node": "gpu-0"},
        {"t": 2.0, "event": "canary_active", "details": {"status": "active"}},
        {"t": 2.0, "event": "drift_alert"},
        {"t": 3.0, "event": "breaker_half_open", "node": "gpu-0"},
        {"t": 3.0, "event": "canary_rolled_back", "details": {"status": "rolled_back"}},
        {"t": 3.0, "event": "drift_alert_cleared"},
    ]
    assert stack_transitions(snapshots[:1]) == [] and stack_transitions([]) == []
    assert stack_transitions([{"polled_at": 1.0}, {"polled_at": 2.0}]) == []


def test_rollback_without_model_versions_is_not_measured():
    """A stack that sends no X-Model-Version: whether the canary served anyone is unknown."""
    samples = canary_traffic()
    samples["version"] = ""
    expected = result(
        "rollback: canary <= 2s",
        None,
        "<= 2s",
        "s",
        "not measured",
        "not measured: no X-Model-Version header on any of 170 responses after canary was deployed",
    )
    assert check(rollback(), polls(canary=rolled_back(7.0, 6.9)), samples) == expected


def test_a_rollback_of_a_fault_that_deploys_nothing_is_refused():
    """Validation refuses it (check_semantics); the verifier refuses it too rather than guess a version."""
    with pytest.raises(ValueError, match=r"^rollback: fault 'hang' is a gpu-hang, not a deploy$"):
        check(rollback("hang"), polls(canary=rolled_back(7.0, 6.9)), canary_traffic())

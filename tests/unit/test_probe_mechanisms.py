"""Rollback, breaker and drift expectations on a stack without the reference gateway's state: verified from
a probe (`probe` + `reads`: the probe turns to the reading) or, for a rollback, from the model version of
the answers (`version`: the canary stops answering). Synthetic readings and answers with known truth."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from harness.scenario.model import Scenario
from harness.verify.mechanisms import evaluate_mechanisms, window_end
from harness.verify.results import FaultRecord
from harness.verify.version_share import answers_needed, canary_answers
from tests.unit.test_probe_expectations import T0, readings

PROBES = [{"name": n, "every": "500ms", "http": {"url": "http://127.0.0.1:1/x", "json_path": "x"}}
          for n in ("weight", "breaker", "alert")]  # fmt: skip
FAULTS = [
    {"name": "deploy", "kind": "action", "at": "5s", "params": {"run": ["deploy"]}},
    {"name": "windowed", "kind": "action", "at": "5s", "duration": "7s",
     "params": {"run": ["deploy"], "undo": {"run": ["rollback"]}}},
    {"name": "canary", "kind": "canary-deploy", "at": "5s", "params": {"version": "v2"}},
    {"name": "kill", "kind": "node-kill", "at": "5s", "duration": "5s", "target": "gpu-0"},
    {"name": "drift", "kind": "data-drift", "at": "5s",
     "params": {"transform": "mean-shift", "features": ["income_k"]}},
]  # fmt: skip


def scenario(**expectations: Any) -> Scenario:
    return Scenario.model_validate({
        "name": "m", "load": {"users": 1, "duration": "20s"}, "probes": PROBES,
        "faults": [f for f in FAULTS if f["name"] in {e["fault"] for v in expectations.values() for e in v}],
        "expectations": expectations,
    })  # fmt: skip


def record(name: str = "deploy", applied: float | None = 5.0, **fields: Any) -> FaultRecord:
    spec = next(f for f in FAULTS if f["name"] == name)
    until = 12.0 if name == "windowed" else None
    cleared = fields.pop("cleared", until or 20.0)
    applied_at = None if applied is None else T0 + applied
    return FaultRecord(
        name, spec["kind"], [], 5.0, until, applied_at=applied_at, cleared_at=T0 + cleared, **fields
    )


def answers(canary_from: float = 5.0, canary_until: float = 7.0, end: float = 20.0, version: str = "v2",
            rate: float = 20.0, every: int = 5) -> pd.DataFrame:  # fmt: skip
    """`rate` answers a second from 0 to `end`; every `every`th one in [canary_from, canary_until) is from
    `version` (a 1/every share), the rest from v1."""
    t = [i / rate for i in range(int(end * rate))]
    names = [version if canary_from <= x < canary_until and i % every == 0 else "v1" for i, x in enumerate(t)]
    return pd.DataFrame({"t_start": [T0 + x for x in t], "version": names})


def check(key: str, expectation: dict, reads: list[dict] = (), samples: pd.DataFrame | None = None,
          fault: FaultRecord | None = None) -> tuple:  # fmt: skip
    expectation = {"within": "3s", **expectation}
    fault = fault or record(expectation["fault"])
    samples = answers() if samples is None else samples
    [result] = evaluate_mechanisms(scenario(**{key: [expectation]}), [], [fault], samples, reads, T0)
    assert result.passed is (result.status == "pass")
    return result.status, result.observed, result.explanation


WEIGHT = {"fault": "deploy", "probe": "weight", "reads": "== 0"}
ROLLED_BACK = readings((-1, 5.2, 0), (5.2, 7.2, 0.2), (7.2, 20.6, 0), probe="weight")
NEVER = readings((-1, 5.2, 0), (5.2, 20.6, 0.2), probe="weight")


@pytest.mark.parametrize(
    ("reads", "expectation", "fault", "status", "observed", "explanation"),
    [
        (ROLLED_BACK, {}, None, "pass", 2.2,
         "probe weight turned from 0.2 to 0 2.20s after deploy was injected"),
        (ROLLED_BACK, {"within": "2s"}, None, "fail", 2.2,
         "probe weight turned from 0.2 to 0 2.20s after deploy was injected; over the 2s limit"),
        (NEVER, {}, None, "fail", None,
         "probe weight read 0.2, never == 0 after deploy was injected, until deploy ended"),
        (readings((-1, 20.6, 0), probe="weight"), {}, None, "not measured", None,
         "not measured: probe weight read == 0 (0) in all 30 readings since deploy was injected and in the "
         "one before: deploy was never seen taking effect"),
        (readings((-1, 5.2, 0), (5.2, 7.0, 0.2), probe="weight"), {}, None, "not measured", None,
         "not measured: probe weight read 0.2, never == 0, but its last reading before deploy ended was at "
         "+1.70s from its injection, short of the 3s limit"),
        (readings((-1, 20.6, "ERROR"), probe="weight"), {}, None, "not measured", None,
         "not measured: probe weight never got a good reading; 44 readings failed (last: ConnectError: "
         "refused)"),
        (readings((-1, 4, 0), probe="weight"), {}, None, "not measured", None,
         "not measured: no good reading of probe weight between deploy's injection and its end"),
        (ROLLED_BACK, {}, record(applied=None, error="exited with 1"), "not measured", None,
         "not measured: exited with 1"),
        (ROLLED_BACK, {}, record(applied=None), "not measured", None,
         "not measured: deploy was never applied"),
        # the harness's own undo at the end of the window (+12 s) is not the stack rolling back
        (readings((-1, 5.2, 0), (5.2, 12.2, 0.2), (12.2, 20.6, 0), probe="weight"), {"fault": "windowed"},
         None, "fail", None,
         "probe weight read 0.2, never == 0 after windowed was injected, until windowed ended"),
    ],
)  # fmt: skip
def test_rollback_seen_in_a_probe(reads, expectation, fault, status, observed, explanation):
    got = check("rollback", {**WEIGHT, **expectation}, reads, fault=fault)
    assert (got[0], got[2]) == (status, explanation)
    assert got[1] == (pytest.approx(observed) if observed is not None else None)


def test_a_rollback_seen_in_a_probe_counts_the_canary_answers_where_it_knows_their_version():
    """v2 answers until +7 s, the probe shows the rollback at +7.2 s."""
    ok = check("rollback", {**WEIGHT, "version": "v2", "max_canary_requests": 20}, ROLLED_BACK)
    turned = "probe weight turned from 0.2 to 0 2.20s after deploy was injected"
    assert ok == ("pass", pytest.approx(2.2), f"{turned}; 8 requests served by v2")
    late = check("rollback", {**WEIGHT, "version": "v2"}, ROLLED_BACK, answers(canary_until=9.0))
    assert late[0] == "fail"
    assert late[2].endswith("; 16 requests served by v2; 7 requests still served by v2 after the rollback")
    many = check("rollback", {**WEIGHT, "version": "v2", "max_canary_requests": 5}, ROLLED_BACK)
    assert many[0] == "fail" and many[2].endswith("; 8 requests served by v2 (limit 5)")
    deployed = check("rollback", {**WEIGHT, "fault": "canary"}, ROLLED_BACK)  # a deploy says its version
    assert deployed[0] == "pass" and deployed[2].endswith("; 8 requests served by v2")


def test_counting_the_canary_answers_needs_answers_that_name_a_version():
    unnamed = answers().assign(version="")
    assert check("rollback", {**WEIGHT, "version": "v2"}, ROLLED_BACK, unnamed)[0] == "pass"
    bounded = {**WEIGHT, "version": "v2", "max_canary_requests": 5}
    status, _, why = check("rollback", bounded, ROLLED_BACK, unnamed)
    assert status == "not measured"
    assert why == (
        "not measured: probe weight turned from 0.2 to 0 2.20s after deploy was injected, but no answer "
        "after deploy was deployed named a model version, so its requests could not be counted"
    )


def test_breaker_and_drift_seen_in_a_probe():
    opened = readings((-1, 5.6, "closed"), (5.6, 20.6, "open"), probe="breaker")
    breaker = {"fault": "kill", "probe": "breaker", "reads": "== open"}
    assert check("breaker_opened", breaker, opened) == (
        "pass", pytest.approx(0.6),
        "probe breaker turned from closed to open 0.60s after kill was injected; within the 3s limit",
    )  # fmt: skip
    drift = {"fault": "drift", "probe": "alert", "reads": "== 1"}
    alert = readings((-1, 8.0, 0), (8.0, 20.6, 1), probe="alert")
    assert check("drift_detected", drift, alert)[:2] == ("pass", pytest.approx(3.0))
    early = readings((-1, 2.0, 0), (2.0, 20.6, 1), probe="alert")
    assert check("drift_detected", drift, early) == (
        "fail",
        None,
        "false alarm: probe alert read 1 3.00s before drift was injected",
    )
    always_open = readings((-1, 20.6, "open"), probe="breaker")
    assert check("breaker_opened", breaker, always_open)[0] == "not measured"


def test_expectations_from_probes_are_named_after_their_evidence():
    results = evaluate_mechanisms(
        scenario(rollback=[{**WEIGHT, "within": "3s"}, {"fault": "deploy", "within": "3s", "version": "v2"}]),
        [], [record()], answers(), ROLLED_BACK, T0,
    )  # fmt: skip
    assert [r.name for r in results] == [
        "rollback: deploy <= 3s (probe weight == 0)",
        "rollback: deploy <= 3s (answers from v2)",
    ]


@pytest.mark.parametrize(
    ("samples", "expectation", "fault", "status", "observed", "explanation"),
    [
        (answers(), {}, None, "pass", 1.75,
         "v2 answered last 1.75s after deploy was deployed (then 22% of answers), none of the 264 answers "
         "after it; 8 requests served by v2"),
        (answers(canary_until=14.0), {}, None, "fail", 8.75,
         "v2 answered last 8.75s after deploy was deployed, over the 3s limit; 36 requests served by v2"),
        (answers(end=8.15), {}, None, "not measured", None,
         "not measured: v2 answered last 1.75s after deploy was deployed, but only 27 answers came after it: "
         "28 are needed to tell a rollback from chance at its 22% share"),
        (answers(end=8.2), {}, None, "pass", 1.75,
         "v2 answered last 1.75s after deploy was deployed (then 22% of answers), none of the 28 answers "
         "after it; 8 requests served by v2"),
        (answers(), {"max_canary_requests": 7}, None, "fail", 1.75,
         "v2 answered last 1.75s after deploy was deployed (then 22% of answers), none of the 264 answers "
         "after it; 8 requests served by v2; 8 requests served by v2 (limit 7)"),
        (answers().assign(version=""), {}, None, "not measured", None,
         "not measured: none of the 300 answers sent after the deploy named a model version (deploy)"),
        (answers(version="v3"), {}, None, "not measured", None,
         "not measured: none of the 300 answers sent after the deploy came from v2: it was never seen "
         "answering (deploy)"),
        (answers(), {}, record(applied=None), "not measured", None, "not measured: deploy was never applied"),
        # silence after the harness's own undo at +12 s is no rollback: v2 answered until then
        (answers(canary_until=12.0), {"fault": "windowed"}, None, "fail", 6.75,
         "v2 answered last 6.75s after windowed was deployed, over the 3s limit; 28 requests served by v2"),
    ],
)  # fmt: skip
def test_rollback_seen_in_the_answers(samples, expectation, fault, status, observed, explanation):
    got = check("rollback", {"fault": "deploy", "version": "v2", **expectation}, samples=samples, fault=fault)
    assert (got[0], got[2]) == (status, explanation)
    assert got[1] == (pytest.approx(observed) if observed is not None else None)


@pytest.mark.parametrize(("share", "needed"), [(1.0, 1), (0.999, 2), (0.5, 10), (0.2, 31), (0.01, 688)])
def test_how_many_answers_without_the_canary_make_its_silence_evidence(share, needed):
    assert answers_needed(share) == needed
    assert (1 - share) ** needed < 0.001 <= (1 - share) ** (needed - 1)


def test_canary_answers_are_counted_in_the_deploys_window_only():
    found = canary_answers(answers(), "v2", T0 + 5.0, T0 + 6.0)
    assert not isinstance(found, str)
    assert (len(found.served), found.last_t - T0, found.share, found.after) == (4, 5.75, 4 / 16, 4)
    assert not found.silent and found.needed == 25


def test_the_window_ends_where_the_harness_starts_undoing_the_fault():
    windowed = record("windowed")
    assert window_end(windowed, T0, 20.0) == T0 + 12.0
    assert window_end(record("windowed", cleared=12.4), T0, 20.0) == T0 + 12.0  # the undo took 0.4 s
    assert window_end(record(), T0, 20.0) == T0 + 20.0  # open-ended: the load's end
    assert window_end(record(cleared=9.0), T0, 20.0) == T0 + 9.0  # cleared early (an interrupted run)
    assert window_end(record(cleared=9.0), None, 20.0) == T0 + 9.0
    assert window_end(FaultRecord("x", "action", [], 5.0, None), None, 20.0) == float("inf")


def test_on_the_reference_stack_an_actions_rollback_is_read_from_the_state_with_the_version_it_reports():
    """An action says nothing of the version it deploys: the gateway's canary state does."""
    polls = []
    for i in range(100):
        t = T0 + i * 0.2
        rolled = t >= T0 + 7.1
        polls.append({"polled_at": t, "canary": {
            "status": "rolled_back" if rolled else ("active" if t >= T0 + 5 else "none"),
            "version": "v2" if t >= T0 + 5 else None, "rolled_back_at": T0 + 7.05 if rolled else None,
            "reason": "automated analysis: error rate" if rolled else None}})  # fmt: skip
    [result] = evaluate_mechanisms(
        scenario(rollback=[{"fault": "deploy", "within": "3s"}]), polls, [record()], answers(), (), T0
    )
    assert (result.name, result.status) == ("rollback: deploy <= 3s", "pass")
    assert result.explanation.endswith("; 8 requests served by v2")
    only_at_deploy = [p if p["polled_at"] == T0 + 5.0 else {**p, "canary": {**p["canary"], "version": None}}
                      for p in polls]  # fmt: skip
    [first] = evaluate_mechanisms(
        scenario(rollback=[{"fault": "deploy", "within": "3s"}]),
        only_at_deploy,
        [record()],
        answers(),
        (),
        T0,
    )
    assert first.explanation.endswith(
        "; 8 requests served by v2"
    )  # a poll at the deploy's instant is after it
    silent = [{**p, "canary": {**p["canary"], "version": None}} for p in polls]
    [unknown] = evaluate_mechanisms(
        scenario(rollback=[{"fault": "deploy", "within": "3s"}]), silent, [record()], answers(), (), T0
    )
    assert unknown.explanation.endswith("; 0 requests served by the canary")


def test_probe_evidence_names_every_mechanism_expectation():
    breaker = {"fault": "kill", "within": "3s", "probe": "breaker", "reads": "== open"}
    drift = {"fault": "drift", "within": "3s", "probe": "alert", "reads": "== 1"}
    results = evaluate_mechanisms(scenario(breaker_opened=[breaker], drift_detected=[drift]), [],
                                  [record("kill"), record("drift")], answers(), [], T0)  # fmt: skip
    assert [(r.name, r.metric) for r in results] == [
        ("drift_detected: drift <= 3s (probe alert == 1)", "drift_detected"),
        ("breaker_opened: kill <= 3s (probe breaker == open)", "breaker_opened"),
    ]


def test_the_limits_are_inclusive():
    """The canary's last answer exactly at the limit, exactly as many canary requests as allowed, and a
    canary answer sent exactly when the probe saw the rollback (before it, not after)."""
    at_limit = check("rollback", {"fault": "deploy", "version": "v2", "max_canary_requests": 13},
                     samples=answers(canary_until=8.01))  # fmt: skip
    assert at_limit[:2] == ("pass", pytest.approx(3.0))
    assert check("rollback", {**WEIGHT, "version": "v2", "max_canary_requests": 8}, ROLLED_BACK)[0] == "pass"
    same_instant = answers(canary_until=7.21, every=4)  # the last canary answer at +7.2 s
    assert check("rollback", {**WEIGHT, "version": "v2"}, ROLLED_BACK, same_instant)[0] == "pass"


def test_canary_answers_count_until_the_window_ends():
    """v2 answers until +14 s, but the window ends at +12 s: those after are the harness's undo's business."""
    turned = readings((-1, 5.2, 0), (5.2, 7.2, 0.2), (7.2, 20.6, 0), probe="weight")
    expectation = {**WEIGHT, "fault": "windowed", "version": "v2"}
    status, _, why = check("rollback", expectation, turned, answers(canary_until=14.0))
    assert status == "fail"
    assert why.endswith("; 28 requests served by v2; 19 requests still served by v2 after the rollback")


def test_what_is_seen_after_the_load_ended_is_no_evidence():
    """An open-ended fault's window ends with the load (+20 s), even if it was cleared later: a turn at
    +20.1 s is not seen, and the readings before the end fall short of the 16 s limit."""
    late = readings((-1, 5.2, 0), (5.2, 20.1, 0.2), (20.1, 21.0, 0), probe="weight")
    status, _, why = check("rollback", {**WEIGHT, "within": "16s"}, late, fault=record(cleared=20.5))
    assert status == "not measured" and why.endswith("short of the 16s limit")

"""Expectations on probe readings (`expectations.probes`), on synthetic readings whose verdict is known."""

from __future__ import annotations

from typing import Any

import pytest

from harness.comparisons import parse_comparison
from harness.scenario.model import Scenario
from harness.verify.probes import (
    NoTurn,
    ProbeSeries,
    Turn,
    evaluate_probe_expectations,
    probe_series,
    probe_transitions,
    probe_turn,
    read_before,
)
from harness.verify.results import FaultRecord

T0 = 1_700_000_000.0
"""Load start; the load lasts 20 s, the deploy fault is applied at +5 s and cleared at +12 s."""


def scenario(**expectation: Any) -> Scenario:
    return Scenario.model_validate({
        "name": "probes",
        "load": {"users": 1, "duration": "20s"},
        "probes": [{"name": "version", "every": "500ms",
                    "http": {"url": "http://127.0.0.1:1/v", "json_path": "v"}}],
        "faults": [{"name": "deploy", "kind": "action", "at": "5s", "duration": "7s",
                    "params": {"run": ["deploy"], "undo": {"run": ["rollback"]}}}],
        "expectations": {"probes": [{"probe": "version", "within": "3s", **expectation}]},
    })  # fmt: skip


def record(applied: float | None = 5.0, cleared: float | None = 12.0, **fields: Any) -> FaultRecord:
    return FaultRecord(
        "deploy", "action", [], 5.0, 12.0,
        applied_at=None if applied is None else T0 + applied,
        cleared_at=None if cleared is None else T0 + cleared, **fields,
    )  # fmt: skip


def readings(*segments: tuple[float, float, Any], every: float = 0.5, probe: str = "version") -> list[dict]:
    """(from, to, value) segments, read every `every` seconds (offsets from T0); a value `ERROR` fails."""
    found = []
    for start, end, value in segments:
        t = start
        while t < end - 1e-9:
            failed = value == "ERROR"
            found.append({"t": T0 + t, "probe": probe, "value": None if failed else value,
                          "error": "ConnectError: refused" if failed else None})  # fmt: skip
            t += every
    return found


def check(taken: list[dict], fault: FaultRecord | None = None, **expectation: Any) -> tuple:
    [result] = evaluate_probe_expectations(scenario(**expectation), taken, [fault or record()], T0)
    assert result.passed is (result.status == "pass")
    return result.status, result.observed, result.explanation


ROLLED_BACK = readings((-1, 5.2, "v1"), (5.2, 7.2, "v2"), (7.2, 20.6, "v1"))
"""v2 deployed at +5.2 s, v1 again from +7.2 s to the end (readings until +20.5 s)."""


@pytest.mark.parametrize(
    ("reads", "expectation", "status", "observed", "explanation"),
    [
        (ROLLED_BACK, {"after": "deploy", "reads": "== v2"}, "pass", 0.2,
         "probe version read v2 0.20s after deploy's start; within the 3s limit"),
        (ROLLED_BACK, {"after": "deploy", "reads": "== v1", "from": "end"}, "pass", 0.2,
         "probe version read v1 0.20s after deploy's end; within the 3s limit"),
        (ROLLED_BACK, {"after": "deploy", "reads": "== v2", "holds": True}, "fail", 0.2,
         "probe version read v2 0.20s after deploy's start, but read v1 2.20s after deploy's start"),
        (ROLLED_BACK, {"after": "deploy", "reads": "== v1", "from": "end", "holds": True}, "pass", 0.2,
         "probe version read v1 0.20s after deploy's end and held in all 17 readings to the end of the load"),
        (ROLLED_BACK, {"reads": "== v1", "holds": True}, "fail", 0.0,
         "probe version read v1 0.00s after the load start, but read v2 5.20s after the load start"),
        (ROLLED_BACK, {"after": "deploy", "reads": "== v3"}, "fail", None,
         "probe version read v1, v2 within 3s of deploy's start, never == v3"),
        (readings((-1, 6.5, "v1")), {"after": "deploy", "reads": "== v2"}, "not measured", None,
         "not measured: probe version read v1, never == v2, but its last reading was at +1.00s from deploy's "
         "start, short of the 3s limit"),
        (readings((-1, 20.6, "ERROR")), {"after": "deploy", "reads": "== v2"}, "not measured", None,
         "not measured: probe version never got a good reading; 44 readings failed (last: ConnectError: "
         "refused)"),
        (readings((-1, 4, "v1"), (4, 20.6, "ERROR")), {"after": "deploy", "reads": "== v1"}, "not measured",
         None, "not measured: no good reading of probe version within 3s of deploy's start"),
        (readings((-1, 5.2, "v1"), (5.2, 15, "v2"), (15, 20.6, "ERROR")),
         {"after": "deploy", "reads": "== v2", "holds": True}, "not measured", None,
         "not measured: probe version read v2 0.20s after deploy's start and held, but its last good reading "
         "was 4.80s before the end of the load; 12 readings failed (last: ConnectError: refused)"),
        (readings((-1, 5.2, "v1"), (5.2, 10, "v2"), (10, 11, "ERROR"), (11, 20.6, "v2")),
         {"after": "deploy", "reads": "== v2", "holds": True}, "pass", 0.2,
         "probe version read v2 0.20s after deploy's start and held in all 30 readings to the end of the "
         "load; 2 readings failed (last: ConnectError: refused)"),
        (readings((-1, 8.0, "v1"), (8.0, 20.6, "v2")), {"after": "deploy", "reads": "== v2"}, "pass", 3.0,
         "probe version read v2 3.00s after deploy's start; within the 3s limit"),
        (readings((-1, 8.5, "v1"), (8.5, 20.6, "v2")), {"after": "deploy", "reads": "== v2"}, "fail", None,
         "probe version read v1 within 3s of deploy's start, never == v2"),
        (readings((-1, 8.01, "v1")), {"after": "deploy", "reads": "== v2"}, "fail", None,
         "probe version read v1 within 3s of deploy's start, never == v2"),
        (readings((-1, 5.2, "a"), (5.2, 6, "b"), (6, 7, "c"), (7, 20.6, "d")),
         {"after": "deploy", "reads": "== e"}, "fail", None,
         "probe version read a, b, c, ... within 3s of deploy's start, never == e"),
        (readings((-1, 5.2, "a"), (5.2, 6, "b"), (6, 20.6, "c")), {"after": "deploy", "reads": "== e"},
         "fail", None, "probe version read a, b, c within 3s of deploy's start, never == e"),
    ],
)  # fmt: skip
def test_probe_expectation(reads, expectation, status, observed, explanation):
    got_status, got_observed, got_explanation = check(reads, **expectation)
    assert (got_status, got_explanation) == (status, explanation)
    assert got_observed == (pytest.approx(observed) if observed is not None else None)


def test_the_last_reading_may_be_up_to_one_interval_before_the_load_ends():
    """Readings every 0.5 s, the last at +19.5 s: held to the end; the last at +19.4: not measured."""
    expectation = {"reads": "== v1", "holds": True}
    assert check(readings((-1, 20.0, "v1")), **expectation)[0] == "pass"
    early = readings((-1, 19.4, "v1"), every=0.2)
    assert check(early, **expectation)[0] == "not measured"


@pytest.mark.parametrize(
    ("fault", "expectation", "explanation"),
    [
        (record(applied=None, error="exited with 1"), {"after": "deploy"}, "not measured: exited with 1"),
        (record(applied=None), {"after": "deploy"}, "not measured: deploy was never applied"),
        (record(cleared=None), {"after": "deploy", "from": "end"}, "not measured: deploy was never cleared"),
        (record(cleared=None, clear_error="undo exited with 2"), {"after": "deploy", "from": "end"},
         "not measured: undo exited with 2"),
    ],
)  # fmt: skip
def test_a_fault_that_did_not_happen_leaves_its_probe_expectations_unmeasured(
    fault, expectation, explanation
):
    assert check(ROLLED_BACK, fault, reads="== v1", **expectation) == ("not measured", None, explanation)


def test_an_unmeasured_expectation_keeps_its_name_and_threshold():
    [result] = evaluate_probe_expectations(scenario(reads="== v1"), [], [record()], T0)
    assert (result.name, result.metric, result.threshold, result.unit, result.passed, result.observed) == (
        "probe version: == v1 within 3s of the load start", "probe", "<= 3s", "s", False, None,
    )  # fmt: skip


def test_the_expectation_is_named_after_what_it_checks():
    [result] = evaluate_probe_expectations(
        scenario(after="deploy", reads="== v1", holds=True, **{"from": "end"}), ROLLED_BACK, [record()], T0
    )
    assert result.name == "probe version: == v1 within 3s of deploy's end, and holds"
    assert (result.metric, result.threshold, result.unit) == ("probe", "<= 3s", "s")


def test_a_series_keeps_the_good_readings_in_time_order_and_counts_the_failed():
    reads = readings((0, 1, "a"), (1, 2, "ERROR")) + readings((0, 1, "x"), probe="other")
    series = probe_series(list(reversed(reads)), "version")
    assert series.good == [(T0, "a"), (T0 + 0.5, "a")]
    assert (series.errors, series.last_error) == (2, "ConnectError: refused")
    assert series.failures() == "; 2 readings failed (last: ConnectError: refused)"
    assert probe_series(reads, "other").failures() == ""


def test_transitions_list_the_first_reading_and_each_change():
    reads = readings((0, 1, 0), (1, 2, 0.3), (2, 3, "ERROR"), (3, 4, 0.0))
    reads += readings((0, 4, "v1"), probe="version-b")
    events = probe_transitions(reads)
    assert [(e["t"] - T0, e["details"]) for e in events] == [
        (0.0, "version: 0"), (0.0, "version-b: v1"), (1.0, "version: 0 → 0.3"),
        (2.0, "version: 0.3 → error (ConnectError: refused)"), (3.0, "version: error → 0"),
    ]  # fmt: skip
    assert {e["event"] for e in events} == {"probe_changed"}


def test_transitions_stop_being_listed_after_twenty_changes_per_probe():
    reads = [{"t": T0 + i, "probe": "n", "value": i, "error": None} for i in range(25)]
    events = probe_transitions(reads)
    assert len(events) == 21
    assert events[19]["details"] == "n: 18 → 19"
    more = "n: 5 more changes from here on (see the probes plot)"
    assert (events[20]["t"] - T0, events[20]["event"], events[20]["details"]) == (20.0, "probe_changed", more)


def series(*good: tuple[float, Any]) -> ProbeSeries:
    return ProbeSeries("w", [(T0 + t, v) for t, v in good])


ZERO = parse_comparison("== 0")


@pytest.mark.parametrize(
    ("good", "turn"),
    [
        ([(4.0, 0), (4.5, 0.2), (5.0, 0)], Turn(T0 + 5.0, 0, 0.2)),  # a turn at the injection counts
        ([(4.0, 0.2), (5.5, 0)], Turn(T0 + 5.5, 0, 0.2)),  # turned from the reading before the injection
        ([(4.0, 0), (5.5, 0.2), (8.5, 0.2), (12.0, 0)],  # the window ends at +12 s
         NoTurn(True, "probe w read 0.2, never == 0 after f was injected, until f ended")),
        ([(5.0, 0), (6.0, 0)],
         NoTurn(False, "probe w read == 0 (0) in all 2 readings since f was injected and in the one before: "
                "f was never seen taking effect")),
        ([(4.0, 0.2), (8.0, 0.2)],  # read at exactly the 3 s limit: long enough
         NoTurn(True, "probe w read 0.2, never == 0 after f was injected, until f ended")),
        ([(4.0, 0.2), (7.9, 0.2)],
         NoTurn(False, "probe w read 0.2, never == 0, but its last reading before f ended was at +2.90s from "
                "its injection, short of the 3s limit")),
        ([], NoTurn(False, "probe w never got a good reading")),
        ([(12.0, 0.2)], NoTurn(False, "no good reading of probe w between f's injection and its end")),
    ],
)  # fmt: skip
def test_a_probe_turns_after_the_fault_and_before_its_window_ends(good, turn):
    assert probe_turn(series(*good), ZERO, "f", T0 + 5.0, T0 + 12.0, 3.0) == turn


def test_a_reading_before_the_fault_is_one_strictly_before_it():
    assert read_before(series((4.9, 0), (5.0, 0)), ZERO, T0 + 5.0) == (T0 + 4.9, 0)
    assert read_before(series((5.0, 0), (6.0, 0)), ZERO, T0 + 5.0) is None
    assert read_before(series((4.0, 1), (6.0, 0)), ZERO, T0 + 5.0) is None

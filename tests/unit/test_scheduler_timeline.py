"""The fault timeline under a fake clock: when each fault is applied and cleared, and in which order."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends import make_backend
from harness.events import EventLog
from harness.journal import read_jsonl
from harness.plan import resolve_plan
from harness.scenario.model import Scenario
from harness.scheduler import FaultScheduler

LOAD_START = 1_000.0


class FakeClock:
    """Time moves only when the scheduler sleeps; every sleep is recorded."""

    def __init__(self, now: float = 990.0):
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def drift(name: str, at: str, duration: str | None) -> dict:
    """Data drift: its injector only marks the window, so the timeline runs without a stack."""
    fault = {"name": name, "kind": "data-drift", "at": at,
             "params": {"transform": "mean-shift", "features": ["age"]}}  # fmt: skip
    return fault if duration is None else {**fault, "duration": duration}


def timeline(tmp_path: Path, faults: list[dict], clock: FakeClock, keep_going=lambda: True) -> list[tuple]:
    scenario = Scenario.model_validate(
        {"name": "timeline", "load": {"users": 1, "duration": "30s"}, "faults": faults}
    )
    events = EventLog(tmp_path / "events.jsonl")
    scheduler = FaultScheduler(resolve_plan(scenario), make_backend(scenario, tmp_path), events, clock)
    scheduler.run(LOAD_START, LOAD_START + 30, keep_going)
    end_of_run = clock.now
    scheduler.clear_all()
    events.close()
    happened = [
        (e["event"], e["fault"], round(e["t"] - LOAD_START, 6)) for e in read_jsonl(tmp_path / "events.jsonl")
    ]
    return [*happened, ("run ended", "", round(end_of_run - LOAD_START, 6))]


def test_faults_apply_and_clear_at_load_start_plus_their_offsets(tmp_path: Path) -> None:
    assert timeline(tmp_path, [drift("a", "2s", "3s"), drift("b", "4s", "10s")], FakeClock()) == [
        ("fault_applied", "a", 2.0),
        ("fault_applied", "b", 4.0),
        ("fault_cleared", "a", 5.0),
        ("fault_cleared", "b", 14.0),
        ("run ended", "", 30.0),
    ]


def test_at_the_same_instant_a_fault_leaves_before_the_next_arrives(tmp_path: Path) -> None:
    faults = [drift("first", "0s", "5s"), drift("second", "5s", "5s"), drift("third", "5s", "1s")]
    assert timeline(tmp_path, faults, FakeClock())[:6] == [
        ("fault_applied", "first", 0.0),
        ("fault_cleared", "first", 5.0),
        ("fault_applied", "second", 5.0),
        ("fault_applied", "third", 5.0),
        ("fault_cleared", "third", 6.0),
        ("fault_cleared", "second", 10.0),
    ]


def test_faults_starting_together_act_in_the_order_the_plan_lists_them(tmp_path: Path) -> None:
    faults = [drift("late", "3s", "1s"), drift("zeta", "1s", "1s"), drift("alpha", "1s", "1s")]
    assert [e[1] for e in timeline(tmp_path, faults, FakeClock()) if e[0] == "fault_applied"] == [
        "zeta",
        "alpha",
        "late",
    ]


def test_open_ended_faults_stay_until_the_teardown_clears_them_newest_first(tmp_path: Path) -> None:
    events = timeline(tmp_path, [drift("old", "1s", None), drift("new", "2s", None)], FakeClock())
    assert events == [
        ("fault_applied", "old", 1.0),
        ("fault_applied", "new", 2.0),
        ("fault_cleared", "new", 30.0),  # by clear_all, after the timeline ran to its end
        ("fault_cleared", "old", 30.0),
        ("run ended", "", 30.0),
    ]


def test_the_timeline_stops_when_the_load_stops_and_nothing_later_is_applied(tmp_path: Path) -> None:
    clock = FakeClock()
    events = timeline(tmp_path, [drift("early", "1s", "10s"), drift("never", "20s", "1s")], clock,
                      keep_going=lambda: clock.now < LOAD_START + 5)  # fmt: skip
    within_a_tick = pytest.approx(5.0, abs=0.021)
    assert events == [
        ("fault_applied", "early", 1.0),
        ("fault_cleared", "early", within_a_tick),  # by clear_all, once the stop was noticed
        ("run ended", "", within_a_tick),
    ]


@pytest.mark.parametrize("late_by", [0.0, 7.5])
def test_a_late_start_applies_overdue_faults_at_once_without_sleeping(tmp_path: Path, late_by: float) -> None:
    clock = FakeClock(now=LOAD_START + late_by)
    events = timeline(tmp_path, [drift("due", "0s", "10s")], clock)
    assert events[0] == ("fault_applied", "due", late_by)
    assert all(0 < s <= 0.02 for s in clock.slept)  # short ticks: a stopped load is noticed within 20 ms

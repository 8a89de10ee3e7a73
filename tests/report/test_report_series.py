"""Per-window series and fault spans on synthetic data with known answers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from harness.report import series
from harness.report.plots import PlotInputs, render_plot
from harness.report.timeline import describe_event, fault_spans, run_horizon_s, timeline_entries
from harness.verify.results import FaultRecord
from tests.report.report_data import (
    KILL_AT,
    LOAD_START,
    RECOVERED_AFTER,
    RESTART_AT,
    make_faults,
    make_samples,
    make_summary,
)


def _samples(rows: list[tuple[float, str, int, str, int]]) -> pd.DataFrame:
    """(t_rel, replica, ok, error, attempts) rows."""
    frame = pd.DataFrame(rows, columns=["t_rel", "replica", "ok", "error", "attempts"])
    frame["degraded"] = 0
    return frame


def test_replica_shares_show_failover_and_unserved_requests() -> None:
    samples = _samples(
        [
            (0.1, "a", 1, "", 1),
            (0.2, "b", 1, "", 1),
            (0.3, "b", 1, "", 1),
            (0.4, "a", 1, "", 1),
            (1.1, "b", 1, "", 2),
            (1.2, "", 0, "connect", 3),
            (1.3, "b", 1, "", 2),
            (1.9, "b", 1, "", 2),
        ]
    )
    shares = series.replica_shares(samples, 1.0)
    assert list(shares.columns) == ["a", "b", series.NO_REPLICA]
    assert shares.loc[0.0].tolist() == [0.5, 0.5, 0.0]
    assert shares.loc[1.0].tolist() == [0.0, 0.75, 0.25]
    attempts = series.attempts_per_window(samples, 1.0)
    assert attempts.loc[1.0, "mean"] == pytest.approx(2.25) and attempts.loc[1.0, "max"] == 3


def test_error_rates_are_per_class_fractions_of_each_window() -> None:
    samples = _samples(
        [
            (0.5, "a", 1, "", 1),
            (2.1, "a", 0, "timeout", 1),
            (2.2, "", 0, "connect", 1),
            (2.3, "", 0, "", 1),
            (2.4, "a", 1, "", 1),
        ]
    )
    rates = series.error_rates_by_class(samples, 1.0)
    assert list(rates.index) == [0.0, 2.0]
    assert rates.loc[0.0].sum() == 0
    assert rates.loc[2.0].to_dict() == {"connect": 0.25, "other": 0.25, "timeout": 0.25}
    assert series.error_class_counts(samples) == {"timeout": 1, "connect": 1, "other": 1}


def test_missed_slo_windows_merge_into_spans() -> None:
    windows = pd.DataFrame(
        {
            "start_s": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            "end_s": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "good": [True, False, False, True, False, True],
        }
    )
    assert series.missed_slo_spans(windows) == [(1.0, 3.0, 2), (4.0, 5.0, 1)]
    assert series.missed_slo_spans(pd.DataFrame()) == []


def test_fault_spans_follow_reality_then_plan_then_run_end() -> None:
    samples = make_samples()
    faults = make_faults(latency_recovered=False)
    faults.append(FaultRecord("never", "latency", ["cpu-1"], planned_at_s=30.0, planned_until_s=None))
    faults.append(FaultRecord("open", "node_kill", ["gpu-0"], 50.0, None, applied_at=LOAD_START + 50.5))
    summary = make_summary("s", [], faults, samples)
    horizon = run_horizon_s(summary, samples, pd.DataFrame())
    assert horizon == pytest.approx(61.0)  # finished_at is one second after the last sample window
    kill, slow, never, open_ended = fault_spans(summary, horizon)
    assert (kill.start_s, kill.end_s) == (pytest.approx(KILL_AT + 0.3), pytest.approx(RESTART_AT + 0.2))
    assert kill.recovered_at_s == pytest.approx(KILL_AT + 0.3 + RECOVERED_AFTER)
    assert slow.applied and slow.recovered_at_s is None
    assert not never.applied and (never.start_s, never.end_s) == (30.0, horizon)
    assert open_ended.applied and (open_ended.start_s, open_ended.end_s) == (pytest.approx(50.5), horizon)


def test_timeline_sorts_events_and_skips_untimed_ones() -> None:
    events = [
        {
            "t": 105.0,
            "event": "fault_applied",
            "fault": "k",
            "kind": "node_kill",
            "targets": ["gpu-1"],
            "details": {"pid": 4242, "restart": None},
        },
        {"t": 99.0, "event": "run_started"},
        {"event": "orphan"},
        {"t": float("nan"), "event": "broken"},
    ]
    entries = timeline_entries(events, origin=100.0)
    assert [(e.offset_s, e.event) for e in entries] == [(-1.0, "run_started"), (5.0, "fault_applied")]
    assert entries[1].description == "fault k (node_kill) on gpu-1 — pid=4242"
    assert describe_event({"event": "fault_error", "details": "proxy refused"}) == "proxy refused"


def test_latency_plot_survives_windows_without_any_request(tmp_path: Path) -> None:
    """The verifier may emit windows over the whole load even when nothing answered: all NaN."""
    windows = pd.DataFrame(
        {
            "start_s": [0.0, 1.0],
            "end_s": [1.0, 2.0],
            "requests": [0, 0],
            "ok": [0, 0],
            "success_ratio": [math.nan] * 2,
            "latency_ms": [math.nan] * 2,
            "p50_ms": [math.nan] * 2,
            "p99_ms": [math.nan] * 2,
            "good": [False, False],
            "faults": ["", ""],
        }
    )
    summary = make_summary("s", [], [], pd.DataFrame())
    inputs = PlotInputs(summary, pd.DataFrame(), windows, [], horizon_s=2.0)
    path = tmp_path / "latency.png"
    render_plot("latency", inputs).savefig(path)
    assert path.read_bytes().startswith(b"\x89PNG")

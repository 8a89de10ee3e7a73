"""Run time as the reader sees it: seconds since load start, fault windows and the event log.

Plots and text reports both place faults on this axis; computing the spans once keeps the shaded areas
in the plots and the numbers in the tables from disagreeing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from harness.report.fault_outcome import held
from harness.report.formatting import fmt_mapping, is_missing
from harness.verify.results import FaultRecord, RunSummary


def time_origin(summary: RunSummary) -> float:
    """Load start; a run that crashed before the load has only its own start to refer to."""
    return summary.load_started_at if summary.load_started_at is not None else summary.started_at


def run_horizon_s(summary: RunSummary, samples: pd.DataFrame, windows: pd.DataFrame) -> float:
    """Seconds from load start to the last thing known to have happened (open-ended faults shade to here)."""
    candidates = [0.0]
    if not windows.empty:
        candidates.append(float(windows["end_s"].max()))
    if not samples.empty:
        candidates.append(float(samples["t_rel"].max()))
    if summary.finished_at is not None:
        candidates.append(summary.finished_at - time_origin(summary))
    candidates.extend(f.planned_until_s for f in summary.faults if f.planned_until_s is not None)
    return max(candidates)


@dataclass(frozen=True)
class FaultSpan:
    """A fault on the report's time axis (seconds since load start)."""

    name: str
    kind: str
    targets: tuple[str, ...]
    start_s: float
    end_s: float
    applied: bool
    """False: the span is the plan, the fault never took effect."""
    recovered_at_s: float | None
    """None also where the SLO held throughout: a recovery mark at the injection would read as one."""


def fault_span(fault: FaultRecord, origin: float, horizon_s: float) -> FaultSpan:
    targets = tuple(fault.targets)
    if fault.applied_at is None:
        start = fault.planned_at_s
        end = fault.planned_until_s if fault.planned_until_s is not None else horizon_s
        return FaultSpan(fault.name, fault.kind, targets, start, end, applied=False, recovered_at_s=None)
    start = fault.applied_at - origin
    end = fault.cleared_at - origin if fault.cleared_at is not None else horizon_s
    recovered = None if fault.recovery_s is None or held(fault) else start + fault.recovery_s
    return FaultSpan(
        fault.name, fault.kind, targets, start, max(end, start), applied=True, recovered_at_s=recovered
    )


def fault_spans(summary: RunSummary, horizon_s: float) -> list[FaultSpan]:
    origin = time_origin(summary)
    return [fault_span(fault, origin, horizon_s) for fault in summary.faults]


@dataclass(frozen=True)
class TimelineEntry:
    offset_s: float
    event: str
    description: str


def describe_event(event: dict[str, Any]) -> str:
    """Everything but the time and event name, as one readable line."""
    parts = []
    if event.get("fault"):
        parts.append(f"fault {event['fault']}")
    if event.get("kind"):
        parts.append(f"({event['kind']})")
    targets = event.get("targets")
    if targets:
        listed = ", ".join(str(t) for t in targets) if isinstance(targets, list | tuple) else str(targets)
        parts.append(f"on {listed}")
    details = event.get("details")
    if isinstance(details, dict):
        details = fmt_mapping(details)
    described = " ".join(parts)
    for extra in (details, event.get("reason"), event.get("error")):
        if extra:
            described = f"{described} — {extra}" if described else str(extra)
    return described


def timeline_entries(events: list[dict[str, Any]], origin: float) -> list[TimelineEntry]:
    timed = sorted((e for e in events if not is_missing(e.get("t"))), key=lambda e: float(e["t"]))
    return [TimelineEntry(float(e["t"]) - origin, str(e.get("event", "?")), describe_event(e)) for e in timed]

"""What the live view knows of a run besides its samples: the phase and each fault's marks, kept up to
date from the run's lifecycle events (`harness.events`)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from harness.plan import Plan

PHASES = {
    "run_started": "starting the stack",
    "stack_ready": "starting the load",
    "load_started": "drilling",
    "load_stopped": "load done",
    "teardown_started": "tearing down",
    "stack_stopped": "writing the report",
}
"""Lifecycle event → the phase it begins, in the view's words."""


@dataclass
class FaultMarks:
    name: str
    kind: str
    targets: tuple[str, ...]
    planned_at: float
    planned_until: float | None
    applied_at: float | None = None
    """Seconds since the load started, as the view shows them."""
    cleared_at: float | None = None
    error: str | None = None

    @property
    def status(self) -> str:
        if self.error is not None:
            return "ERROR"
        if self.cleared_at is not None:
            return "cleared"
        return "active" if self.applied_at is not None else "planned"


@dataclass
class RunProgress:
    duration_s: float
    faults: dict[str, FaultMarks]
    phase: str = PHASES["run_started"]
    load_started_at: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def of(cls, plan: Plan) -> RunProgress:
        faults = {
            f.spec.name: FaultMarks(f.spec.name, f.spec.kind, f.targets, f.start, f.end) for f in plan.faults
        }
        return cls(plan.scenario.load.duration, faults)

    def elapsed_s(self, now: float | None = None) -> float:
        """Seconds of load so far (0 before it starts), at most the planned duration."""
        if self.load_started_at is None:
            return 0.0
        return min(max(0.0, (now or time.time()) - self.load_started_at), self.duration_s)

    def on_event(self, record: dict[str, Any]) -> None:
        with self.lock:
            event = record["event"]
            if event in PHASES:
                self.phase = PHASES[event]
            if event == "load_started":
                self.load_started_at = record["t"]
            marks = self.faults.get(record.get("fault", ""))
            if marks is None:
                return
            offset = record["t"] - (self.load_started_at or record["t"])
            if event == "fault_applied":
                marks.applied_at = offset
            elif event == "fault_cleared":
                marks.cleared_at = offset
            elif event in ("fault_error", "fault_clear_error"):
                marks.error = record.get("error", "")

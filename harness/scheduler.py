"""Runs the fault timeline against the live stack and records when each fault really took effect.

Faults are applied at `load start + at` and cleared at `load start + at + duration`; the recorded times
are those at which the injector returned, because recovery is measured from when the fault was real,
not from when it was planned. At the same instant, clears come before applies (a fault ending at 5s
leaves before the next one on the same node arrives), and faults act in plan order.

A safety halt (`halt()`, from the halt monitor's thread) is acted on here, in the timeline's own thread,
within one tick: the active faults are cleared (recorded as cleared), the faults not yet applied are
recorded as skipped because of the halt (which is not an error: the drill was stopped on purpose), and the
timeline ends `observe_s` later (never past its planned end), so the stack's recovery is still measured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from faults.injector import Injector
from harness.backends.base import StackControl
from harness.events import EventLog
from harness.injection import build_injectors
from harness.interrupts import check_interrupted
from harness.plan import Plan, PlannedFault

_TICK_S = 0.02
HALT_SKIP = "skipped: the drill was halted before it was due"


class Clock(Protocol):
    """What the scheduler needs of time; the `time` module is one, and tests pass a fake one."""

    def time(self) -> float: ...

    def sleep(self, seconds: float, /) -> None: ...


@dataclass(order=True)
class _Action:
    at: float
    applies: bool
    """Sorts clears (False) before applies (True) at the same instant."""
    index: int
    fault: PlannedFault = field(compare=False)


class FaultScheduler:
    def __init__(self, plan: Plan, stack: StackControl, events: EventLog, clock: Clock = time):
        self.plan = plan
        self.stack = stack
        self.events = events
        self.clock = clock
        self.records = {f.spec.name: f.record() for f in plan.faults}
        self._active: dict[str, list[Injector]] = {}
        self.doing = ""
        """The apply or clear in progress ("applying fault slow-link"); left set if an interrupt cuts it."""
        self._halt_observe_s: float | None = None
        """Set (from another thread) by `halt()`: how long the load goes on once the faults are reverted."""
        self._halt_lock = threading.Lock()
        self._running = False
        """While `run()` runs: a halt is taken only then (after it, the drill is ending anyway)."""

    def run(self, load_started_at: float, until: float, keep_going: Callable[[], bool]) -> None:
        """Execute the timeline until epoch `until`, or earlier once `keep_going()` turns false."""
        with self._halt_lock:
            self._running = True
        try:
            self._run(load_started_at, until, keep_going)
        finally:
            with self._halt_lock:
                self._running = False

    def _run(self, load_started_at: float, until: float, keep_going: Callable[[], bool]) -> None:
        actions = []
        for index, fault in enumerate(self.plan.faults):
            actions.append(_Action(load_started_at + fault.start, True, index, fault))
            if fault.end is not None:
                actions.append(_Action(load_started_at + fault.end, False, index, fault))
        actions.sort()
        for action in actions:
            if not self._sleep_until(action.at, keep_going):
                break
            if action.applies:
                self._apply(action.fault)
            else:
                self._clear(action.fault.spec.name)
        else:
            self._sleep_until(until, keep_going)
        if self._halt_observe_s is not None:
            self._revert_for_halt(self.clock.time() + self._halt_observe_s, until, keep_going)

    def halt(self, observe_s: float, **why: object) -> bool:
        """Stop the timeline: a `halted` event (with `why`), then `run()` reverts every fault within one tick
        and ends `observe_s` later. Safe to call from any thread. False (and no event) when there is nothing
        to halt: the timeline is not running, or was halted already."""
        with self._halt_lock:
            if not self._running or self._halt_observe_s is not None:
                return False
            self.events.emit("halted", **why)
            self._halt_observe_s = observe_s
            return True

    def clear_all(self) -> None:
        """Clear whatever is still active, newest first; called on every exit path."""
        for name in reversed(list(self._active)):
            self._clear(name)

    def _apply(self, fault: PlannedFault) -> None:
        name = fault.spec.name
        record = self.records[name]
        self.doing = f"while applying fault {name}"
        injectors: list[Injector] = []
        try:
            injectors = build_injectors(fault, self.stack)
            details = []
            for injector in injectors:
                self._active.setdefault(name, []).append(injector)
                details.append(injector.apply())
        except Exception as exc:  # the drill goes on (other faults still teach something); verdict: error
            # An interrupt is a BaseException (harness.interrupts.Interrupted): it is never caught here.
            record.error = f"{type(exc).__name__}: {exc}"
            self.events.emit(
                "fault_error", fault=name, kind=record.kind, targets=record.targets, error=record.error
            )
            self.doing = ""
            return
        record.applied_at = self.clock.time()
        self.events.emit(
            "fault_applied", t=record.applied_at, fault=name, kind=record.kind, targets=record.targets,
            details=details,
        )  # fmt: skip
        self.doing = ""

    def _clear(self, name: str) -> None:
        injectors = self._active.get(name, [])
        if not injectors:
            return
        record = self.records[name]
        self.doing = f"while clearing fault {name}"
        errors = []
        while injectors:  # an injector leaves the list only once cleared: an interrupt leaves it for teardown
            injector = injectors[-1]
            try:
                injector.clear()
            except Exception as exc:  # keep clearing the others; report what could not be undone
                errors.append(f"{injector.description}: {type(exc).__name__}: {exc}")
            injectors.pop()
        del self._active[name]
        record.cleared_at = self.clock.time()
        if errors:
            record.clear_error = "; ".join(errors)
            self.events.emit("fault_clear_error", fault=name, kind=record.kind, error=record.clear_error)
        self.events.emit(
            "fault_cleared", t=record.cleared_at, fault=name, kind=record.kind, targets=record.targets
        )
        self.doing = ""

    def _revert_for_halt(self, observe_until: float, until: float, keep_going: Callable[[], bool]) -> None:
        self.clear_all()
        for name, record in self.records.items():
            if record.applied_at is None and record.error is None:
                record.skipped = HALT_SKIP
                self.events.emit("fault_skipped", fault=name, kind=record.kind, reason=HALT_SKIP)
        self._sleep_until(min(until, observe_until), keep_going, halting=False)
        self.events.emit("halt_observed", cuts_load=observe_until < until)

    def _sleep_until(self, when: float, keep_going: Callable[[], bool], halting: bool = True) -> bool:
        """False as soon as the load has stopped or (with `halting`) a halt was asked for."""
        while (remaining := when - self.clock.time()) > 0:
            check_interrupted()
            if not keep_going() or (halting and self._halt_observe_s is not None):
                return False
            self.clock.sleep(min(_TICK_S, remaining))
        return keep_going() and not (halting and self._halt_observe_s is not None)

"""Evaluates the scenario's safety halt conditions (`safety.halt`) while the load runs, and halts the drill
on the first one met: a `halted` event (which condition, what was observed), the scheduler told to revert
every fault, and the load stopped once the observation period after the halt is over.

Like the progress view and the probe monitor, it subscribes to the run's lifecycle events, so `runner.py`
only starts it. The figures come from what the run already writes (samples.csv through
`harness.progress.tail.SampleTail`, probes.jsonl) and, for `http`, from the stack's health endpoint; the
conditions run in one thread, every `every` seconds, and the scheduler acts on a halt in its own thread
within one tick, so a halt reverts the faults within one evaluation period (plus an `http` timeout).
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx

from harness.backends.variables import interpolate, stack_variables
from harness.background import BackgroundLoop
from harness.comparisons import parse_comparison, shown
from harness.errors import HarnessError
from harness.events import EventLog
from harness.load.files import SAMPLES_FILE
from harness.probe_monitor import PROBES_FILE
from harness.progress.tail import SampleTail
from harness.scenario.halts import HaltCondition, HaltSpec
from harness.scheduler import FaultScheduler

Check = Callable[[], str | None]
"""One condition's evaluation: what was observed when the condition is met, else None."""


def rate_check(condition: HaltCondition, samples: Path) -> Check:
    """`errors` or `latency` over the requests answered in the last `over` seconds."""
    threshold = condition.threshold()
    tail = SampleTail(samples, condition.over_s, threshold.percentile or 99)

    def check() -> str | None:
        figures = tail.read()
        if condition.errors is not None:
            rate = figures.error_rate
            met = rate is not None and threshold.holds(rate)
            return f"{rate:.0%} of {figures.requests:,} requests failed" if met else None
        latency = figures.latency_ms
        met = latency is not None and threshold.holds(latency)
        if not met:
            return None
        return f"p({threshold.percentile:g}) {latency:.0f}ms over {figures.requests:,} requests"

    return check


class _ProbeFollower:
    """The latest good reading of each probe, reading probes.jsonl from where the last call stopped."""

    def __init__(self, path: Path):
        self.path = path
        self._offset = 0
        self.latest: dict[str, Any] = {}

    def update(self) -> None:
        try:
            with self.path.open("rb") as readings:
                readings.seek(self._offset)
                data = readings.read()
        except FileNotFoundError:
            return
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode("utf-8", errors="replace").splitlines():
            with suppress(ValueError):
                reading = json.loads(line)
                if isinstance(reading, dict) and not reading.get("error") and "value" in reading:
                    self.latest[str(reading.get("probe"))] = reading["value"]


def probe_check(condition: HaltCondition, probes: _ProbeFollower) -> Check:
    comparison = parse_comparison(str(condition.reads))

    def check() -> str | None:
        probes.update()
        if condition.probe not in probes.latest:
            return None
        value = probes.latest[str(condition.probe)]
        return f"read {shown(value)}" if comparison.holds(value) else None

    return check


def http_check(condition: HaltCondition, url: str, clock: Callable[[], float] = time.time) -> Check:
    """Met once every reading for `for` seconds failed (a connection error or a status >= 400)."""
    assert condition.http is not None
    timeout = condition.http.timeout
    failing_since: list[float] = []

    def check() -> str | None:
        started = clock()
        try:
            status = httpx.get(url, timeout=timeout).status_code
            failure = f"status {status}" if status >= 400 else None
        except httpx.HTTPError as exc:
            failure = f"{type(exc).__name__}: {exc}"
        if failure is None:
            failing_since.clear()
            return None
        failing_since[:] = failing_since or [started]
        lasted = started - failing_since[0]
        return f"{failure} for {lasted:.1f}s" if lasted >= condition.for_s else None

    return check


def file_check(condition: HaltCondition) -> Check:
    path = Path(str(condition.file))
    return lambda: f"{path} exists" if path.exists() else None


class HaltMonitor(BackgroundLoop):
    def __init__(self, halt: HaltSpec, checks: list[tuple[HaltCondition, Check]], scheduler: FaultScheduler):
        super().__init__("halt-monitor", join_timeout_s=halt.every + 5)
        self.halt = halt
        self.checks = checks
        self.scheduler = scheduler

    def evaluate(self) -> bool:
        """Evaluate every condition once; on the first met, halt the drill. True once halted (False when
        the timeline has already ended: the drill is stopping anyway, and was not halted)."""
        for condition, check in self.checks:
            value = check()
            if value is not None:
                described = condition.describe()
                why = {"reason": f"{described}: {value}", "condition": described, "value": value}
                return self.scheduler.halt(self.halt.observe, **why)
        return False

    def _run(self) -> None:
        while not self._stop.wait(self.halt.every):
            if self.evaluate():
                return


def build_checks(halt: HaltSpec, stack: object, run_dir: Path) -> list[tuple[HaltCondition, Check]]:
    """Each condition's check; an `http` URL naming a variable the stack does not set is a harness error
    naming the field, at the load's start rather than at every evaluation."""
    variables = stack_variables(stack)
    probes = _ProbeFollower(run_dir / PROBES_FILE)
    checks: list[tuple[HaltCondition, Check]] = []
    for index, condition in enumerate(halt.when):
        match condition.kind:
            case "errors" | "latency":
                checks.append((condition, rate_check(condition, run_dir / SAMPLES_FILE)))
            case "probe":
                checks.append((condition, probe_check(condition, probes)))
            case "http":
                assert condition.http is not None
                try:
                    url = interpolate(condition.http.url, variables, f"safety.halt.when[{index}].http.url")
                except ValueError as exc:
                    raise HarnessError(str(exc)) from None
                checks.append((condition, http_check(condition, url)))
            case _:
                checks.append((condition, file_check(condition)))
    return checks


def watch_halts(events: EventLog, halt: HaltSpec | None, scheduler: FaultScheduler, stack: object,
                run_dir: Path) -> None:  # fmt: skip
    """Evaluate `halt`'s conditions from the load's start until it stops or the teardown starts; once a
    halt's observation period is over (`halt_observed`), stop the load worker (SIGTERM: it flushes its
    samples and writes its summary, and exits 0)."""
    if halt is None:
        return
    load_pid: list[int] = []

    def make(load_started: dict[str, Any]) -> HaltMonitor:
        load_pid.append(int(load_started["load_pid"]))
        return HaltMonitor(halt, build_checks(halt, stack, run_dir), scheduler)

    def stop_load(observed: dict[str, Any]) -> None:
        # The worker is the runner's child, not reaped until the runner's wait: its pid is still its own.
        for pid in load_pid if observed.get("cuts_load") else []:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    events.watch_between("load_started", ("load_stopped", "teardown_started"), make)
    events.subscribe("halt_observed", stop_load)

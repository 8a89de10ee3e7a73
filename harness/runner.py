"""One drill from scenario file to verdict: stack up, load on, faults on schedule, everything down, report.

The teardown and the report are in `finally` blocks: faults are cleared, processes stopped and whatever
samples exist are verified and reported also on Ctrl-C, SIGTERM, a harness error or a crash. A run that
did not finish is reported as `incomplete`, never as a pass.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from harness.backends import make_backend
from harness.errors import EXIT_BAD_INPUT, EXIT_EXPECTATION_FAILED, EXIT_OK, HarnessError
from harness.events import EventLog
from harness.load.config import LoadConfig
from harness.load.drift import DriftWindow
from harness.load.features_log import read_features
from harness.load.files import FEATURES_FILE
from harness.load.process import LoadProcess
from harness.load.samples import SAMPLE_COLUMNS, read_samples
from harness.plan import Plan, PlannedFault, resolve_plan
from harness.report import write_reports
from harness.scenario import Scenario, load_scenario
from harness.scenario.faults import DataDriftParams
from harness.scheduler import FaultScheduler
from harness.stack_monitor import StackMonitor
from harness.verify.drift_truth import drift_over_time
from harness.verify.mechanisms import stack_transitions
from harness.verify.results import RunSummary
from harness.verify.verifier import verify
from stack.model import FEATURE_SCHEMA

EXIT_INTERRUPTED = 130
LOAD_LEAD_S = 1.0
"""Head start between the load worker reporting ready and its first request, to line faults up."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived during the drill."""


@dataclass
class RunOptions:
    out_dir: Path | None = None
    seed: int | None = None
    backend: str | None = None
    overrides: list[str] = field(default_factory=list)
    reports_root: Path = Path("reports")


@dataclass
class RunOutcome:
    summary: RunSummary
    run_dir: Path
    exit_code: int
    error: str | None = None


def run_drill(scenario_path: Path, options: RunOptions) -> RunOutcome:
    overrides = [*options.overrides, *([f"stack.backend={options.backend}"] if options.backend else [])]
    scenario = load_scenario(scenario_path, overrides)
    plan = resolve_plan(scenario, options.seed)
    run_dir = options.out_dir or options.reports_root / f"{scenario.name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(scenario_path, run_dir / "scenario.yaml")
    return _Drill(scenario, scenario_path, plan, run_dir).run()


class _Drill:
    def __init__(self, scenario: Scenario, scenario_path: Path, plan: Plan, run_dir: Path):
        self.scenario = scenario
        self.scenario_path = scenario_path
        self.plan = plan
        self.run_dir = run_dir
        self.events = EventLog(run_dir / "events.jsonl")
        self.backend = make_backend(scenario, run_dir)
        self.scheduler = FaultScheduler(plan, self.backend, self.events)
        self.load: LoadProcess | None = None
        self.monitor: StackMonitor | None = None
        self.started_at = time.time()
        self.load_started_at: float | None = None

    def run(self) -> RunOutcome:
        self.events.emit(
            "run_started", scenario=self.scenario.name, seed=self.plan.seed, run_dir=str(self.run_dir)
        )
        error: str | None = None
        exit_code: int | None = None
        with _signal_handlers(_raise_interrupted):
            try:
                self._drive()
            except Interrupted as exc:
                error, exit_code = f"interrupted by {exc}", EXIT_INTERRUPTED
            except HarnessError as exc:
                error, exit_code = str(exc), EXIT_BAD_INPUT
            except Exception as exc:
                (self.run_dir / "harness-error.txt").write_text(traceback.format_exc())
                error, exit_code = f"harness crashed: {type(exc).__name__}: {exc}", EXIT_BAD_INPUT
            finally:
                with _signal_handlers(signal.SIG_IGN):
                    self._teardown()
        if error:
            self.events.emit("interrupted" if exit_code == EXIT_INTERRUPTED else "run_error", error=error)
        summary = self._report(error)
        if exit_code is None:
            exit_code = EXIT_EXPECTATION_FAILED if summary.failed else EXIT_OK
        return RunOutcome(summary, self.run_dir, exit_code, error)

    def _drive(self) -> None:
        self.backend.start()
        self.events.emit("stack_ready", gateway=self.backend.gateway_url, pids=self.backend.pids())
        if self.scenario.stack.compose is None:
            state_url = f"{self.backend.gateway_url}/admin/state"
            self.monitor = StackMonitor(state_url, self.run_dir / "stack_state.jsonl")
            self.monitor.start()
        load = self.scenario.load
        self.load = LoadProcess(load_config(self.scenario, self.plan, self.backend.gateway_url), self.run_dir)
        self.load.start()
        self.load_started_at = self.load.load_starts_at or self.load.config.start_at
        self.events.emit("load_started", t=self.load_started_at, mode=load.mode, load_pid=self.load.pid)
        self.scheduler.run(
            self.load_started_at, self.load_started_at + load.duration, lambda: self.load.alive
        )
        self.scheduler.clear_all()
        code = self.load.wait(timeout=load.request_timeout + 30)
        if code != 0:
            raise HarnessError(f"load worker exited with code {code}; see {self.load.log_path}")
        self.events.emit("load_stopped")

    def _teardown(self) -> None:
        self.scheduler.clear_all()
        if self.load is not None:
            self.load.stop()
        if self.monitor is not None:
            self.monitor.stop()
        self.backend.stop()
        self.events.emit("stack_stopped")

    def _report(self, error: str | None) -> RunSummary:
        samples = self._samples()
        load = self.scenario.load
        planned = {"mode": load.mode, "users": load.users, "rate": load.rate, "duration_s": load.duration}
        load_summary = {**planned, **(self.load.summary() if self.load is not None else {})}
        load_started = self.load_started_at or self.started_at
        faults = list(self.scheduler.records.values())
        snapshots = self.monitor.snapshots if self.monitor is not None else []
        for transition in stack_transitions(snapshots):
            self.events.emit(**transition)
        not_sent = int(load_summary.get("not_sent") or 0)
        verification = verify(self.scenario, samples, load_started, faults, not_sent, snapshots)
        summary = RunSummary(
            scenario=self.scenario.name,
            description=self.scenario.description,
            scenario_file=str(self.scenario_path),
            run_dir=str(self.run_dir),
            backend=self.scenario.stack.backend,
            seed=self.plan.seed,
            started_at=self.started_at,
            load_started_at=self.load_started_at,
            finished_at=time.time(),
            verdict="incomplete"
            if error
            else ("fail" if any(not e.passed for e in verification.expectations) else "pass"),
            incomplete_reason=error,
            slo=verification.slo,
            expectations=verification.expectations,
            faults=faults,
            load=load_summary,
            traffic_share=verification.traffic_share,
        )
        self.events.emit("run_finished", verdict=summary.verdict)
        (self.run_dir / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2, default=str))
        verification.windows.to_csv(self.run_dir / "windows.csv", index=False)
        drift = self._drift_truth(load_started)
        if drift is not None:
            drift.to_csv(self.run_dir / "drift_truth.csv", index=False)
        write_reports(
            self.run_dir, summary, verification.samples, verification.windows, self.events.events,
            snapshots=snapshots, drift_truth=drift,
        )  # fmt: skip
        self.events.close()
        return summary

    def _drift_truth(self, load_started: float) -> pd.DataFrame | None:
        """What drift the requests really carried, per window: the ground truth beside what the stack saw."""
        path = self.run_dir / FEATURES_FILE
        if not any(f.kind == "data-drift" for f in self.scenario.faults) or not path.exists():
            return None
        features = self.scenario.load.profile.features or FEATURE_SCHEMA
        return drift_over_time(
            read_features(path), features, load_started, self.scenario.slo.window, self.plan.seed
        )

    def _samples(self) -> pd.DataFrame:
        path = self.run_dir / "samples.csv"
        return read_samples(path) if path.exists() else pd.DataFrame(columns=SAMPLE_COLUMNS)


def load_config(scenario: Scenario, plan: Plan, target_url: str) -> LoadConfig:
    load = scenario.load
    start_at = time.time() + LOAD_LEAD_S
    drifts = [_drift_window(f, start_at) for f in plan.faults if f.spec.kind == "data-drift"]
    return LoadConfig(
        target_url=target_url,
        path=load.path,
        mode=load.mode,
        users=load.users,
        spawn_rate=load.spawn_rate,
        rate=load.rate,
        max_users=load.max_users,
        duration_s=load.duration,
        start_at=start_at,
        rows_per_request=load.rows,
        features=load.profile.features or FEATURE_SCHEMA,
        replay=str(load.profile.replay) if load.profile.replay else None,
        drifts=drifts,
        log_features=bool(drifts),
        seed=plan.seed,
        request_timeout_s=load.request_timeout,
        late_tolerance_s=load.late_tolerance,
        think_time_s=load.think_time,
    )


def _drift_window(fault: PlannedFault, start_at: float) -> DriftWindow:
    """Data drift is done by the load worker to the requests it sends, on the same timeline as faults."""
    params = fault.spec.typed_params()
    assert isinstance(params, DataDriftParams)
    return DriftWindow(
        name=fault.spec.name,
        start_at=start_at + fault.start,
        end_at=None if fault.end is None else start_at + fault.end,
        transform=params.transform,
        features=params.features,
        sigma=params.sigma,
        factor=params.factor,
        rate=params.rate,
        ramp_s=params.ramp,
    )


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


@contextmanager
def _signal_handlers(handler: Any) -> Iterator[None]:
    """SIGINT/SIGTERM handled by `handler` inside the block: raised as `Interrupted` during the drill, and
    ignored during teardown, where a second Ctrl-C must not leave processes or faults behind."""
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

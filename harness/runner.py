"""One drill from scenario file to verdict: stack up, load on, faults on schedule, everything down, report.

While the drill runs, SIGINT/SIGTERM stop it at once (`harness.interrupts`); the wind-down that follows
(faults cleared, processes stopped, report written) always runs to its end, and a signal during it is
noted, not obeyed half-way. Everything that happens is written to the run directory as it happens, and the
verdict and reports are computed from those files (`harness.conclude`), as `chaosdrill report` does for a
run directory later.
"""

from __future__ import annotations

import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faults.capabilities import StateProbe
from faults.kinds.data_drift import DataDrift
from harness.backends import make_backend
from harness.conclude import conclude
from harness.errors import HarnessError
from harness.events import EventLog
from harness.halt_monitor import watch_halts
from harness.interrupts import Interrupted, NotedSignals, noting_signals, raising_signals
from harness.journal import EVENTS_FILE, SCENARIO_COPY, RunInfo
from harness.load.config import FeedbackConfig, LoadConfig
from harness.load.process import LoadProcess
from harness.load.shapes import StageConfig
from harness.plan import Plan
from harness.preflight import preflight
from harness.probe_monitor import watch_probes
from harness.progress import Mode, watch_progress
from harness.run_dir import prepare_run_dir
from harness.run_identity import RunIdentity
from harness.run_registry import RegisteredRun, registered
from harness.scenario import Scenario
from harness.scenario.model import FeedbackSpec
from harness.scheduler import FaultScheduler
from harness.stack_monitor import watch_stack_state
from harness.verify.results import RunSummary
from harness.verify.verdict import EXIT_CODES
from stack.model import FEATURE_SCHEMA

LOAD_LEAD_S = 1.0
"""Head start between the load worker reporting ready and its first request, to line faults up."""
HARNESS_ERROR_FILE = "harness-error.txt"


@dataclass
class RunOptions:
    out_dir: Path | None = None
    seed: int | None = None
    backend: str | None = None
    overrides: list[str] = field(default_factory=list)
    reports_root: Path = Path("reports")
    force: bool = False
    """Empty a non-empty `out_dir` (only if it is a run directory) instead of refusing it."""
    on_summary: Callable[[RunSummary], None] | None = None
    """Called with each summary the wind-down writes (e.g. to record it in the history): still inside the
    wind-down, so a signal during it is noted and the run re-reported as incomplete, and called again."""
    progress: Mode = "off"
    """How the drill shows its progress on stderr (`harness.progress`); off for suites and tests."""
    progress_every_s: float = 10.0


@dataclass
class RunOutcome:
    summary: RunSummary
    run_dir: Path
    exit_code: int
    error: str | None = None


def run_drill(scenario_path: Path, options: RunOptions) -> RunOutcome:
    overrides = [*options.overrides, *([f"stack.backend={options.backend}"] if options.backend else [])]
    plan = preflight(scenario_path, overrides, options.seed)
    scenario = plan.scenario
    identity = RunIdentity.new()
    run_dir = prepare_run_dir(
        options.out_dir, options.reports_root, scenario.name, identity.run_id, force=options.force
    )
    shutil.copyfile(scenario_path, run_dir / SCENARIO_COPY)
    RunInfo(identity, str(Path(scenario_path).resolve()), overrides, plan.seed).write(run_dir)
    with registered(RegisteredRun(identity, str(run_dir), scenario.toxiproxy.url)):
        drill = _Drill(scenario, plan, run_dir, identity, options.on_summary)
        watch_progress(drill.events, plan, run_dir, options.progress, options.progress_every_s)
        return drill.run()


class _Drill:
    def __init__(
        self,
        scenario: Scenario,
        plan: Plan,
        run_dir: Path,
        identity: RunIdentity,
        on_summary: Callable[[RunSummary], None] | None = None,
    ):
        self.on_summary = on_summary
        self.scenario = scenario
        self.plan = plan
        self.run_dir = run_dir
        self.events = EventLog(run_dir / EVENTS_FILE)
        self.backend = make_backend(scenario, run_dir, identity)
        self.scheduler = FaultScheduler(plan, self.backend, self.events)
        self.load: LoadProcess | None = None
        watch_stack_state(self.events, StateProbe in self.backend.capabilities, run_dir)
        watch_probes(self.events, scenario.probes, self.backend, run_dir)
        watch_halts(self.events, scenario.safety.halt, self.scheduler, self.backend, run_dir)
        self.phase = "during start-up"
        """What the run does now, for an interruption's words ("interrupted by SIGINT during teardown")."""

    def run(self) -> RunOutcome:
        noted = NotedSignals(on_signal=self._interrupted)
        with noting_signals(noted):
            self.events.emit("run_started", scenario=self.scenario.name, seed=self.plan.seed,
                             run_dir=str(self.run_dir))  # fmt: skip
            try:
                with raising_signals():
                    self._drive()
            except Interrupted as exc:
                self._interrupted(exc.signal_name)
            except HarnessError as exc:
                self.events.emit("run_error", error=str(exc))
            except Exception as exc:
                (self.run_dir / HARNESS_ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
                self.events.emit(
                    "run_error",
                    error=f"harness crashed: {type(exc).__name__}: {exc} (see {HARNESS_ERROR_FILE})",
                )
            self.phase = "during teardown"
            self._teardown()
            summary = self._conclude(noted)
            self.events.emit("run_finished", verdict=summary.verdict)
        self.events.close()
        return RunOutcome(summary, self.run_dir, EXIT_CODES[summary.verdict], summary.incomplete_reason)

    def _conclude(self, noted: NotedSignals) -> RunSummary:
        """Verify, report and hand the summary on; all again if a signal landed meanwhile, so the reports
        (and the history) say the run is incomplete."""
        self.phase = "while the report was written"
        signals_before = len(noted.received)
        try:
            summary = self._summarise()
            if len(noted.received) > signals_before:
                summary = self._summarise()
        except Exception as exc:
            (self.run_dir / HARNESS_ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
            raise HarnessError(
                f"the run's report could not be written: {type(exc).__name__}: {exc} "
                f"(traceback in {self.run_dir / HARNESS_ERROR_FILE})"
            ) from None
        return summary

    def _summarise(self) -> RunSummary:
        summary = conclude(self.run_dir, self.plan)
        if self.on_summary is not None:
            self.on_summary(summary)
        return summary

    def _interrupted(self, signal_name: str) -> None:
        doing = self.scheduler.doing or self.phase
        self.events.emit("interrupted", signal=signal_name, error=f"interrupted by {signal_name} {doing}")

    def _drive(self) -> None:
        self.phase = "during stack start-up"
        self.backend.start()
        self.events.emit("stack_ready", gateway=self.backend.gateway_url, pids=self.backend.pids())
        load = self.scenario.load
        self.phase = "during load start-up"
        self.load = LoadProcess(load_config(self.scenario, self.plan, self.backend.gateway_url), self.run_dir)
        self.load.start()
        load_started_at = self.load.load_starts_at or self.load.config.start_at
        self.events.emit("load_started", t=load_started_at, mode=load.mode, load_pid=self.load.pid)
        self.phase = "during the drill"
        self.scheduler.run(load_started_at, load_started_at + load.duration, lambda: self.load.alive)
        self.phase = "at the end of the drill"
        self.scheduler.clear_all()
        code = self.load.wait(timeout=load.request_timeout + 30)
        if code != 0:
            raise HarnessError(f"load worker exited with code {code}; see {self.load.log_path}")
        self.events.emit("load_stopped")

    def _teardown(self) -> None:
        self.events.emit("teardown_started")
        self.scheduler.clear_all()
        if self.load is not None:
            self.load.stop()
        self.backend.stop()
        self.events.emit("stack_stopped")


def _feedback_config(feedback: FeedbackSpec | None) -> FeedbackConfig | None:
    if feedback is None:
        return None
    return FeedbackConfig(path=feedback.path, delay_s=feedback.delay, id_header=feedback.id_header)


def load_config(scenario: Scenario, plan: Plan, target_url: str) -> LoadConfig:
    load = scenario.load
    start_at = time.time() + LOAD_LEAD_S
    drifts = [
        kind.drift_window(f.order, start_at + f.start)
        for f in plan.faults
        if isinstance(kind := f.spec.fault_kind, DataDrift)
    ]  # data drift is done by the load worker to the requests it sends, on the faults' timeline
    return LoadConfig(
        target_url=target_url,
        path=load.target_path(),
        request=load.request,
        observe=scenario.observation(),
        truth=scenario.needs_truth,
        feedback=_feedback_config(load.feedback),
        locustfile=str(load.locustfile) if load.locustfile else None,
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
        replay_label=load.profile.label,
        drifts=drifts,
        log_features=bool(drifts) or scenario.asks_quality,  # the inputs of the ground truth
        seed=plan.seed,
        request_timeout_s=load.request_timeout,
        late_tolerance_s=load.late_tolerance,
        think_time_s=load.think_time,
        stages=[
            StageConfig(duration_s=stage.duration, users=stage.users, rate=stage.rate, ramp=stage.ramp)
            for stage in load.stages or []
        ],
    )

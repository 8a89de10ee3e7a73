"""From a run directory to its verdict and reports: the end of every `run`, and `chaosdrill report`.

Everything is computed from the files in the run directory (see `harness.journal`), so a run that just
ended, an interrupted one and a SIGKILLed one get the same verification and the same reports. A failure
while verifying or rendering is itself a harness error: it is written down (traceback in the run
directory), the verdict becomes `error`, and the reports that can still be written are written.
`summary.json` is written last: once it exists, the reports beside it are complete.
"""

from __future__ import annotations

import json
import time
import traceback
from pathlib import Path

import pandas as pd

from harness.backend_offers import backend_offer
from harness.journal import SCENARIO_COPY, Journal, RunInfo, read_journal
from harness.load.features_log import read_features
from harness.load.files import FEATURES_FILE
from harness.plan import Plan
from harness.preflight import preflight
from harness.report import write_reports
from harness.report.junit import write_junit
from harness.scenario import Scenario
from harness.scoring import resilience
from harness.verify.drift_truth import drift_over_time
from harness.verify.mechanisms import stack_transitions
from harness.verify.probes import probe_transitions
from harness.verify.regression import ThisRun, evaluate_gates
from harness.verify.results import RunSummary, SloFigures
from harness.verify.verdict import decide_verdict
from harness.verify.verifier import Verification, verify
from harness.verify.windows import WINDOW_COLUMNS
from stack.model import FEATURE_SCHEMA

VERIFY_ERROR_FILE = "verify-error.txt"
REPORT_ERROR_FILE = "report-error.txt"


def replan(run_dir: Path, info: RunInfo) -> Plan:
    """The plan the run executed: the run directory's copy of the scenario, with the run's overrides and
    seed, resolving relative paths (replay files, compose files) where the original scenario file was."""
    return preflight(run_dir / SCENARIO_COPY, info.overrides, info.seed, base=Path(info.scenario_file).parent)


def conclude(run_dir: Path, plan: Plan | None = None) -> RunSummary:
    """Verify the run in `run_dir` and write summary.json, report.md/html, junit.xml, plots and CSVs."""
    info = RunInfo.read(run_dir)
    plan = plan if plan is not None else replan(run_dir, info)
    scenario = plan.scenario
    journal = read_journal(run_dir, info, plan)
    errors = list(journal.errors)
    verification = _verify(scenario, journal, errors)
    summary = _summary(scenario, journal, verification, errors)
    samples = verification.samples if verification else journal.samples
    windows = verification.windows if verification else pd.DataFrame(columns=WINDOW_COLUMNS)
    windows.to_csv(run_dir / "windows.csv", index=False)
    drift = _drift_truth(scenario, journal, errors)
    if drift is not None:
        drift.to_csv(run_dir / "drift_truth.csv", index=False)
    try:
        observed = [*stack_transitions(journal.snapshots), *probe_transitions(journal.probe_readings)]
        events = sorted([*journal.events, *observed], key=lambda e: float(e["t"]))
        write_reports(
            run_dir, summary, samples, windows, events, snapshots=journal.snapshots, drift_truth=drift,
            probes=scenario.probes, probe_readings=journal.probe_readings,
        )  # fmt: skip
    except Exception as exc:
        (run_dir / REPORT_ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
        errors.append(
            f"the report could not be rendered: {type(exc).__name__}: {exc} (see {REPORT_ERROR_FILE})"
        )
        summary = _summary(scenario, journal, verification, errors)
        _fallback_reports(run_dir, summary)
    scored = {**summary.to_dict(), "resilience": resilience(summary).to_dict()}
    (run_dir / "summary.json").write_text(json.dumps(scored, indent=2, default=str), encoding="utf-8")
    return summary


def _verify(scenario: Scenario, journal: Journal, errors: list[str]) -> Verification | None:
    load_started = journal.load_started_at or journal.started_at
    not_sent = int(journal.load.get("not_sent") or 0)
    try:
        return verify(
            scenario, journal.samples, load_started, journal.faults, not_sent, journal.snapshots,
            journal.probe_readings,
        )  # fmt: skip
    except Exception as exc:
        (journal.run_dir / VERIFY_ERROR_FILE).write_text(traceback.format_exc(), encoding="utf-8")
        errors.append(f"verification crashed: {type(exc).__name__}: {exc} (see {VERIFY_ERROR_FILE})")
        return None


def _summary(
    scenario: Scenario, journal: Journal, verification: Verification | None, errors: list[str]
) -> RunSummary:
    slo = verification.slo if verification else _slo_targets(scenario)
    this_run = ThisRun(scenario.name, journal.info.identity.run_id, journal.started_at, slo, journal.faults)
    gates = evaluate_gates(scenario.expectations.regression, this_run)
    expectations = [*(verification.expectations if verification else []), *gates]
    verdict, reason = decide_verdict(
        journal.faults, expectations, journal.interruptions, errors, journal.halt
    )
    load = scenario.load
    planned = {"mode": load.mode, "users": load.users, "rate": load.rate, "duration_s": load.duration}
    if load.stages:
        planned["stages"] = [
            {"duration_s": stage.duration, "users": stage.users, "rate": stage.rate, "ramp": stage.ramp}
            for stage in load.stages
        ]
    return RunSummary(
        scenario=scenario.name,
        description=scenario.description,
        scenario_file=journal.info.scenario_file,
        run_dir=str(journal.run_dir),
        backend=backend_offer(scenario.stack).name,
        seed=journal.info.seed,
        started_at=journal.started_at,
        load_started_at=journal.load_started_at,
        finished_at=journal.finished_at or time.time(),
        verdict=verdict,
        incomplete_reason=reason,
        slo=slo,
        expectations=expectations,
        faults=journal.faults,
        load={**planned, **journal.load},
        traffic_share=verification.traffic_share if verification else {},
        run_id=journal.info.identity.run_id,
    )


def _slo_targets(scenario: Scenario) -> SloFigures:
    """The SLO as planned, with nothing measured: for a run whose verification crashed."""
    threshold = scenario.slo.latency_threshold
    return SloFigures(
        availability_target=scenario.slo.availability,
        latency_percentile=threshold.percentile or 99.0,
        latency_threshold_ms=threshold.value,
        window_s=scenario.slo.window,
    )


def _drift_truth(scenario: Scenario, journal: Journal, errors: list[str]) -> pd.DataFrame | None:
    """What drift the requests really carried, per window: the ground truth beside what the stack saw."""
    path = journal.run_dir / FEATURES_FILE
    if not any(f.fault_kind.category == "data" for f in scenario.faults) or not path.exists():
        return None
    features = scenario.load.profile.features or FEATURE_SCHEMA
    load_started = journal.load_started_at or journal.started_at
    try:
        return drift_over_time(
            read_features(path), features, load_started, scenario.slo.window, journal.info.seed
        )
    except Exception as exc:
        errors.append(f"drift ground truth could not be computed: {type(exc).__name__}: {exc}")
        return None


def _fallback_reports(run_dir: Path, summary: RunSummary) -> None:
    """The verdict and each expectation in plain Markdown and JUnit, when the full report failed."""
    lines = [
        f"# Drill report: {summary.scenario} — {summary.verdict.upper()}",
        "",
        f"**Verdict: {summary.verdict.upper()}** — {summary.incomplete_reason or ''}",
        "",
        "## Expectations",
        "",
        *(f"- {'PASS' if e.passed else 'FAIL'} {e.name}: {e.explanation}" for e in summary.expectations),
        "",
    ]
    (run_dir / "report.md").write_text("\n".join(lines), encoding="utf-8")
    write_junit(run_dir / "junit.xml", summary)

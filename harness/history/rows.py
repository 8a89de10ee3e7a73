"""A run summary as history rows, and history rows back as the run's record: the one mapping both ways."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.scoring import GATE_METRIC, Resilience, Score, resilience
from harness.verify.results import RunSummary

LABELS_FILE = "history.json"


@dataclass(frozen=True)
class RunLabels:
    """What the run directory alone does not say: which version of the stack was drilled, in which suite.

    Kept in the run directory too (`history.json`), so `history import` restores them."""

    stack_version: str | None = None
    suite: str | None = None

    def write(self, run_dir: Path) -> None:
        try:
            (run_dir / LABELS_FILE).write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        except OSError as exc:
            raise HarnessError(f"{run_dir / LABELS_FILE}: cannot write: {exc.strerror or exc}") from None

    @classmethod
    def read(cls, run_dir: Path) -> RunLabels:
        try:
            data = json.loads((run_dir / LABELS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls(data.get("stack_version"), data.get("suite"))


def held(summary: RunSummary) -> bool:
    """Ran as planned and met every expectation but its regression gates: a baseline for later gates.

    Gates are left out so that the first runs, whose gates cannot be measured yet, still build the
    history that measures them."""
    if summary.verdict not in ("pass", "fail"):
        return False
    return all(e.passed for e in summary.expectations if e.metric != GATE_METRIC)


def run_row(summary: RunSummary, labels: RunLabels, scores: Resilience) -> dict[str, Any]:
    slo = summary.slo
    return {
        "run_id": summary.run_id,
        "scenario": summary.scenario,
        "scenario_file": summary.scenario_file,
        "run_dir": str(Path(summary.run_dir).resolve()),
        "stack_version": labels.stack_version,
        "suite": labels.suite,
        "backend": summary.backend,
        "seed": str(summary.seed),
        "started_at": summary.started_at,
        "finished_at": summary.finished_at,
        "verdict": summary.verdict,
        "reason": summary.incomplete_reason,
        "held": held(summary),
        "requests": slo.requests,
        "error_rate": None if slo.success_ratio is None else 1 - slo.success_ratio,
        "latency_p50_ms": slo.latency_p50_ms,
        "latency_p95_ms": slo.latency_p95_ms,
        "latency_p99_ms": slo.latency_p99_ms,
        "mean_attempts": slo.mean_attempts,
        "error_budget_burn": slo.error_budget_burn,
        "compliance_steady": slo.compliance_steady,
        "compliance_faulted": slo.compliance_faulted,
        "score": scores.run.value,
        "resilience": scores.to_dict(),
        "recorded_at": time.time(),
    }


def child_rows(summary: RunSummary, scores: Resilience) -> dict[str, list[dict[str, Any]]]:
    run_id = summary.run_id
    expectations = [
        {
            "run_id": run_id,
            "position": i,
            "name": e.name,
            "metric": e.metric,
            "observed": e.observed,
            "threshold": e.threshold,
            "unit": e.unit,
            "status": e.status or ("pass" if e.passed else "fail"),
            "explanation": e.explanation,
        }
        for i, e in enumerate(summary.expectations)
    ]
    faults = [
        {
            "run_id": run_id,
            "position": i,
            "name": f.name,
            "kind": f.kind,
            "targets": list(f.targets),
            "applied_at": f.applied_at,
            "cleared_at": f.cleared_at,
            "recovery_s": f.recovery_s,
            "problem": f.problem(),
        }
        for i, f in enumerate(summary.faults)
    ]
    mechanisms = [
        {"run_id": run_id, "mechanism": name, "score": score.value}
        for name, score in scores.mechanisms.items()
        if score.value is not None
    ]
    return {"expectations": expectations, "faults": faults, "mechanism_scores": mechanisms}


def summary_rows(summary: RunSummary, labels: RunLabels) -> tuple[dict[str, Any], dict[str, list[dict]]]:
    scores = resilience(summary)
    return run_row(summary, labels, scores), child_rows(summary, scores)


@dataclass(frozen=True)
class FaultOutcome:
    name: str
    kind: str
    applied: bool
    recovery_s: float | None
    """None: never recovered (or never applied)."""


@dataclass(frozen=True)
class RecordedRun:
    """One run as the history holds it."""

    run_id: str
    scenario: str
    started_at: float
    verdict: str
    reason: str | None
    held: bool
    run_dir: str
    stack_version: str | None
    suite: str | None
    error_rate: float | None
    latency_p99_ms: float | None
    mean_attempts: float | None
    error_budget_burn: float | None
    score: Score
    mechanisms: dict[str, Score] = field(default_factory=dict)
    faults: list[FaultOutcome] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    """Names of the expectations not met (failed or not measured)."""

    @classmethod
    def from_rows(cls, run: Any, faults: list[Any], failed: list[str]) -> RecordedRun:
        stored = run.resilience if isinstance(run.resilience, dict) else json.loads(run.resilience)
        return cls(
            run_id=run.run_id,
            scenario=run.scenario,
            started_at=run.started_at,
            verdict=run.verdict,
            reason=run.reason,
            held=bool(run.held),
            run_dir=run.run_dir,
            stack_version=run.stack_version,
            suite=run.suite,
            error_rate=run.error_rate,
            latency_p99_ms=run.latency_p99_ms,
            mean_attempts=run.mean_attempts,
            error_budget_burn=run.error_budget_burn,
            score=Score.from_dict(stored["run"]),
            mechanisms={name: Score.from_dict(s) for name, s in stored["mechanisms"].items()},
            faults=[FaultOutcome(f.name, f.kind, f.applied_at is not None, f.recovery_s) for f in faults],
            failed=failed,
        )

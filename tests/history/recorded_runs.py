"""Run summaries as `conclude` writes them, for tests of what is done with finished runs (history, gates,
scores, trends) without running a drill for each."""

from __future__ import annotations

import json
from pathlib import Path

from harness.verify.results import ExpectationResult, FaultRecord, RunSummary, SloFigures

T0 = 1_750_000_000.0


def expectation(
    name: str, metric: str, observed: float | None, threshold: str, passed: bool, unit: str = "s"
):
    status = None if observed is not None or passed else "not measured"
    return ExpectationResult(
        name, metric, observed, threshold, unit, passed, f"{name}: observed {observed}", status
    )


def summary(
    run_id: str,
    *,
    scenario: str = "kill-drill",
    started_at: float = T0,
    verdict: str = "pass",
    recovery_s: float | None = 1.0,
    applied: bool = True,
    error_rate: float = 0.002,
    burn: float = 0.2,
    expectations: list[ExpectationResult] | None = None,
    run_dir: str | None = None,
) -> RunSummary:
    fault = FaultRecord("kill", "node-kill", ["gpu-0"], 2.0, 6.0,
                        applied_at=started_at + 3 if applied else None,
                        cleared_at=started_at + 7 if applied else None,
                        recovery_s=recovery_s if applied else None)  # fmt: skip
    slo = SloFigures(0.99, 99.0, 400.0, 1.0, requests=1000, success_ratio=1 - error_rate, latency_p50_ms=40.0,
                     latency_p95_ms=90.0, latency_p99_ms=120.0, windows_total=10, windows_good=9,
                     error_budget_burn=burn, mean_attempts=1.1)  # fmt: skip
    if expectations is None:
        expectations = [
            expectation("errors: rate < 1%", "errors", error_rate * 100, "rate < 1%", error_rate < 0.01, "%"),
            expectation(
                "recovery_time: kill <= 4s",
                "recovery_time",
                recovery_s,
                "<= 4s",
                recovery_s is not None and recovery_s <= 4,
            ),
        ]
    return RunSummary(
        scenario=scenario, description="", scenario_file=f"/drills/{scenario}.yaml",
        run_dir=run_dir or f"/runs/{run_id}", backend="local", seed=3, started_at=started_at,
        load_started_at=started_at + 1, finished_at=started_at + 12, verdict=verdict,
        incomplete_reason="interrupted by SIGINT" if verdict == "incomplete" else None, slo=slo,
        expectations=expectations, faults=[fault], run_id=run_id,
    )  # fmt: skip


def write_run_dir(directory: Path, run: RunSummary) -> Path:
    """A finished run directory as far as history import reads it: run.json and summary.json."""
    directory.mkdir(parents=True)
    identity = {"run_id": run.run_id, "pid": 1, "pid_started_at": 0.0, "host": "ci",
                "scenario_file": run.scenario_file, "overrides": [], "seed": run.seed}  # fmt: skip
    (directory / "run.json").write_text(json.dumps(identity))
    (directory / "summary.json").write_text(json.dumps(run.to_dict(), default=str))
    return directory

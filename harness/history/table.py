"""`chaosdrill history`: the last runs as a terminal table, newest first, each score with its inputs."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from harness.history.rows import FaultOutcome, RecordedRun
from harness.report.formatting import fmt_ms, fmt_number, fmt_percent


def recovery_text(fault: FaultOutcome) -> str:
    if not fault.applied:
        return f"{fault.name} not applied"
    return f"{fault.name} {'never' if fault.recovery_s is None else f'{fault.recovery_s:.1f}s'}"


def run_table(runs: list[RecordedRun]) -> str:
    if not runs:
        return "no runs recorded"
    rows = [
        {
            "started (UTC)": datetime.fromtimestamp(run.started_at, UTC).strftime("%Y-%m-%d %H:%M:%S"),
            "scenario": run.scenario,
            "stack": run.stack_version or "-",
            "verdict": run.verdict.upper(),
            "score (inputs)": run.score.short(),
            "mechanisms": ", ".join(f"{name} {s.value:g}" for name, s in run.mechanisms.items()) or "-",
            "recovery": ", ".join(recovery_text(f) for f in run.faults) or "-",
            "errors": fmt_percent(run.error_rate),
            "p99": fmt_ms(run.latency_p99_ms),
            "attempts": fmt_number(run.mean_attempts, 3),
            "not met": ", ".join(run.failed) or "-",
            "run directory": run.run_dir,
        }
        for run in runs
    ]
    return pd.DataFrame(rows).to_string(index=False, justify="left")

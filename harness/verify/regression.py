"""Regression gates: this run's figures against the median of earlier runs of the drill that held.

The history is the one in effect for the command (`harness.history.location`), read before this run is
recorded in it; a run re-verified later (`chaosdrill report`) is compared with the runs before it, never
with itself or later ones. Too little history, no history at all or one that cannot be read make a gate
`not measured` (which fails: the verdict rule), saying which: a gate never passes on missing evidence.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.history.location import resolve_history
from harness.history.store import BaselineRun, History
from harness.scenario.regression import GATE_UNITS, RegressionExpectation
from harness.scoring import GATE_METRIC
from harness.verify.results import ExpectationResult, FaultRecord, SloFigures

_FIGURES = {"error_rate": "error_rate", "latency_p99": "latency_p99_ms", "mean_attempts": "mean_attempts",
            "error_budget_burn": "error_budget_burn"}  # fmt: skip
"""Run-wide gate metrics and the history column each compares."""


@dataclass(frozen=True)
class ThisRun:
    """What the gates compare, of the run being concluded."""

    scenario: str
    run_id: str
    started_at: float
    slo: SloFigures
    faults: list[FaultRecord]


def evaluate_gates(gates: list[RegressionExpectation], run: ThisRun) -> list[ExpectationResult]:
    if not gates:
        return []
    try:
        location = resolve_history()
        if location is None:
            return [
                _not_measured(g, "history is off (--history off), so there is nothing to compare with")
                for g in gates
            ]
        with History(location) as history:
            return [_evaluate(gate, run, history) for gate in gates]
    except HarnessError as exc:
        return [_not_measured(gate, f"the history could not be read: {exc}") for gate in gates]


def gate_name(gate: RegressionExpectation) -> str:
    what = f"recovery_time of {gate.fault}" if gate.fault else gate.metric
    return f"regression: {what} {_threshold(gate)}"


def _threshold(gate: RegressionExpectation) -> str:
    text = f"<= median of last {gate.runs}" if gate.runs > 1 else "<= last run"
    if gate.max_increase:
        text += f" +{gate.max_increase:.0%}"
    if gate.max_delta:
        text += f" +{_fmt(gate, gate.max_delta)}"
    return text


def _fmt(gate: RegressionExpectation, value: float) -> str:
    if gate.metric == "recovery_time":
        return f"{value:.3g}s"
    if gate.metric == "latency_p99":
        return f"{value:.1f}ms"
    if GATE_UNITS[gate.metric] == "%":
        return f"{value * 100:.2f}%"
    return f"{value:.3g}"


def _not_measured(gate: RegressionExpectation, missing: str) -> ExpectationResult:
    unit = GATE_UNITS[gate.metric]
    return ExpectationResult.not_measured(gate_name(gate), GATE_METRIC, _threshold(gate), unit, missing)


def _observed(gate: RegressionExpectation, run: ThisRun) -> tuple[float | None, str | None]:
    """This run's figure (None: its fault never recovered), or why it has nothing to compare."""
    if gate.fault is not None:
        record = next((f for f in run.faults if f.name == gate.fault), None)
        if record is None or record.applied_at is None:
            return None, f"{gate.fault} was never applied in this run"
        return record.recovery_s, None
    if gate.metric == "error_rate":
        success = run.slo.success_ratio
        return (None, "this run sent no requests") if success is None else (1 - success, None)
    value = getattr(run.slo, _FIGURES[gate.metric])
    if value is None:
        return None, f"this run has no {gate.metric} (no requests, or no answer said its attempts)"
    return value, None


def _evaluate(gate: RegressionExpectation, run: ThisRun, history: History) -> ExpectationResult:
    observed, missing = _observed(gate, run)
    if missing is not None:
        return _not_measured(gate, missing)
    figure = None if gate.fault else _FIGURES[gate.metric]
    baseline = history.baseline(run.scenario, run.started_at, run.run_id, gate.runs, figure, gate.fault)
    if len(baseline) < gate.runs:
        return _not_measured(
            gate,
            f"only {len(baseline)} of the {gate.runs} earlier runs that held, needed for a baseline, are in "
            f"history {history.location.shown}",
        )
    median = statistics.median(b.value for b in baseline)
    # Rounded, as the figure: 1 s × 1.2 + 600 ms is 1.8 s, not 1.7999999999999998 s that 1.8 s exceeds.
    limit = round(median * (1 + gate.max_increase) + gate.max_delta, 9)
    name, unit = gate_name(gate), GATE_UNITS[gate.metric]
    what = f"recovery time of {gate.fault}" if gate.fault else gate.metric.replace("_", " ")
    runs = (
        "the last run that held" if gate.runs == 1 else f"the median of the last {gate.runs} runs that held"
    )
    against = f"{_fmt(gate, median)}, {runs} ({_ids(baseline)})"
    bound = f"limit {_fmt(gate, limit)}"
    if observed is None:
        why = f"{what}: never recovered in this run, against {against}; {bound}"
        return ExpectationResult(name, GATE_METRIC, None, _threshold(gate), unit, False, why)
    passed = round(observed, 9) <= limit
    why = f"{what} {_fmt(gate, observed)} against {against}; {bound}: {'met' if passed else 'REGRESSED'}"
    stored = observed * 100 if unit == "%" else observed
    return ExpectationResult(name, GATE_METRIC, stored, _threshold(gate), unit, passed, why)


def _ids(baseline: list[BaselineRun]) -> str:
    return ", ".join(b.run_id for b in baseline)

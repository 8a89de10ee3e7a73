"""Evaluate a scenario's expectations against the measured run.

Every expectation yields observed value, threshold, pass/fail and one line of explanation. A metric that
cannot be measured (no requests in scope, fault never applied) fails: a drill that proved nothing must not
gate green.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.durations import format_duration
from harness.scenario.model import Scenario
from harness.thresholds import Scope, Threshold
from harness.verify.results import ExpectationResult, FaultRecord
from harness.verify.windows import FaultWindow


@dataclass(frozen=True)
class Measurements:
    """What the run produced, as the verifier needs it."""

    samples: pd.DataFrame
    """Per-request samples with `t_rel`."""
    windows: pd.DataFrame
    fault_windows: list[FaultWindow]
    faults: list[FaultRecord]
    not_sent: int = 0
    """Open-model slots never sent (they have no sample row)."""


def evaluate(scenario: Scenario, m: Measurements) -> list[ExpectationResult]:
    results = [_evaluate_threshold(t, scenario, m) for t in scenario.expectations.thresholds()]
    records = {f.name: f for f in m.faults}
    for expectation in scenario.expectations.recovery_time:
        results.append(
            _evaluate_recovery(
                records.get(expectation.fault),
                expectation.fault,
                expectation.max,
                scenario.slo.recovery_windows,
            )
        )
    return results


def scoped_samples(samples: pd.DataFrame, scope: Scope, fault_windows: list[FaultWindow]) -> pd.DataFrame:
    if scope.kind == "all" or samples.empty:
        return samples
    t = samples["t_rel"]
    if scope.kind == "steady":
        inside = np.zeros(len(samples), dtype=bool)
        for window in fault_windows:
            inside |= window.covers(t)
        return samples[~inside]
    window = next((w for w in fault_windows if w.name == scope.fault), None)
    return samples.iloc[0:0] if window is None else samples[window.covers(t)]


def _evaluate_threshold(threshold: Threshold, scenario: Scenario, m: Measurements) -> ExpectationResult:
    observed, context = _observe(threshold, scenario, m)
    if observed is None:
        return _result(threshold, None, False, f"could not be measured: {context}")
    verdict = "met" if threshold.holds(observed) else "NOT met"
    return _result(
        threshold,
        observed,
        threshold.holds(observed),
        f"{_describe(threshold)} was {_fmt(threshold, observed)} {context}; "
        f"{verdict} ({threshold.text.strip()})",
    )


def _observe(threshold: Threshold, scenario: Scenario, m: Measurements) -> tuple[float | None, str]:
    metric, agg = threshold.metric, threshold.aggregation
    if metric == "slo":
        return _slo_compliance(m.windows, agg)
    samples = scoped_samples(m.samples, threshold.scope, m.fault_windows)
    scope_text = {"all": "", "steady": " outside fault windows"}.get(
        threshold.scope.kind, f" during fault {threshold.scope.fault}"
    )
    context = f"over {len(samples):,} requests{scope_text}"
    if metric == "late":
        late = int(samples["late"].sum()) + m.not_sent if not samples.empty else m.not_sent
        total = len(samples) + m.not_sent
        if not total:
            return None, "no requests were scheduled"
        return (
            late if agg == "count" else late / total
        ), f"({m.not_sent} never sent) over {total:,} requests"
    if metric == "error_budget":
        if samples.empty:
            return None, "no requests were recorded"
        allowed = len(samples) * (1 - scenario.slo.availability)
        errors = int((samples["ok"] == 0).sum())
        burn = errors / allowed if allowed else (0.0 if errors == 0 else float("inf"))
        return burn, f"({errors:,} failed of {allowed:.1f} allowed by {scenario.slo.availability:.3%})"
    if metric == "attempts":
        samples = samples[samples["attempts"] >= 0]
        context = f"over {len(samples):,} requests with an X-Attempts header{scope_text}"
    if samples.empty:
        return None, f"no requests{scope_text}"
    return _aggregate(samples, metric, threshold), context


_FLAGS = {
    "errors": lambda s: s["ok"] == 0,
    "degraded": lambda s: s["degraded"] == 1,
    "client_errors": lambda s: s["error"] == "http_4xx",
    "server_errors": lambda s: (s["ok"] == 0) & (s["error"] != "http_4xx"),
}


def _aggregate(samples: pd.DataFrame, metric: str, threshold: Threshold) -> float:
    if metric in _FLAGS:
        flags = _FLAGS[metric](samples)
        return float(flags.sum()) if threshold.aggregation == "count" else float(flags.mean())
    values = samples["latency_ms" if metric == "latency" else "attempts"].to_numpy(dtype=float)
    if threshold.aggregation == "p":
        return float(np.percentile(values, threshold.percentile))
    return float(
        {"avg": np.mean, "mean": np.mean, "med": np.median, "min": np.min, "max": np.max}[
            threshold.aggregation
        ](values)
    )


def _slo_compliance(windows: pd.DataFrame, which: str) -> tuple[float | None, str]:
    if which == "steady":
        selected = windows[windows["faults"] == ""]
    elif which == "faulted":
        selected = windows[windows["faults"] != ""]
    else:
        selected = windows
    if selected.empty:
        return None, f"no {which} SLO windows"
    good = int(selected["good"].sum())
    return good / len(selected), f"({good} of {len(selected)} {which} windows met the SLO)"


def _evaluate_recovery(
    record: FaultRecord | None, name: str, limit_s: float, required: int
) -> ExpectationResult:
    threshold_text = f"<= {format_duration(limit_s)}"
    test_name = f"recovery_time: {name} {threshold_text}"
    if record is None or record.applied_at is None:
        reason = record.error if record and record.error else "the fault was never applied"
        return ExpectationResult(
            test_name, "recovery_time", None, threshold_text, "s", False, f"could not be measured: {reason}"
        )
    if record.recovery_s is None:
        return ExpectationResult(
            test_name,
            "recovery_time",
            None,
            threshold_text,
            "s",
            False,
            f"never recovered: the SLO was not met for {required} consecutive windows "
            f"after {name} was injected",
        )
    passed = record.recovery_s <= limit_s
    return ExpectationResult(
        test_name,
        "recovery_time",
        record.recovery_s,
        threshold_text,
        "s",
        passed,
        f"SLO back {record.recovery_s:.2f}s after {name} was injected (held for {required} windows); "
        f"{'within' if passed else 'over'} the {format_duration(limit_s)} limit",
    )


def _describe(threshold: Threshold) -> str:
    agg = f"p({threshold.percentile:g})" if threshold.aggregation == "p" else threshold.aggregation
    return f"{threshold.metric} {agg}"


def _fmt(threshold: Threshold, value: float) -> str:
    if threshold.unit == "ms":
        return f"{value:.1f}ms"
    if threshold.unit == "ratio":
        return f"{value:.3%}"
    return f"{value:g}"


def _result(
    threshold: Threshold, observed: float | None, passed: bool, explanation: str
) -> ExpectationResult:
    """Fractions are stored as percentages, the unit people read and write them in."""
    percent = threshold.unit == "ratio"
    if percent and observed is not None:
        observed *= 100
    unit = "%" if percent else threshold.unit
    return ExpectationResult(
        threshold.name, threshold.metric, observed, threshold.text.strip(), unit, passed, explanation
    )

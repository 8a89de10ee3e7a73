"""Evaluate a scenario's expectations against the measured run.

Every expectation yields observed value, threshold, pass/fail and one line of explanation. A metric without
evidence (no requests in scope, no response carrying the header it reads, a fault never applied, a run that
ended before a recovery could be confirmed) is `not measured`, which fails and says what was missing: a
drill that proved nothing must not gate green.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.durations import format_duration
from harness.load.observation import Signal
from harness.scenario.model import RecoveryExpectation, Scenario
from harness.thresholds import Scope, Threshold
from harness.verify.quality import aggregate, score_samples, why_unscored
from harness.verify.recovery import assess_recovery
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
    stage_windows: tuple[FaultWindow, ...] = ()
    """The load's stages (named by their number from 1), in seconds since load start."""


def evaluate(scenario: Scenario, m: Measurements) -> list[ExpectationResult]:
    results = [_evaluate_threshold(t, scenario, m) for t in scenario.expectations.thresholds()]
    records = {f.name: f for f in m.faults}
    windows = {w.name: w for w in m.fault_windows}
    for expectation in scenario.expectations.recovery_time:
        record, window = records.get(expectation.fault), windows.get(expectation.fault)
        results.append(
            _evaluate_recovery(expectation, record, window, m.windows, scenario.slo.recovery_windows)
        )
    return results


def _named_window(
    scope: Scope, fault_windows: Sequence[FaultWindow], stage_windows: Sequence[FaultWindow]
) -> FaultWindow | None:
    """The window of a `{fault:NAME}` or `{stage:N}` scope; None for a fault never applied."""
    windows, name = (stage_windows, scope.name) if scope.kind == "stage" else (fault_windows, scope.fault)
    return next((w for w in windows if w.name == name), None)


def _span(scope: Scope, m: Measurements, load_s: float) -> FaultWindow | None:
    """The stretch of time a per-second metric divides by: the whole load, a stage, an applied fault."""
    if scope.kind == "all":
        return FaultWindow("load", 0.0, load_s)
    return _named_window(scope, m.fault_windows, m.stage_windows)


def scoped_samples(
    samples: pd.DataFrame,
    scope: Scope,
    fault_windows: Sequence[FaultWindow],
    stage_windows: Sequence[FaultWindow] = (),
) -> pd.DataFrame | None:
    """The requests a scope looks at; None for a fault that has no window (it was never applied)."""
    if scope.kind == "all":
        return samples
    t = samples["t_rel"]
    if scope.kind == "steady":
        inside = np.zeros(len(samples), dtype=bool)
        for window in fault_windows:
            inside |= window.covers(t)
        return samples[~inside]
    if scope.kind in ("version", "replica"):
        return samples[samples[scope.kind] == scope.name]
    window = _named_window(scope, fault_windows, stage_windows)
    return None if window is None else samples[window.covers(t)]


def _evaluate_threshold(threshold: Threshold, scenario: Scenario, m: Measurements) -> ExpectationResult:
    observed, context = _observe(threshold, scenario, m)
    percent = threshold.unit == "ratio"
    unit = "%" if percent else threshold.unit
    text = threshold.text.strip()
    if observed is None:
        return ExpectationResult.not_measured(threshold.name, threshold.metric, text, unit, context)
    passed = threshold.holds(observed)
    explanation = (
        f"{_describe(threshold)} was {_fmt(threshold, observed)} {context}; "
        f"{'met' if passed else 'NOT met'} ({text})"
    )
    # Fractions are stored as percentages, the unit people read and write them in.
    stored = observed * 100 if percent else observed
    return ExpectationResult(threshold.name, threshold.metric, stored, text, unit, passed, explanation)


_SIGNALS: dict[str, Signal] = {"attempts": "attempts", "degraded": "degraded"}
"""Metrics read from a signal of each answer (`load.observe`); an answer without it (recorded as -1) is no
evidence either way."""


def _observe(threshold: Threshold, scenario: Scenario, m: Measurements) -> tuple[float | None, str]:
    """The observed value and what it was measured over, or None and what evidence was missing."""
    metric = threshold.metric
    if metric == "slo":
        return _slo_compliance(m.windows, threshold.aggregation)
    if metric == "late":
        return _late(m, threshold.aggregation)
    samples = scoped_samples(m.samples, threshold.scope, m.fault_windows, m.stage_windows)
    if samples is None:
        return None, f"fault {threshold.scope.fault} was never applied, so no request fell in its window"
    scope = _scope_text(threshold.scope)
    if samples.empty:
        return None, f"no requests{scope}"
    if metric == "error_budget":
        return _burn(samples, scenario.slo.availability)
    if metric == "quality":
        return _quality(samples, threshold.aggregation, scenario, scope)
    if metric == "goodput":
        return _goodput(samples, _span(threshold.scope, m, scenario.load.duration), scope)
    signal = _SIGNALS.get(metric)
    if signal is None:
        return _aggregate(samples, threshold), f"over {len(samples):,} requests{scope}"
    reported = samples[samples[metric] >= 0]
    observation = scenario.observation()
    if reported.empty:
        return None, f"{observation.absent(signal, len(samples))}{scope}"
    return _aggregate(reported, threshold), f"over {observation.present(signal, len(reported))}{scope}"


def _scope_text(scope: Scope) -> str:
    if scope.kind in ("version", "replica"):
        return f" answered by {scope.kind} {scope.name}"
    if scope.kind == "stage":
        return f" in load stage {scope.name}"
    return {"all": "", "steady": " outside fault windows"}.get(scope.kind, f" during fault {scope.fault}")


def _late(m: Measurements, aggregation: str) -> tuple[float | None, str]:
    """Open-model slots sent late, plus those never sent: both are coordinated-omission evidence."""
    total = len(m.samples) + m.not_sent
    if not total:
        return None, "no requests were scheduled"
    late = int(m.samples["late"].sum()) + m.not_sent
    observed = late if aggregation == "count" else late / total
    return observed, f"({m.not_sent:,} never sent) over {total:,} scheduled requests"


def _quality(
    samples: pd.DataFrame, aggregation: str, scenario: Scenario, scope: str
) -> tuple[float | None, str]:
    scores = score_samples(samples)
    observed = aggregate(scores, aggregation)
    if observed is None:
        absent = scenario.observation().absent("prediction", len(samples))
        return None, f"{why_unscored(samples, absent)}{scope}"
    scored = int(scores["rows_scored"].sum())
    return observed, f"over {scored:,} rows of {int((scores['rows_scored'] > 0).sum()):,} answers{scope}"


def _goodput(samples: pd.DataFrame, window: FaultWindow | None, scope: str) -> tuple[float, str]:
    """Good answers — 2xx, and not from the fallback model, which answers for a model that did not — per
    second of the scope's span, counted by intended send time (the open model keeps offering load through
    an overload, so a collapse shows as fewer good answers in the same span)."""
    assert window is not None  # a goodput scope is a span: the whole load, a stage, or an applied fault
    good = int(((samples["ok"] == 1) & (samples["degraded"] != 1)).sum())
    span = window.end_s - window.start_s
    return good / span, f"({good:,} good answers of {len(samples):,} in {span:.1f}s){scope}"


def _burn(samples: pd.DataFrame, availability: float) -> tuple[float, str]:
    allowed = len(samples) * (1 - availability)
    errors = int((samples["ok"] == 0).sum())
    burn = errors / allowed if allowed else (0.0 if errors == 0 else np.inf)
    return burn, f"({errors:,} failed of {allowed:.1f} allowed by {availability:.3%})"


_FLAGS = {
    "errors": lambda s: s["ok"] == 0,
    "degraded": lambda s: s["degraded"] == 1,
    "client_errors": lambda s: s["error"] == "http_4xx",
    "server_errors": lambda s: (s["ok"] == 0) & (s["error"] != "http_4xx"),
    "shed": lambda s: s["status"].isin((429, 503)),
}

_AGGREGATIONS = {"avg": np.mean, "mean": np.mean, "med": np.median, "min": np.min, "max": np.max}


def _aggregate(samples: pd.DataFrame, threshold: Threshold) -> float:
    metric, aggregation = threshold.metric, threshold.aggregation
    if metric in _FLAGS:
        flags = _FLAGS[metric](samples)
        return float(flags.sum()) if aggregation == "count" else float(flags.mean())
    values = samples["latency_ms" if metric == "latency" else "attempts"].to_numpy()
    if aggregation == "p":
        return float(np.percentile(values, threshold.percentile))
    return float(_AGGREGATIONS[aggregation](values))


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
    expectation: RecoveryExpectation,
    record: FaultRecord | None,
    fault_window: FaultWindow | None,
    windows: pd.DataFrame,
    required: int,
) -> ExpectationResult:
    name, limit_s = expectation.fault, expectation.max
    threshold = f"<= {format_duration(limit_s)}"
    test_name = f"recovery_time: {name} {threshold}"

    def unmeasured(missing: str) -> ExpectationResult:
        return ExpectationResult.not_measured(test_name, "recovery_time", threshold, "s", missing)

    def judged(observed: float | None, passed: bool, why: str) -> ExpectationResult:
        return ExpectationResult(test_name, "recovery_time", observed, threshold, "s", passed, why)

    if fault_window is None:
        return unmeasured(record.error if record and record.error else f"{name} was never applied")
    recovery = assess_recovery(windows, fault_window.start_s, required, fault_window.end_s)
    limit = format_duration(limit_s)
    if recovery.seconds is not None:
        passed = recovery.seconds <= limit_s
        return judged(
            recovery.seconds,
            passed,
            f"SLO back {recovery.seconds:.2f}s after {name} was injected (held for {required} windows); "
            f"{'within' if passed else 'over'} the {limit} limit",
        )
    if not recovery.windows_left:
        return unmeasured(f"{name} was injected after the last SLO window")
    if recovery.unconfirmed_s is None:
        return judged(
            None,
            False,
            f"never recovered: the SLO was not met for {required} consecutive windows after {name} was "
            "injected, until the end of the run",
        )
    since = f"the SLO was back {recovery.unconfirmed_s:.2f}s after {name} was injected"
    if recovery.unconfirmed_s > limit_s:
        return judged(None, False, f"not recovered within the {limit} limit: {since}, and the run ended")
    return unmeasured(
        f"{since}, but the run ended before {required} consecutive good windows could confirm it"
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

"""The report's view-model: the run-wide sections, worded once for Markdown and HTML alike.

Sections about a particular mechanism (model versions, data drift) are built by their own modules and
passed in; this module orders everything into the postmortem a reader expects: verdict first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from harness.load.observation import Observation
from harness.load.shapes import describe_stages
from harness.report import series
from harness.report.document import Image, ReportView, Section, Table
from harness.report.fault_outcome import held, never_recovered, unconfirmed_s
from harness.report.formatting import (
    fmt_count,
    fmt_epoch,
    fmt_mapping,
    fmt_ms,
    fmt_number,
    fmt_offset,
    fmt_percent,
    fmt_quantity,
    fmt_seconds,
)
from harness.report.plots import PLOT_TITLES
from harness.report.postmortem import postmortem_sections
from harness.report.score_section import score_section
from harness.report.stack_events import BreakerChange
from harness.report.timeline import FaultSpan, TimelineEntry, time_origin, timeline_entries
from harness.verify.results import ExpectationResult, FaultRecord, RunSummary


def verdict_reason(summary: RunSummary) -> str:
    total = len(summary.expectations)
    if summary.verdict == "incomplete":
        return summary.incomplete_reason or "the run did not finish"
    if summary.verdict == "error":
        return summary.incomplete_reason or "the drill did not run as planned"
    if summary.verdict == "halted":
        return summary.incomplete_reason or "a safety halt stopped the drill"
    if summary.verdict == "fail":
        names = ", ".join(e.name for e in summary.failed)
        return f"{len(summary.failed)} of {total} expectations failed: {names}"
    return f"all {total} expectations met" if total else "no expectations were defined"


def _load_model(load: dict[str, Any]) -> str:
    if isinstance(stages := load.get("stages"), list) and stages:
        model = f"{_article(load.get('mode'))} load in {len(stages)} stages ({describe_stages(stages)})"
    elif load.get("rate"):
        model = f"an open-model load of {fmt_number(load['rate'])} requests/s"
    elif load.get("users"):
        model = f"a closed-model load of {load['users']} users"
    elif load.get("mode"):
        model = f"{_article(load['mode'])} load"
    else:
        model = "a load"
    duration = load.get("duration", load.get("duration_s"))
    if isinstance(duration, int | float):
        return f"{model} for {fmt_seconds(duration)}"
    return f"{model} for {duration}" if duration else model


def _article(mode: object) -> str:
    return "an open-model" if mode == "open" else "a closed-model" if mode == "closed" else "a"


_LOAD_TALLIES = (("completed", "completed"), ("late", "late"), ("not_sent", "not sent"))
"""load.json counters worth a reader's attention, with their words."""


def _load_outcome(load: dict[str, Any], halted: bool) -> str:
    """What the load worker reported having done (load.json), as a relative clause; empty if nothing. A
    safety halt stops the load on purpose once its observation period is over: not an interruption."""
    started, stopped = load.get("started_at"), load.get("stopped_at")
    clauses = []
    if isinstance(started, int | float) and isinstance(stopped, int | float):
        clauses.append(f"ran for {fmt_seconds(stopped - started)}")
    if isinstance(load.get("sent"), int):
        tallies = [f"{fmt_count(load[key])} {word}" for key, word in _LOAD_TALLIES if key in load]
        counted = f" ({', '.join(tallies)})" if tallies else ""
        clauses.append(f"sent {fmt_count(load['sent'])} requests{counted}")
    if isinstance(labels := load.get("labels"), dict):
        clauses.append(_labels_clause(labels))
    if load.get("interrupted"):
        clauses.append("was stopped early by the safety halt" if halted else "was interrupted")
    return ", ".join(clauses[:-1]) + f" and {clauses[-1]}" if len(clauses) > 1 else "".join(clauses)


_LABEL_TALLIES = (
    ("unmatched", "unmatched by the stack"),
    ("failed", "failed"),
    ("not_due", "still due when the load ended, never sent"),
)


def _labels_clause(labels: dict[str, Any]) -> str:
    """What became of the labels posted back late (load.feedback): a stack that never got them, or did not
    know the answers they were for, had nothing to learn from."""
    delay = fmt_seconds(labels.get("delay_s") or 0)
    tallies = [f"{fmt_count(labels[key])} {word}" for key, word in _LABEL_TALLIES if labels.get(key)]
    counted = f" ({', '.join(tallies)})" if tallies else ""
    return f"posted {fmt_count(labels.get('accepted', 0))} answers' labels {delay} late{counted}"


def describe_load(load: dict[str, Any], halted: bool = False) -> str:
    """The load as planned and as it went, in one sentence fragment (never the raw mapping); `halted`: a
    safety halt ended the drill."""
    known = ("rate", "users", "mode", "duration", "duration_s", "sent", "started_at")
    if not any(load.get(key) for key in known):
        return "not recorded"
    outcome = _load_outcome(load, halted)
    return f"{_load_model(load)}, which {outcome}" if outcome else _load_model(load)


def _describe_fault_plan(fault: FaultRecord) -> str:
    targets = ", ".join(fault.targets) or "no target"
    return f"{fault.name} ({fault.kind} on {targets} at {fmt_offset(fault.planned_at_s)})"


def _what_was_done(summary: RunSummary) -> str:
    faults = "; ".join(_describe_fault_plan(f) for f in summary.faults) or "none"
    description = f" ({summary.description})" if summary.description else ""
    load = describe_load(summary.load, summary.verdict == "halted")
    return (
        f"Scenario {summary.scenario}{description} ran on the {summary.backend} backend with seed "
        f"{summary.seed}, starting {fmt_epoch(summary.started_at)}. Load: {load}. Faults: {faults}."
    )


def _recovery_phrase(fault: FaultRecord) -> str:
    if fault.skipped:
        return f"{fault.name} was skipped (the drill was halted first)"
    if fault.applied_at is None:
        return f"{fault.name} was never applied"
    if held(fault):
        return f"{fault.name}: SLO held throughout"
    if (unconfirmed := unconfirmed_s(fault)) is not None:
        return (
            f"{fault.name}'s recovery is unconfirmed (SLO back after ≥ {fmt_seconds(unconfirmed)} at the end)"
        )
    if fault.recovery_s is None:
        return f"{fault.name} never recovered"
    return f"{fault.name} recovered after {fmt_seconds(fault.recovery_s)}"


def _what_happened(summary: RunSummary, samples: pd.DataFrame) -> str:
    if samples.empty:
        return "No requests were recorded: the run stopped before any load reached the stack."
    slo = summary.slo
    text = (
        f"{fmt_count(slo.requests)} requests were sent; success ratio {fmt_percent(slo.success_ratio)}, "
        f"p50 {fmt_ms(slo.latency_p50_ms)}, p99 {fmt_ms(slo.latency_p99_ms)}. {slo.windows_good} of "
        f"{slo.windows_total} windows met the SLO (outside faults {fmt_percent(slo.compliance_steady)}, "
        f"during faults {fmt_percent(slo.compliance_faulted)}); error budget burn "
        f"{fmt_percent(slo.error_budget_burn, 1)}; mean attempts per request "
        f"{fmt_number(slo.mean_attempts, 3)}."
    )
    if summary.faults:
        text += " " + "; ".join(_recovery_phrase(f) for f in summary.faults) + "."
    return text


def _expectations_section(summary: RunSummary) -> Section:
    if not summary.expectations:
        return Section("Expectations", paragraphs=["No expectations were evaluated."])
    rows = [_expectation_row(e) for e in summary.expectations]
    failed = frozenset(i for i, e in enumerate(summary.expectations) if not e.passed)
    headers = ["Expectation", "Metric", "Observed", "Threshold", "Result", "Explanation"]
    return Section("Expectations", table=Table(headers, rows, failed))


def _expectation_row(result: ExpectationResult) -> list[str]:
    observed = fmt_quantity(result.observed, result.unit)
    outcome = (result.status or ("pass" if result.passed else "fail")).upper()
    return [result.name, result.metric, observed, result.threshold, outcome, result.explanation]


def _recovery_entries(spans: list[FaultSpan]) -> list[TimelineEntry]:
    return [
        TimelineEntry(s.recovered_at_s, "slo_recovered", f"fault {s.name}: SLI back within SLO")
        for s in spans
        if s.recovered_at_s is not None
    ]


def _timeline_section(summary: RunSummary, events: list[dict[str, Any]], spans: list[FaultSpan]) -> Section:
    origin = time_origin(summary)
    entries = sorted(timeline_entries(events, origin) + _recovery_entries(spans), key=lambda e: e.offset_s)
    reference = "load start" if summary.load_started_at is not None else "run start (the load never started)"
    intro = f"Times are relative to the {reference} ({fmt_epoch(origin)})."
    if not entries:
        return Section("Timeline", paragraphs=[intro, "No events were recorded."])
    rows = [[fmt_offset(e.offset_s), e.event, e.description] for e in entries]
    troubled = frozenset(i for i, e in enumerate(entries) if e.event in _TROUBLE_EVENTS)
    return Section("Timeline", paragraphs=[intro], table=Table(["Time", "Event", "Details"], rows, troubled))


_TROUBLE_EVENTS = frozenset({"fault_error", "fault_clear_error", "interrupted", "run_error", "halted"})
"""Timeline rows a reader must not miss."""


def _planned(fault: FaultRecord) -> str:
    until = fmt_offset(fault.planned_until_s) if fault.planned_until_s is not None else "end"
    return f"{fmt_offset(fault.planned_at_s)} → {until}"


def _fault_row(fault: FaultRecord, span: FaultSpan) -> list[str]:
    applied = fmt_offset(span.start_s) if span.applied else "not applied"
    cleared = fmt_offset(span.end_s) if fault.cleared_at is not None else "not cleared"
    if fault.skipped:
        applied, cleared = "skipped (halt)", "n/a"
    if fault.applied_at is None:
        recovery = "n/a"
    elif held(fault):
        recovery = "SLO held throughout"
    elif (unconfirmed := unconfirmed_s(fault)) is not None:
        recovery = f"unconfirmed (≥ {fmt_seconds(unconfirmed)})"
    else:
        recovery = "never" if fault.recovery_s is None else fmt_seconds(fault.recovery_s)
    targets = ", ".join(fault.targets)
    return [
        fault.name,
        fault.kind,
        targets,
        _planned(fault),
        applied,
        cleared,
        recovery,
        fmt_mapping(fault.params),
        "; ".join(e for e in (fault.error, fault.clear_error) if e),
    ]


def _faults_section(summary: RunSummary, spans: list[FaultSpan]) -> Section:
    if not summary.faults:
        return Section("Faults", paragraphs=["No faults were planned."])
    headers = ["Fault", "Kind", "Targets", "Planned", "Applied", "Cleared", "Recovery", "Parameters", "Error"]
    rows = [_fault_row(f, s) for f, s in zip(summary.faults, spans, strict=True)]
    troubled = frozenset(i for i, f in enumerate(summary.faults) if f.problem() or never_recovered(f))
    note = "Recovery: from injection until the SLI was back within the SLO for the required windows."
    return Section("Faults", paragraphs=[note], table=Table(headers, rows, troubled))


def _slo_section(summary: RunSummary) -> Section:
    slo = summary.slo
    latency_target = f"p{slo.latency_percentile:g} < {fmt_ms(slo.latency_threshold_ms)} per window"
    rows = [
        ["Requests", "", fmt_count(slo.requests)],
        ["Availability", f"≥ {fmt_percent(slo.availability_target)}", fmt_percent(slo.success_ratio)],
        ["Latency SLO", latency_target, f"{slo.windows_good} of {slo.windows_total} windows met the SLO"],
        ["Latency p50 (whole run)", "", fmt_ms(slo.latency_p50_ms)],
        ["Latency p95 (whole run)", "", fmt_ms(slo.latency_p95_ms)],
        ["Latency p99 (whole run)", "", fmt_ms(slo.latency_p99_ms)],
        ["Windows meeting SLO outside faults", "", fmt_percent(slo.compliance_steady)],
        ["Windows meeting SLO during faults", "", fmt_percent(slo.compliance_faulted)],
        ["Error budget burn", "≤ 100%", fmt_percent(slo.error_budget_burn, 1)],
        ["Mean attempts per request", "", fmt_number(slo.mean_attempts, 3)],
    ]
    intro = f"Evaluated over {fmt_seconds(slo.window_s)} windows."
    return Section("SLO", paragraphs=[intro], table=Table(["Figure", "Target", "Achieved"], rows))


def _served_paragraphs(summary: RunSummary, samples: pd.DataFrame, observation: Observation) -> list[str]:
    if samples.empty:
        return []
    reported = int((samples["degraded"] >= 0).sum())  # -1: the answer did not say
    degraded = int((samples["degraded"] == 1).sum())
    paragraphs = [
        f"{degraded:,} of {observation.present('degraded', reported)} "
        f"({fmt_percent(degraded / reported, 1)}) were answered by the fallback model (degraded)."
        if reported
        else f"Degraded answers not reported: {observation.absent('degraded', len(samples))}."
    ]
    if summary.load.get("rate"):
        late = int(samples["late"].sum())
        paragraphs.append(f"{late:,} open-model requests were sent late or never (coordinated omission).")
    return paragraphs


def _breaker_bullets(breakers: list[BreakerChange]) -> list[str]:
    """Per node, its breaker's changes in order: the plot marks them, this lists them exactly."""
    by_node: dict[str, list[str]] = {}
    for change in breakers:
        by_node.setdefault(change.node, []).append(f"{change.state} at {fmt_offset(change.t_s)}")
    return [f"Breaker of {node}: {', '.join(changes)}." for node, changes in sorted(by_node.items())]


def _traffic_section(
    summary: RunSummary, samples: pd.DataFrame, breakers: list[BreakerChange], observation: Observation
) -> Section:
    """Shares from the samples, so failed requests (no replica) count too; the summary's if none were kept."""
    counts = series.requests_per_replica(samples)
    served = _served_paragraphs(summary, samples, observation)
    if set(counts) == {series.NO_REPLICA} and not summary.traffic_share:
        missing = f"Not reported: {observation.absent('replica', counts[series.NO_REPLICA])}."
        paragraphs = [missing, *served]
        return Section("Traffic share", paragraphs=paragraphs, bullets=_breaker_bullets(breakers))
    total = sum(counts.values())
    replicas = sorted(set(summary.traffic_share) | set(counts), key=lambda r: (r == series.NO_REPLICA, r))
    if not replicas:
        bullets = _breaker_bullets(breakers)
        return Section("Traffic share", paragraphs=["No requests were served."], bullets=bullets)
    rows = [
        [
            name,
            fmt_count(counts.get(name, 0)),
            fmt_percent(counts.get(name, 0) / total if total else summary.traffic_share.get(name), 1),
        ]
        for name in replicas
    ]
    table = Table(["Replica", "Requests", "Share"], rows)
    paragraphs = served
    return Section("Traffic share", paragraphs=paragraphs, bullets=_breaker_bullets(breakers), table=table)


def _plots_section(run_dir: Path, plots: dict[str, Path]) -> Section:
    images = [Image.in_run(run_dir, PLOT_TITLES[name], path) for name, path in plots.items()]
    return Section("Plots", images=images)


def _run_section(summary: RunSummary) -> Section:
    rows = [
        ["Scenario file", summary.scenario_file],
        ["Run directory", summary.run_dir],
        ["Backend", summary.backend],
        ["Seed", str(summary.seed)],
        ["Started", fmt_epoch(summary.started_at)],
        ["Load started", fmt_epoch(summary.load_started_at)],
        ["Finished", fmt_epoch(summary.finished_at)],
        ["Load", describe_load(summary.load, summary.verdict == "halted")],
    ]
    return Section("Run", table=Table(["Setting", "Value"], rows))


def build_view(
    summary: RunSummary,
    samples: pd.DataFrame,
    windows: pd.DataFrame,
    events: list[dict[str, Any]],
    spans: list[FaultSpan],
    run_dir: Path,
    plots: dict[str, Path],
    breakers: list[BreakerChange],
    mechanism_sections: list[Section],
    observation: Observation,
) -> ReportView:
    """mechanism_sections (model versions, data drift) follow the traffic share they break down."""
    verdict = summary.verdict.upper()
    reason = verdict_reason(summary)
    what_happened = [_what_was_done(summary), _what_happened(summary, samples)]
    sections = [
        Section("Summary", paragraphs=what_happened),
        *postmortem_sections(summary, reason, samples, windows),
        _expectations_section(summary),
        score_section(summary),
        _timeline_section(summary, events, spans),
        _faults_section(summary, spans),
        _slo_section(summary),
        _traffic_section(summary, samples, breakers, observation),
        *mechanism_sections,
        _plots_section(run_dir, plots),
        _run_section(summary),
    ]
    return ReportView(
        title=f"Drill report: {summary.scenario} — {verdict}",
        verdict=verdict,
        verdict_reason=reason,
        sections=[s for s in sections if s is not None],
    )

"""The postmortem sections of the report, computed from the run's summary alone: the response to each fault
(trigger, detection, mitigation, recovery, user impact, runbook), what went well, what went wrong, where
we got lucky, and the action items.

This is the form teams file after an incident, so a drill's report can be read, and filed, as one; numbers
over prose. FaultRecord.response holds the per-fault analysis (harness.verify.fault_response); a summary
written before it existed has none, and its faults read "n/a" where the analysis would go.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from harness.report.action_items import action_items_section
from harness.report.document import Section, Table
from harness.report.fault_outcome import (
    expectations_on,
    held,
    never_recovered,
    observable,
    recovered_after_clearing,
    recovery_words,
    unnoticed,
)
from harness.report.formatting import fmt_count, fmt_offset, fmt_percent, fmt_precise, fmt_seconds
from harness.report.timeline import time_origin
from harness.report.what_went_wrong import what_went_wrong
from harness.verify.results import FaultRecord, FaultResponse, RunSummary

_RESPONSE_NOTE = (
    "Trigger: when the fault took effect, since load start. Detected (the stack's first reaction), "
    "mitigated (its first action limiting the damage) and recovered (SLO back for the required windows): "
    "after the injection."
)


def _trigger(fault: FaultRecord, origin: float) -> str:
    if fault.skipped:
        return "skipped (halt)"
    if fault.applied_at is None:
        return f"not applied: {fault.error}" if fault.error else "not applied"
    targets = ", ".join(fault.targets) or "no target"
    trigger = f"{fault.kind} on {targets} at {fmt_offset(fault.applied_at - origin)}"
    if fault.clear_error:
        return f"{trigger}; not cleared: {fault.clear_error}"
    return trigger if fault.cleared_at is not None else f"{trigger}; never cleared"


def _reaction(response: FaultResponse | None, which: Literal["detected", "mitigated"]) -> str:
    """A detection or mitigation cell; "not seen" only where something could have shown it."""
    if response is None:
        return "n/a"
    if not observable(response):
        return "not observable (no signal source)"
    seconds, by = getattr(response, f"{which}_s"), getattr(response, f"{which}_by")
    return "not seen" if seconds is None else f"+{fmt_precise(seconds)}: {by}"


def _impact(response: FaultResponse | None) -> str:
    if response is None:
        return "n/a"
    counts = (
        f"{fmt_count(response.failed)} failed, {fmt_count(response.slow)} slow, "
        f"{fmt_count(response.degraded)} degraded of {fmt_count(response.requests)} requests"
    )
    if response.slo_missed_s <= 0:
        return f"{counts}; SLO not missed"
    minutes = response.slo_missed_s / 60
    return (
        f"{counts}; SLO missed for {fmt_seconds(response.slo_missed_s)} ({minutes:.2f} error-budget minutes)"
    )


def _runbook(fault: FaultRecord) -> str:
    if not fault.runbook:
        return "—"
    if not fault.runbook_signals:
        return fault.runbook
    if fault.response is None:
        return f"{fault.runbook}; signals not checked"
    seen_at = fault.response.signals_seen
    seen = [s for s in fault.runbook_signals if seen_at.get(s) is not None]
    each = "; ".join(
        f"{s} +{fmt_precise(seen_at[s])}" if s in seen else f"{s} not seen" for s in fault.runbook_signals
    )
    return f"{fault.runbook}; signals seen {len(seen)} of {len(fault.runbook_signals)}: {each}"


def _response_row(fault: FaultRecord, origin: float) -> list[str]:
    return [
        fault.name,
        _trigger(fault, origin),
        _reaction(fault.response, "detected"),
        _reaction(fault.response, "mitigated"),
        recovery_words(fault),
        _impact(fault.response),
        _runbook(fault),
    ]


def response_section(summary: RunSummary) -> Section | None:
    """Highlighted: a fault that went wrong, an SLO breach nothing noticed, an SLO that never came back."""
    if not summary.faults:
        return None
    origin = time_origin(summary)
    headers = ["Fault", "Trigger", "Detected", "Mitigated", "Recovered", "User impact", "Runbook"]
    rows = [_response_row(f, origin) for f in summary.faults]
    troubled = frozenset(
        i for i, f in enumerate(summary.faults) if f.problem() or unnoticed(f) or never_recovered(f)
    )
    return Section("Response per fault", paragraphs=[_RESPONSE_NOTE], table=Table(headers, rows, troubled))


def _within_limits(summary: RunSummary, metric: str, fault: FaultRecord) -> bool:
    """No expectation of `metric` on the fault failed (none at all: nothing to fall short of)."""
    return all(e.passed for e in expectations_on(summary, metric, fault.name))


def _fault_went_well(summary: RunSummary, fault: FaultRecord) -> str | None:
    response = fault.response
    if response is None:
        return None
    parts = []
    if response.detected_s is not None and _within_limits(summary, "time_to_detect", fault):
        parts.append(f"detected +{fmt_precise(response.detected_s)} by {response.detected_by}")
    if response.mitigated_s is not None and _within_limits(summary, "time_to_mitigate", fault):
        parts.append(f"mitigated +{fmt_precise(response.mitigated_s)} by {response.mitigated_by}")
    limits = [e for e in expectations_on(summary, "recovery_time", fault.name) if e.passed]
    if held(fault):
        parts.append("SLO held throughout")
    elif limits and fault.recovery_s is not None:
        parts.append(f"recovered after {fmt_precise(fault.recovery_s)} (limit {limits[0].threshold})")
    return f"{fault.name}: {'; '.join(parts)}." if parts else None


def went_well(summary: RunSummary) -> list[str]:
    met = [e.name for e in summary.expectations if e.passed]
    bullets = (
        [f"Expectations met, {len(met)} of {len(summary.expectations)}: {'; '.join(met)}."] if met else []
    )
    bullets += [b for f in summary.faults if (b := _fault_went_well(summary, f))]
    if summary.faults and not any(f.problem() or f.skipped for f in summary.faults):
        bullets.append(f"Every fault ({len(summary.faults)}) was applied and cleared as planned.")
    return bullets


def _luck(fault: FaultRecord) -> list[str]:
    response = fault.response
    if response is None:
        return []
    bullets = []
    share, fair = response.target_share_before, response.fair_share
    if share is not None and fair and share < 0.5 * fair:
        bullets.append(
            f"{fault.name} hit {', '.join(fault.targets)}, which served {fmt_percent(share, 0)} of answers "
            f"before it (fair share {fmt_percent(fair, 0)})."
        )
    reacted = response.detected_s is not None or response.mitigated_s is not None
    if held(fault) and observable(response) and not reacted:
        bullets.append(
            f"{fault.name}: the SLO held, but no detection or mitigation was seen: the stack did not react; "
            "it absorbed the fault or the fault missed the traffic."
        )
    if recovered_after_clearing(fault):
        bullets.append(
            f"{fault.name}: the SLO came back after {fmt_precise(fault.recovery_s)}, only once the drill "
            "had cleared the fault, and nothing mitigated it before: in production nothing would have "
            "ended it."
        )
    return bullets


def lucky(summary: RunSummary) -> list[str]:
    return [bullet for fault in summary.faults for bullet in _luck(fault)]


def postmortem_sections(
    summary: RunSummary, reason: str, samples: pd.DataFrame, windows: pd.DataFrame
) -> list[Section]:
    """In the order of a postmortem, each only where it has something to say; reason: the verdict's."""
    bulleted = [
        ("What went well", went_well(summary)),
        ("What went wrong", what_went_wrong(summary, reason, samples, windows)),
        ("Where we got lucky", lucky(summary)),
    ]
    sections = [response_section(summary)]
    sections += [Section(title, bullets=bullets) if bullets else None for title, bullets in bulleted]
    sections.append(action_items_section(summary))
    return [s for s in sections if s is not None]

"""The postmortem's "What went wrong", most decisive first.

A run that did not pass says why (its verdict, failed expectations, faults that went wrong, SLO misses,
failed requests). Any run, a passing one too, says where the stack broke its SLO without noticing and where
the runbook waited for signals that never came: a gate can pass while the on-call would have been blind.
"""

from __future__ import annotations

import pandas as pd

from harness.report import series
from harness.report.fault_outcome import (
    never_recovered,
    observable,
    unconfirmed_s,
    unnoticed,
    unseen_signals,
)
from harness.report.formatting import fmt_offset, fmt_precise, fmt_quantity, fmt_seconds
from harness.verify.results import FaultRecord, RunSummary


def _verdict_bullets(summary: RunSummary, reason: str) -> list[str]:
    if summary.verdict == "incomplete":
        return [f"The run is incomplete: {reason}."]
    if summary.verdict == "error":
        return [f"The drill did not run as planned, so it proves nothing: {reason}."]
    if summary.verdict == "halted":
        return [f"A safety halt stopped the drill and reverted every fault: {reason}."]
    return []


def _fault_problems(fault: FaultRecord) -> list[str]:
    """What went wrong with the fault itself, or with the SLO after it."""
    bullets = []
    if fault.clear_error:
        bullets.append(f"Fault {fault.name} ({fault.kind}) could not be cleared: {fault.clear_error}")
    if fault.error:
        bullets.append(f"Fault {fault.name} ({fault.kind}) went wrong in the harness: {fault.error}")
    elif never_recovered(fault):
        bullets.append(f"After fault {fault.name} ({fault.kind}) the SLI never came back within the SLO.")
    elif (unconfirmed := unconfirmed_s(fault)) is not None:
        bullets.append(
            f"After fault {fault.name} ({fault.kind}) the SLO was back only {fmt_precise(unconfirmed)} after "
            "the injection, too late in the run to confirm a recovery."
        )
    return bullets


def _unnoticed(fault: FaultRecord) -> str | None:
    """An SLO breach nothing noticed: the on-call would have learnt of it from the users."""
    response = fault.response
    if response is None or not unnoticed(fault):
        return None
    broke = f"{fault.name}: the SLO broke (missed for {fmt_seconds(response.slo_missed_s)})"
    if not observable(response):
        return f"{broke} and nothing could show the stack's reaction (no signal source)."
    return f"{broke} and no detection signal was seen ({', '.join(response.signal_sources)})."


def _runbook_unseen(fault: FaultRecord) -> str | None:
    """Runbook signals the on-call would have waited for in vain."""
    unseen = unseen_signals(fault)
    if not unseen:
        return None
    return (
        f"{fault.name}: runbook signals not seen while the fault lasted: {', '.join(unseen)} "
        f"({len(unseen)} of {len(fault.runbook_signals)}; {fault.runbook})."
    )


def what_went_wrong(
    summary: RunSummary, reason: str, samples: pd.DataFrame, windows: pd.DataFrame
) -> list[str]:
    """reason: the verdict's, as the report's header gives it."""
    failing = summary.verdict != "pass"
    bullets = _verdict_bullets(summary, reason)
    for result in summary.failed:
        observed = fmt_quantity(result.observed, result.unit)
        bullets.append(
            f"{result.name}: {result.explanation} (observed {observed}, threshold {result.threshold})"
        )
    if failing:
        bullets += [bullet for fault in summary.faults for bullet in _fault_problems(fault)]
    for gap in (_unnoticed, _runbook_unseen):
        bullets += [bullet for fault in summary.faults if (bullet := gap(fault))]
    if failing:
        for start, end, count in series.missed_slo_spans(windows):
            bullets.append(f"SLO missed from {fmt_offset(start)} to {fmt_offset(end)} ({count} windows).")
        errors = series.error_class_counts(samples)
        if errors:
            classes = ", ".join(f"{name} {count:,}" for name, count in errors.items())
            bullets.append(f"{sum(errors.values()):,} requests failed: {classes}.")
    return bullets

"""How each fault turned out, as the postmortem sections judge it: one reading of FaultRecord.response.

The response table, "what went well/wrong", "where we got lucky" and the action items all ask the same
questions of a fault (did the SLO break, did anything notice, did it come back); answering them here once
keeps a fault from being praised in one section and blamed for the same thing in another.
"""

from __future__ import annotations

from harness.report.formatting import fmt_precise
from harness.verify.results import ExpectationResult, FaultRecord, FaultResponse, RunSummary


def held(fault: FaultRecord) -> bool:
    """The SLO held through the fault: "recovered after 0.0s" would read like a measurement."""
    return fault.response is not None and fault.response.slo_held


def broke(fault: FaultRecord) -> bool:
    """The SLO missed in the fault's impact span (unknown for a summary from before the analysis)."""
    return fault.response is not None and not fault.response.slo_held and fault.response.slo_missed_s > 0


def unnoticed(fault: FaultRecord) -> bool:
    """The SLO broke and no detection signal was seen (or nothing could have shown one)."""
    return broke(fault) and fault.response is not None and fault.response.detected_s is None


def observable(response: FaultResponse) -> bool:
    """Something could have shown the stack's reaction: without, an absent detection is no evidence."""
    return bool(response.signal_sources)


def _unrecovered(fault: FaultRecord) -> bool:
    return fault.applied_at is not None and fault.recovery_s is None and not held(fault)


def unconfirmed_s(fault: FaultRecord) -> float | None:
    """The SLO was back this long after the injection when the run ended, too late to confirm."""
    if not _unrecovered(fault) or fault.response is None:
        return None
    return fault.response.recovery_unconfirmed_s


def never_recovered(fault: FaultRecord) -> bool:
    """Applied, and the SLO neither held, nor came back, nor was back when the run ended."""
    return _unrecovered(fault) and unconfirmed_s(fault) is None


def recovered_after_clearing(fault: FaultRecord) -> bool:
    """The SLO came back only once the drill had cleared the fault and nothing mitigated it before: in
    production nothing would have ended it."""
    response = fault.response
    if response is None or held(fault) or response.mitigated_s is not None or fault.recovery_s is None:
        return False
    if fault.applied_at is None or fault.cleared_at is None:
        return False
    return fault.recovery_s >= fault.cleared_at - fault.applied_at


def unseen_signals(fault: FaultRecord) -> list[str]:
    """The runbook's signals that never showed while the fault lasted; none when nobody looked."""
    if fault.response is None:
        return []
    return [s for s in fault.runbook_signals if fault.response.signals_seen.get(s) is None]


def recovery_words(fault: FaultRecord) -> str:
    """Time to recover, or why there is none."""
    if fault.applied_at is None:
        return "n/a"
    if held(fault):
        return "SLO held throughout"
    unconfirmed = unconfirmed_s(fault)
    if unconfirmed is not None:
        return f"unconfirmed: SLO back after ≥ {fmt_precise(unconfirmed)} when the run ended"
    return "never" if fault.recovery_s is None else f"after {fmt_precise(fault.recovery_s)}"


def expectations_on(summary: RunSummary, metric: str, fault: str) -> list[ExpectationResult]:
    """The run's `metric` expectations on `fault`: per-fault expectations are named `METRIC: FAULT ...`."""
    prefix = f"{metric}: {fault} "
    return [e for e in summary.expectations if e.metric == metric and e.name.startswith(prefix)]

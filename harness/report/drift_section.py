"""The "Data drift" section: per drifted feature, what was sent vs what the stack detected, and its alert.

The alert is one flag for the whole stack, so it is worded once above the table; the table gives each
feature's peak PSI, lowest KS p-value and when each side first crossed the drift line.
"""

from __future__ import annotations

from harness.report.document import Image, Section, Table
from harness.report.drift_comparison import (
    DRIFTED_PSI,
    MIN_POLLS_OVER,
    AlertPeriod,
    DriftComparison,
    FeatureDrift,
)
from harness.report.formatting import fmt_number, fmt_offset, fmt_percent, fmt_seconds
from harness.report.timeline import FaultSpan

_NEVER = "never"


def _offset_or_never(seconds: float | None) -> str:
    return _NEVER if seconds is None else fmt_offset(seconds)


def _relative_to_injection(start_s: float, spans: list[FaultSpan]) -> str:
    injected = [s for s in spans if s.applied and s.start_s <= start_s]
    if injected:
        last = injected[-1]
        return f"{fmt_seconds(start_s - last.start_s)} after {last.name} was injected"
    return "before any data-drift fault was injected" if spans else "with no data-drift fault injected"


def _alert_sentence(period: AlertPeriod, spans: list[FaultSpan]) -> str:
    claim = ""
    if period.since_s is not None:
        claim = f" (the stack's own alert_since: {fmt_offset(period.since_s)})"
    cleared = "stayed raised to the end" if period.end_s is None else f"cleared at {fmt_offset(period.end_s)}"
    return (
        f"The stack's drift alert was seen raised at {fmt_offset(period.start_s)}{claim}, "
        f"{_relative_to_injection(period.start_s, spans)}; it {cleared}."
    )


def _alert_paragraphs(drift: DriftComparison) -> list[str]:
    if not drift.polled:
        return ["The stack's state was not polled, so what its drift monitor detected is unknown."]
    if not drift.alerts:
        return ["The stack's drift alert never fired."]
    return [_alert_sentence(period, drift.drift_spans) for period in drift.alerts]


def _row(feature: FeatureDrift) -> list[str]:
    return [
        feature.feature,
        fmt_number(feature.max_psi_sent, 3),
        fmt_number(feature.max_psi_detected, 3),
        fmt_number(feature.min_pvalue_sent, 3),
        fmt_number(feature.min_pvalue_detected, 3),
        _offset_or_never(feature.sent_over_s) if feature.max_psi_sent is not None else "n/a",
        _offset_or_never(feature.detected_over_s) if feature.max_psi_detected is not None else "n/a",
    ]


def _missing_paragraph(missing: dict[str, float]) -> list[str]:
    if not missing:
        return []
    listed = ", ".join(
        f"{name} (up to {fmt_percent(share, 1)} of a window)" for name, share in missing.items()
    )
    return [f"Values were missing from what was sent (absent, renamed or null): {listed}."]


def drift_section(drift: DriftComparison, image: Image | None) -> Section:
    paragraphs = [
        "PSI of each feature against the training baseline: as sent (the harness's ground truth per "
        "window) and as detected (the stack's drift monitor, polled). "
        f"A feature counts as drifted when its sent PSI exceeds {DRIFTED_PSI:g} in a window, or its detected "
        f"PSI in at least {MIN_POLLS_OVER} polls."
    ]
    paragraphs += _alert_paragraphs(drift)
    paragraphs += _missing_paragraph(drift.missing)
    if not drift.features:
        paragraphs.append("No feature drifted, as sent or as detected.")
        return Section("Data drift", paragraphs=paragraphs)
    headers = [
        "Feature",
        "Max PSI sent",
        "Max PSI detected",
        "Min KS p-value sent",
        "Min KS p-value detected",
        f"Sent PSI > {DRIFTED_PSI:g} from",
        f"Detected PSI > {DRIFTED_PSI:g} from",
    ]
    table = Table(headers, [_row(f) for f in drift.features])
    return Section("Data drift", paragraphs=paragraphs, table=table, images=[image] if image else [])

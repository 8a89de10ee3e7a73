"""The "Shadow deployment" section: what the shadow answered beside the users' answers, from the gateway's
own figures in its polled `/admin/state`.

A shadow's worth is its comparison with what users were answered, and its cost is what it may not leak
into their path (its errors, timeouts, latency), so the table puts both side by side per shadow deployed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.report.document import Section, Table
from harness.report.formatting import fmt_count, fmt_ms, fmt_number, fmt_offset, fmt_percent

HEADERS = [
    "Version", "Share", "Started", "Stopped", "Mirrored", "Dropped", "Errors", "Timeouts", "Agreement",
    "Mean abs. score diff.", "Shadow p50", "Shadow p99",
]  # fmt: skip


def _last_per_shadow(snapshots: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each shadow deployed (told apart by when it started) as last polled: its figures only grow."""
    last: dict[float, dict[str, Any]] = {}
    for snapshot in snapshots:
        shadow = snapshot.get("shadow")
        if isinstance(shadow, dict) and shadow.get("version") and shadow.get("started_at") is not None:
            last[float(shadow["started_at"])] = shadow
    return [last[started] for started in sorted(last)]


def _offset(epoch: float | None, origin: float) -> str:
    return "still running" if epoch is None else fmt_offset(epoch - origin)


def shadow_section(snapshots: Sequence[dict[str, Any]] | None, origin: float) -> Section | None:
    """None when no poll of the stack's state showed a shadow."""
    shadows = _last_per_shadow(snapshots or [])
    if not shadows:
        return None
    rows = [
        [
            str(s["version"]),
            fmt_percent(s.get("share"), 0),
            _offset(s["started_at"], origin),
            _offset(s.get("stopped_at"), origin),
            fmt_count(s.get("mirrored")),
            fmt_count(s.get("dropped")),
            fmt_count(s.get("errors")),
            fmt_count(s.get("timeouts")),
            fmt_percent(s.get("agreement")),
            fmt_number(s.get("mean_abs_diff"), 3),
            fmt_ms(s.get("p50_ms")),
            fmt_ms(s.get("p99_ms")),
        ]
        for s in shadows
    ]
    paragraphs = [
        "The gateway copied a share of the answered requests to the shadow version on the canary replicas; "
        "users got stable's answers. Agreement: rows where the shadow's class (score at 0.5) matched the "
        "answer the user got; mean absolute difference of their scores. Dropped: copies not sent because "
        "the gateway's bound on copies in flight was reached. Figures are the gateway's own, as last polled; "
        "times are relative to the load start."
    ]
    return Section("Shadow deployment", paragraphs=paragraphs, table=Table(HEADERS, rows))

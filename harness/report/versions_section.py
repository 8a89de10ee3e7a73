"""The "Model versions" section: who answered (which model version), and what the canary went through.

A bad canary hurts in proportion to the requests it answered before the rollback, so the table puts the
requests per version beside the deploy and rollback times and the stack's reason for rolling back.
"""

from __future__ import annotations

import pandas as pd

from harness.report import series
from harness.report.document import Image, Section, Table
from harness.report.formatting import fmt_count, fmt_offset, fmt_percent, fmt_seconds
from harness.report.stack_events import CanaryChange


def versions_shown(samples: pd.DataFrame, changes: list[CanaryChange]) -> bool:
    """Worth a section when traffic was split between versions or a canary was deployed or decided on."""
    versions = [v for v in series.requests_per_version(samples) if v != series.NO_VERSION]
    return len(versions) > 1 or bool(changes)


def _ordered_versions(counts: dict[str, int], changes: list[CanaryChange]) -> list[str]:
    """Busiest first, unanswered requests last, canary versions that answered nothing after them."""
    served = sorted((v for v in counts if v != series.NO_VERSION), key=lambda v: (-counts[v], v))
    unserved = [series.NO_VERSION] if series.NO_VERSION in counts else []
    silent = sorted({c.version for c in changes if c.version and c.version not in counts})
    return served + unserved + silent


def _deploys(version: str, changes: list[CanaryChange]) -> str:
    deploys = [c for c in changes if c.version == version and c.change == "deployed"]
    return ", ".join(f"{fmt_offset(c.t_s)} ({c.fault})" if c.fault else fmt_offset(c.t_s) for c in deploys)


def _decisions(version: str, change_kind: str, changes: list[CanaryChange]) -> str:
    """When the stack rolled back or promoted the version, and how long after its latest deploy."""
    phrases = []
    for index, change in enumerate(changes):
        if change.version != version or change.change != change_kind:
            continue
        deployed = [c.t_s for c in changes[:index] if c.version == version and c.change == "deployed"]
        after = f" ({fmt_seconds(change.t_s - deployed[-1])} after deploy)" if deployed else ""
        phrases.append(f"{fmt_offset(change.t_s)}{after}")
    return ", ".join(phrases)


def _reasons(version: str, changes: list[CanaryChange]) -> str:
    return "; ".join(c.reason for c in changes if c.version == version and c.reason)


def versions_section(samples: pd.DataFrame, changes: list[CanaryChange], image: Image) -> Section:
    counts = series.requests_per_version(samples)
    total = sum(counts.values())
    rows = [
        [
            version,
            fmt_count(counts.get(version, 0)),
            fmt_percent(counts.get(version, 0) / total if total else None, 2),
            _deploys(version, changes),
            _decisions(version, "rolled back", changes),
            _decisions(version, "promoted", changes),
            _reasons(version, changes),
        ]
        for version in _ordered_versions(counts, changes)
    ]
    headers = ["Version", "Requests", "Share", "Deployed", "Rolled back", "Promoted", "Reason"]
    paragraphs = [
        "Share of each window's requests by the model version that answered them (from each response's "
        "version header); canary deploys, rollbacks and promotions are marked. Times are relative to the "
        "load start; the stack's own timestamps where it reported them."
    ]
    if series.NO_VERSION in counts:
        paragraphs.append(f"{series.NO_VERSION}: requests that failed before any model answered.")
    return Section("Model versions", paragraphs=paragraphs, table=Table(headers, rows), images=[image])

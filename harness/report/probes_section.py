"""The "Probes" section: what the scenario's probes read from the stack during the drill.

One row per probe (where it reads, how often, how many readings failed, what it read first and last, how
often that changed) beside the plot of every reading; each change is also a line of the timeline, so a
reader sees a weight drop to 0 right after the deploy that caused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from harness.comparisons import as_text, shown
from harness.report.document import Image, Section, Table
from harness.report.formatting import fmt_count, fmt_seconds

if TYPE_CHECKING:
    from harness.scenario.probes import ProbeSpec


def _row(probe: ProbeSpec, readings: Sequence[dict[str, Any]]) -> list[str]:
    good = [r.get("value") for r in readings if not r.get("error")]
    texts = [as_text(v) for v in good]
    changes = sum(1 for before, after in pairwise(texts) if before != after)
    return [
        probe.name,
        probe.describe(),
        fmt_seconds(probe.every),
        fmt_count(len(good)),
        fmt_count(len(readings) - len(good)),
        shown(good[0]) if good else "—",
        shown(good[-1]) if good else "—",
        fmt_count(changes),
    ]


def probes_section(
    probes: Sequence[ProbeSpec], readings: Sequence[dict[str, Any]], image: Image | None
) -> Section | None:
    """None for a scenario without probes."""
    if not probes:
        return None
    by_probe = {p.name: [r for r in readings if r.get("probe") == p.name] for p in probes}
    rows = [_row(p, by_probe[p.name]) for p in probes]
    silent = frozenset(i for i, p in enumerate(probes) if rows[i][3] == "0")
    bullets = []
    for probe in probes:
        errors = [r for r in by_probe[probe.name] if r.get("error")]
        if errors and not any(not r.get("error") for r in by_probe[probe.name]):
            bullets.append(
                f"Probe {probe.name} never got a good reading ({len(errors):,} failed; last: "
                f"{errors[-1]['error']}): expectations on it are not measured."
            )
        elif not by_probe[probe.name]:
            bullets.append(f"Probe {probe.name} was never read (the stack never got ready?).")
    paragraphs = [
        "What the scenario's probes read from the stack, from when it was ready until its teardown "
        "(probes.jsonl); the timeline lists each change. A failed reading is no evidence: expectations "
        "count good readings only."
    ]
    headers = ["Probe", "Reads", "Every", "Readings", "Failed", "First", "Last", "Changes"]
    table = Table(headers, rows, silent)
    images = [image] if image is not None else []
    return Section("Probes", paragraphs=paragraphs, bullets=bullets, table=table, images=images)

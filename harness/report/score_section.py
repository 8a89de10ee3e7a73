"""The report's resilience-score section: the score, the formula filled in, and every input's source."""

from __future__ import annotations

from harness.report.document import Section, Table
from harness.scoring import FORMULA, resilience
from harness.verify.results import RunSummary


def score_section(summary: RunSummary) -> Section:
    scores = resilience(summary)
    run = scores.run
    if run.value is None:
        return Section("Resilience score", paragraphs=[f"Not scored: {run.reason}."])
    rows = [[i.name, str(i.weight), f"{i.value:.0%}", i.detail] for i in run.inputs]
    paragraphs = [
        f"Score {run.describe()}.",
        f"Formula: {FORMULA}. Per mechanism: the same over the expectations that exercise it, without "
        "the error budget.",
    ]
    bullets = [f"{name}: {score.describe()}" for name, score in scores.mechanisms.items()] or [
        "No expectation exercised a mechanism (retries, failover, rollback, drift detection, degradation)."
    ]
    return Section("Resilience score", paragraphs=paragraphs, bullets=bullets,
                   table=Table(["Input", "Weight", "Value", "From"], rows))  # fmt: skip

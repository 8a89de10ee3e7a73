"""The "Observed signals" and "Error answers" sections: what the stack's answers said, and could not.

A stack that is not the reference stack says less about itself: no replica, no attempt count. Which of
the signals `load.observe` maps were really in the answers decides which metrics this run could measure,
so the report lists them beside the expectations they left unmeasured. And a failing drill needs the
stack's own words: per status, how many requests failed and what the answers said (error_samples.jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from harness.load.error_samples import ErrorClass, read_error_samples
from harness.load.files import CONFIG_FILE, ERROR_SAMPLES_FILE
from harness.load.observation import PRESETS, SIGNALS, Observation, Signal
from harness.report.document import Section, Table
from harness.report.formatting import fmt_count, fmt_percent
from harness.verify.results import RunSummary

_USES: dict[Signal, tuple[str, tuple[str, ...]]] = {
    "replica": ("traffic share per replica", ()),
    "version": ("model-version share; rollback expectations", ("rollback",)),
    "attempts": ("attempts expectations; mean attempts per request (retry amplification)", ("attempts",)),
    "degraded": ("degraded expectations; degraded answers count as bad in SLO windows", ("degraded",)),
    "prediction": ("kept in samples.csv (no metric reads it yet)", ()),
}
"""Per signal: what in the report needs it, and the expectation metrics that need it."""


def run_observation(run_dir: Path) -> Observation:
    """Where this run read its signals (load-config.json); a run from before `load.observe` read the
    reference stack's headers."""
    try:
        config = json.loads((run_dir / CONFIG_FILE).read_text(encoding="utf-8"))
        return Observation.model_validate(config["observe"])
    except (OSError, ValueError, KeyError, TypeError):
        return Observation(**PRESETS["reference"])


def carried(samples: pd.DataFrame, signal: Signal) -> int:
    """Answers that carried the signal (absent: "" for text signals, -1 for attempts and degraded; a
    samples frame without the column, from before the signal was recorded, carried none)."""
    if signal not in samples:
        return 0
    column = samples[signal]
    return int((column >= 0).sum()) if signal in ("attempts", "degraded") else int((column != "").sum())


def signals_section(run_dir: Path, summary: RunSummary, samples: pd.DataFrame) -> Section | None:
    if samples.empty:
        return None
    sources = run_observation(run_dir).sources()
    total = len(samples)
    rows, absent, missing = [], [], []
    for signal in SIGNALS:
        source = sources[signal]
        count = carried(samples, signal)
        if source is None:
            answered = "not read"
        else:
            answered = f"{fmt_count(count)} of {fmt_count(total)} ({fmt_percent(count / total, 1)})"
            missing += [signal] if count == 0 else []
        absent += [signal] if count == 0 else []
        rows.append([signal, source.describe() if source else "—", answered, _USES[signal][0]])
    unmeasured = [
        f"{result.name}: {result.explanation}"
        for result in summary.expectations
        if result.status == "not measured" and any(result.metric in _USES[s][1] for s in absent)
    ]
    paragraphs = ["What each answer said about itself, where load.observe reads it."]
    if missing:
        paragraphs.append(f"Read but in no answer: {', '.join(missing)}; what needs it was not measured.")
    if unmeasured:
        paragraphs.append("Expectations not measured for lack of a signal:")
    table = Table(["Signal", "Read from", "Answers carrying it", "Needed for"], rows)
    return Section("Observed signals", paragraphs=paragraphs, bullets=unmeasured, table=table)


def _error_line(kept: ErrorClass) -> str:
    """`422 × 160: body.inputs: Field required`, with each different answer kept and its count."""
    if len(kept.answers) == 1:
        said = kept.answers[0].message or "(empty answer)"
    else:
        said = "; ".join(f"{a.message or '(empty answer)'} ({fmt_count(a.count)}×)" for a in kept.answers)
    return f"{kept.label} × {fmt_count(kept.count)}: {said}"


def errors_section(run_dir: Path) -> Section | None:
    classes = read_error_samples(run_dir / ERROR_SAMPLES_FILE)
    if not classes:
        return None
    paragraphs = [
        "What the stack answered to the requests that failed, per status (or transport failure): how many "
        f"and what they said. The first bytes of up to 5 different answers each are in {ERROR_SAMPLES_FILE}."
    ]
    return Section("Error answers", paragraphs=paragraphs, bullets=[_error_line(kept) for kept in classes])


def answer_sections(run_dir: Path, summary: RunSummary, samples: pd.DataFrame) -> list[Section]:
    """The sections this run has content for, error answers first (they explain a failed drill)."""
    return [s for s in (errors_section(run_dir), signals_section(run_dir, summary, samples)) if s is not None]

"""The per-request sample file: one CSV row per request, streamed to disk while the load runs.

Locust's own statistics are bucketed and windowed; recovery-time analysis needs every request with its
exact times, status and what each answer said about itself (replica, model version, attempts, degraded,
prediction: see harness/load/observation.py), and it needs them even if the worker is killed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from harness.load.csvstream import CsvStream, complete_lines

SAMPLE_COLUMNS: tuple[str, ...] = (
    "t_intended",
    "t_start",
    "latency_ms",
    "status",
    "ok",
    "error",
    "replica",
    "version",
    "attempts",
    "degraded",
    "late",
    "prediction",
    "truth",
)

_TEXT_COLUMNS = ("error", "replica", "version", "prediction", "truth")
_ADDED_COLUMNS = {"prediction": "", "truth": ""}
"""Columns later versions added, with the value a sample file written before them reads as (absent)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One request as the load generator saw it (field order = `SAMPLE_COLUMNS`)."""

    t_intended: float
    t_start: float
    latency_ms: float
    status: int
    ok: int
    error: str
    replica: str
    """Which replica answered ("" when the answer did not say)."""
    version: str
    """Which model version answered ("" when the answer did not say)."""
    attempts: int
    """Upstream attempts the answer reported (the reference gateway's X-Attempts); -1 when it did not."""
    degraded: int
    """1 when the answer said the fallback model answered (X-Degraded: true), 0 when it said not, -1 when
    it did not say."""
    late: int
    prediction: str = ""
    """What the model predicted, as JSON text ("" when not read or not in the answer)."""
    truth: str = ""
    """What it should have predicted, per row, as JSON text ("" when the load does not know:
    harness/load/truth.py)."""


class SampleWriter(CsvStream):
    """samples.csv: one row per request, flushed at least every `flush_every_s`."""

    def __init__(self, path: Path, flush_every_s: float = 0.5) -> None:
        super().__init__(path, SAMPLE_COLUMNS, flush_every_s)

    def write(self, sample: Sample) -> None:
        self.write_rows((_row(sample),))


_PLAIN_COLUMNS = SAMPLE_COLUMNS[3:]
"""Written as they are; the three times before them are formatted to a fixed precision."""


def _row(sample: Sample) -> Sequence[object]:
    """Field by field: `dataclasses.astuple` deep-copies every value and cost ~10 % of the worker's CPU."""
    return (
        f"{sample.t_intended:.6f}",
        f"{sample.t_start:.6f}",
        f"{sample.latency_ms:.3f}",
        *[getattr(sample, column) for column in _PLAIN_COLUMNS],
    )


def read_samples(path: Path) -> pd.DataFrame:
    """Load a sample file; a last line cut short by a killed writer is dropped instead of failing."""
    complete = complete_lines(path)
    if not complete:
        return pd.DataFrame({column: pd.Series(dtype=_dtype(column)) for column in SAMPLE_COLUMNS})
    frame = pd.read_csv(
        io.BytesIO(complete),
        dtype={column: _dtype(column) for column in SAMPLE_COLUMNS},
        keep_default_na=False,
    )
    for column, absent in _ADDED_COLUMNS.items():
        if column not in frame:
            frame[column] = absent
    return frame[list(SAMPLE_COLUMNS)]


def _dtype(column: str) -> str:
    if column in _TEXT_COLUMNS:
        return "str"
    if column in ("t_intended", "t_start", "latency_ms"):
        return "float64"
    return "int64"

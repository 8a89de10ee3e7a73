"""The per-request sample file: one CSV row per request, streamed to disk while the load runs.

Locust's own statistics are bucketed and windowed; recovery-time analysis needs every request with its
exact times, status and the gateway's headers, and it needs them even if the worker is killed.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import TextIO

import pandas as pd

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
)

_TEXT_COLUMNS = ("error", "replica", "version")


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
    version: str
    attempts: int
    degraded: int
    late: int


class SampleWriter:
    """Appends samples as CSV rows and flushes at least every `flush_every_s`, so a crash loses little."""

    def __init__(self, path: Path, flush_every_s: float = 0.5) -> None:
        self._file: TextIO = path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file)
        self._csv.writerow(SAMPLE_COLUMNS)
        self._file.flush()
        self._flush_every_s = flush_every_s
        self._last_flush = time.monotonic()
        self.rows = 0

    def write(self, sample: Sample) -> None:
        self._csv.writerow(_row(sample))
        self.rows += 1
        if time.monotonic() - self._last_flush >= self._flush_every_s:
            self.flush()

    def flush(self) -> None:
        """Push buffered rows to the OS; called by `write` when due and by a ticker when traffic stops."""
        if not self._file.closed:
            self._file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def _row(sample: Sample) -> Sequence[object]:
    t_intended, t_start, latency_ms, *rest = astuple(sample)
    return (f"{t_intended:.6f}", f"{t_start:.6f}", f"{latency_ms:.3f}", *rest)


def read_samples(path: Path) -> pd.DataFrame:
    """Load a sample file; a last line cut short by a killed writer is dropped instead of failing."""
    data = path.read_bytes() if path.exists() else b""
    complete = data[: data.rfind(b"\n") + 1]
    if not complete:
        return pd.DataFrame({column: pd.Series(dtype=_dtype(column)) for column in SAMPLE_COLUMNS})
    frame = pd.read_csv(
        io.BytesIO(complete),
        dtype={column: _dtype(column) for column in SAMPLE_COLUMNS},
        keep_default_na=False,
    )
    return frame[list(SAMPLE_COLUMNS)]


def _dtype(column: str) -> str:
    if column in _TEXT_COLUMNS:
        return "str"
    if column in ("t_intended", "t_start", "latency_ms"):
        return "float64"
    return "int64"

"""Append-only CSV files that a killed writer leaves readable: rows flushed often, a cut last line dropped.

Both per-request logs of the load worker (samples.csv, features.csv) are read while the load runs and
after a crash, so they share one way of writing and one way of reading back the complete lines.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TextIO


class Stream(Protocol):
    """What the worker's flush ticker and shutdown need of each file it writes while the load runs."""

    def flush(self) -> None: ...

    def close(self) -> None: ...


class CsvStream:
    """Appends CSV rows and flushes at least every `flush_every_s`, so a crash loses little."""

    def __init__(self, path: Path, header: Sequence[str], flush_every_s: float = 0.5) -> None:
        self._file: TextIO = path.open("w", newline="", encoding="utf-8")
        self._csv = csv.writer(self._file)
        self._csv.writerow(header)
        self._file.flush()
        self._flush_every_s = flush_every_s
        self._last_flush = time.monotonic()
        self.rows = 0

    def write_rows(self, rows: Sequence[Sequence[object]]) -> None:
        self._csv.writerows(rows)
        self.rows += len(rows)
        if time.monotonic() - self._last_flush >= self._flush_every_s:
            self.flush()

    def flush(self) -> None:
        """Push buffered rows to the OS; called by writes when due and by a ticker when traffic stops."""
        if not self._file.closed:
            self._file.flush()
        self._last_flush = time.monotonic()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()


def complete_lines(path: Path) -> bytes:
    """The file up to its last newline: a line cut short by a killed writer is left out ("" if absent)."""
    data = path.read_bytes() if path.exists() else b""
    return data[: data.rfind(b"\n") + 1]

"""The last seconds of samples.csv, read as the load worker writes it: what the live view shows.

The view reads the same per-request rows the verifier reads (no second channel from the worker, nothing
added to its hot path): the file is followed from where the last read stopped, only whole lines, and only
the recent rows are kept, so its memory does not grow with the drill.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.load.samples import SAMPLE_COLUMNS

_T_START, _LATENCY, _OK = (SAMPLE_COLUMNS.index(c) for c in ("t_start", "latency_ms", "ok"))


@dataclass(frozen=True)
class WindowFigures:
    """The requests answered (or failed) in the last `window_s` seconds of the samples written so far."""

    window_s: float
    requests: int
    errors: int
    latency_ms: float | None
    """The SLO's latency percentile over them; None without requests."""

    @property
    def per_second(self) -> float:
        return self.requests / self.window_s

    @property
    def error_rate(self) -> float | None:
        return self.errors / self.requests if self.requests else None


class SampleTail:
    def __init__(self, path: Path, window_s: float, percentile: float):
        self.path = path
        self.window_s = window_s
        self.percentile = percentile
        self._offset = 0
        self._recent: deque[tuple[float, float, int]] = deque()
        """(t_done, latency_ms, ok) of the rows inside the window, in the order written: the worker writes
        a row when its request ends, so they come (nearly) in t_done order."""
        self._newest = 0.0
        self._header_seen = False

    def read(self) -> WindowFigures:
        """Take in what was written since the last call; figures over the window ending at the newest row."""
        for row in self._new_rows():
            latency = float(row[_LATENCY])
            done = float(row[_T_START]) + latency / 1000
            self._newest = max(self._newest, done)
            self._recent.append((done, latency, int(row[_OK])))
        while self._recent and self._recent[0][0] < self._newest - self.window_s:
            self._recent.popleft()
        latencies = [latency for _, latency, _ in self._recent]
        errors = sum(1 for _, _, ok in self._recent if not ok)
        p = float(np.percentile(latencies, self.percentile)) if latencies else None
        return WindowFigures(self.window_s, len(latencies), errors, p)

    def _new_rows(self) -> list[list[str]]:
        try:
            with self.path.open("rb") as samples:
                samples.seek(self._offset)
                data = samples.read()
        except FileNotFoundError:
            return []
        complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
        self._offset += len(complete)
        rows = list(csv.reader(io.StringIO(complete.decode("utf-8", errors="replace"))))
        if rows and not self._header_seen:
            self._header_seen = True
            rows = rows[1:]
        return [row for row in rows if len(row) > _OK]

"""Synthetic runs whose right verdict is known by construction, for the tests of the verdict path.

`requests()` makes evenly spaced requests that are all alike; a run is a few such segments concatenated,
so every figure a test expects can be worked out by hand from the segment table next to it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from harness.scenario.model import Scenario
from harness.verify.results import ExpectationResult, FaultRecord

T0 = 1_700_000_000.0
"""Load start (epoch seconds)."""

_DEFAULTS: dict[str, Any] = {
    "latency_ms": 10.0,
    "status": 200,
    "ok": 1,
    "error": "",
    "replica": "gpu-0",
    "version": "v1",
    "attempts": 1,
    "degraded": 0,
    "late": 0,
    "prediction": "",
    "truth": "",
}

FAILED = {"status": 503, "ok": 0, "error": "http_5xx", "replica": ""}
REJECTED = {"status": 400, "ok": 0, "error": "http_4xx"}
NO_HEADERS = {"replica": "", "version": "", "attempts": -1, "degraded": -1}
"""A stack that sends none of the gateway's headers."""


def requests(start: float, end: float, rate: float = 10.0, **columns: Any) -> pd.DataFrame:
    """`rate` requests per second, intended at start, start + 1/rate, ... < end (seconds after load start)."""
    t = start + np.arange(round((end - start) * rate)) / rate
    values = {**_DEFAULTS, **columns}
    return pd.DataFrame({"t_intended": T0 + t, "t_start": T0 + t, **values}, index=range(len(t)))


def run(*segments: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(segments, ignore_index=True)


def record(name: str, applied: float | None, cleared: float | None, **fields: Any) -> FaultRecord:
    """A fault applied / cleared at these offsets from load start (None: it was not)."""
    return FaultRecord(
        name,
        fields.pop("kind", "node-kill"),
        fields.pop("targets", ["gpu-0"]),
        applied or 0.0,
        cleared,
        applied_at=None if applied is None else T0 + applied,
        cleared_at=None if cleared is None else T0 + cleared,
        **fields,
    )


FAULTS = [
    {"name": "kill", "kind": "node-kill", "at": "5s", "duration": "5s", "target": "gpu-0"},
    {
        "name": "slow",
        "kind": "latency",
        "at": "8s",
        "duration": "4s",
        "target": "gpu-1",
        "params": {"latency": "200ms"},
    },
]


def scenario(
    expectations: dict[str, Any] | None = None,
    *,
    duration: str = "20s",
    slo: dict[str, Any] | None = None,
    faults: list[dict[str, Any]] | None = None,
    load: dict[str, Any] | None = None,
) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "synthetic",
            "load": {"users": 1, "duration": duration} | (load or {}),
            "slo": {"availability": "75%", "latency": "p(99) < 150ms", "window": "2s", "recovery_windows": 3}
            | (slo or {}),
            "faults": FAULTS if faults is None else faults,
            "expectations": expectations or {},
        }
    )


def result(
    name: str,
    observed: float | None,
    threshold: str,
    unit: str,
    status: str,
    explanation: str,
    metric: str | None = None,
) -> ExpectationResult:
    """The whole expected result; `metric` defaults to the name's first word."""
    metric = metric or name.split(":")[0].split("{")[0]
    return ExpectationResult(
        name,
        metric,
        observed if observed is None else pytest.approx(observed, rel=1e-9, abs=1e-9),
        threshold,
        unit,
        status == "pass",
        explanation,
        status,  # type: ignore[arg-type]
    )

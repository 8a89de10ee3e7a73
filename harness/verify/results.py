"""The verdict of a run as plain data: what reports render and `summary.json` stores.

Kept free of pandas and of the scenario model so that reports, JUnit export and the CLI share one
JSON-able shape, and a partial run (Ctrl-C, crash) can still be summarised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["pass", "fail", "incomplete"]


@dataclass
class ExpectationResult:
    """One checked expectation, e.g. `latency: p(99) < 250ms`."""

    name: str
    """Stable identifier shown in reports and as the JUnit test-case name."""
    metric: str
    observed: float | None
    """None when the metric could not be measured (no samples, fault never applied...)."""
    threshold: str
    """The threshold as the user wrote it."""
    unit: str
    passed: bool
    explanation: str
    """One line a reader of a postmortem understands without the scenario file."""


@dataclass
class FaultRecord:
    """A fault as planned and as it really happened."""

    name: str
    kind: str
    targets: list[str]
    planned_at_s: float
    """Offset from load start."""
    planned_until_s: float | None
    applied_at: float | None = None
    """Epoch seconds when the injection really took effect."""
    cleared_at: float | None = None
    recovery_s: float | None = None
    """Seconds from injection until the SLI was back within SLO for the required windows; None: never."""
    error: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class SloFigures:
    """SLO targets and what the run achieved against them."""

    availability_target: float
    latency_percentile: float
    latency_threshold_ms: float
    window_s: float
    requests: int = 0
    success_ratio: float | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    windows_total: int = 0
    windows_good: int = 0
    compliance_steady: float | None = None
    """Fraction of windows outside every fault window that met the SLO."""
    compliance_faulted: float | None = None
    """Fraction of windows overlapping a fault window that met the SLO."""
    error_budget_burn: float | None = None
    """Failed requests divided by the failures the availability target allows for this run."""
    mean_attempts: float | None = None


@dataclass
class RunSummary:
    """Everything `summary.json` holds; reports are views of this plus the samples."""

    scenario: str
    description: str
    scenario_file: str
    run_dir: str
    backend: str
    seed: int
    started_at: float
    load_started_at: float | None
    finished_at: float | None
    verdict: Verdict
    incomplete_reason: str | None
    slo: SloFigures
    expectations: list[ExpectationResult] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)
    traffic_share: dict[str, float] = field(default_factory=dict)
    """Fraction of requests served by each replica (from the gateway's X-Served-By header)."""

    @property
    def failed(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.passed]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

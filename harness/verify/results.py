"""The verdict of a run as plain data: what reports render and `summary.json` stores.

Kept free of pandas and of the scenario model so that reports, JUnit export and the CLI share one
JSON-able shape, and a partial run (Ctrl-C, crash) can still be summarised.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Verdict = Literal["pass", "fail", "halted", "error", "incomplete"]
"""`pass`: every fault applied and cleared as planned and every expectation met on evidence. `fail`: the
drill ran as planned and an expectation was not met (or not measured). `halted`: a safety halt condition
(`safety.halt`) stopped the drill and reverted its faults. `error`: the drill did not run as planned (a
fault not applied or not cleared, a harness error). `incomplete`: interrupted or killed."""

ExpectationStatus = Literal["pass", "fail", "not measured"]


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
    status: ExpectationStatus | None = None
    """`not measured` when the evidence was missing (then `passed` is False: a drill that proved nothing
    must not gate green); left out, it follows `passed`."""

    def __post_init__(self) -> None:
        derived: ExpectationStatus = "pass" if self.passed else "fail"
        if self.status is None:
            self.status = derived
        elif self.status != derived and not (self.status == "not measured" and not self.passed):
            raise ValueError(f"{self.name}: status {self.status!r} contradicts passed={self.passed}")

    @classmethod
    def not_measured(
        cls, name: str, metric: str, threshold: str, unit: str, missing: str
    ) -> ExpectationResult:
        """An expectation without evidence, `missing` saying exactly what was missing."""
        return cls(name, metric, None, threshold, unit, False, f"not measured: {missing}", "not measured")


@dataclass
class FaultResponse:
    """How the stack answered one fault, as a postmortem tells it: detection, mitigation, recovery, impact.

    Times are seconds after the injection. Computed by harness.verify.fault_response from the same journal
    as the expectations, so the report and `time_to_detect`/`time_to_mitigate` cannot disagree.
    """

    detected_s: float | None = None
    """The stack's first reaction (a breaker opening, an ejection, a drift alert, a rollback, a degraded
    answer, a runbook probe turning); None: none was seen while the fault lasted."""
    detected_by: str | None = None
    """That signal in words: "breaker_open on replica-1", "probe haproxy-down == 1"."""
    mitigated_s: float | None = None
    """The first action that limited the damage: failover off a target, degradation, rollback."""
    mitigated_by: str | None = None
    """"failover (breaker_open on replica-1)", "degradation (degraded answers)", "rollback (...)"."""
    signal_sources: list[str] = field(default_factory=list)
    """What could have shown a reaction: "stack state", "answers' degraded signal", "probe NAME"; empty:
    nothing could, so an absent detection is no evidence."""
    signals_seen: dict[str, float | None] = field(default_factory=dict)
    """Every signal looked for (the built-in ones and the runbook's) -> seconds after injection it was first
    seen, None if never: the runbook check reads this."""
    slo_held: bool = False
    """Every SLO window overlapping the fault's window met the SLO (and there was at least one)."""
    recovery_unconfirmed_s: float | None = None
    """The run ended in a run of good windows too short to confirm a recovery, starting this long after the
    injection."""
    impact_start_s: float = 0.0
    impact_end_s: float = 0.0
    """The span the impact figures cover, in seconds since load start: injection until the SLO was back
    (or the fault cleared, whichever is later), or the end of the run when it never came back."""
    requests: int = 0
    failed: int = 0
    slow: int = 0
    """Answered, but slower than the SLO's latency threshold."""
    degraded: int = 0
    slo_missed_s: float = 0.0
    """Length of the SLO windows in the impact span that missed the SLO (error-budget time burned)."""
    target_share_before: float | None = None
    """Share of answers the fault's targets served before it (X-Served-By); None: not known."""
    fair_share: float | None = None
    """1 / the number of replicas seen answering before the fault."""


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
    """Why the fault could not be applied (None: it was, or it was never reached)."""
    params: dict[str, Any] = field(default_factory=dict)
    clear_error: str | None = None
    """What could not be undone when the fault was cleared."""
    skipped: str | None = None
    """Why the fault was deliberately never applied (a safety halt came first): not a problem."""
    runbook: str | None = None
    """The scenario's `runbook.url` for this fault, carried into the report."""
    runbook_signals: list[str] = field(default_factory=list)
    """The signals the runbook expects to see (`runbook.signals`)."""
    response: FaultResponse | None = None
    """How the stack answered it; None until verified, and for a fault never applied."""

    def problem(self) -> str | None:
        """Why this fault did not happen as planned, in one line; None when it did, or when a safety halt
        skipped it on purpose (the halt is the verdict's news, not the fault)."""
        if self.skipped:
            return None
        if self.error:
            return f"fault {self.name} ({self.kind}) could not be applied: {self.error}"
        if self.applied_at is None:
            return f"fault {self.name} ({self.kind}) was never applied"
        if self.clear_error:
            return f"fault {self.name} ({self.kind}) could not be cleared: {self.clear_error}"
        if self.cleared_at is None:
            return f"fault {self.name} ({self.kind}) was never cleared"
        return None


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
    """Why the verdict is `error` or `incomplete`: every reason, joined."""
    slo: SloFigures
    expectations: list[ExpectationResult] = field(default_factory=list)
    faults: list[FaultRecord] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)
    traffic_share: dict[str, float] = field(default_factory=dict)
    """Fraction of requests served by each replica (from the gateway's X-Served-By header)."""
    run_id: str = ""
    """Names everything the run created (containers, proxies); also in the run directory's run.json."""

    @property
    def failed(self) -> list[ExpectationResult]:
        return [e for e in self.expectations if not e.passed]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

"""Synthetic fault responses for the postmortem sections, built by hand as harness.verify.fault_response
would fill them: the report side is tested against the data contract, not against the analysis."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from harness.verify.results import ExpectationResult, FaultRecord, FaultResponse, RunSummary
from tests.report.report_data import LOAD_START, make_faults, make_samples, make_summary

RUNBOOK = "https://runbooks.example/gpu-node-down"
PROBE_SIGNAL = "probe gpu-alert == 1"
POSTMORTEM = ["Response per fault", "What went well", "What went wrong", "Where we got lucky", "Action items"]
"""The postmortem's section titles, in the order the report gives them."""


def response(**changes: Any) -> FaultResponse:
    """A stack that noticed the fault and failed over: breaker open after 0.8 s, SLO missed for 2 s."""
    values: dict[str, Any] = {
        "detected_s": 0.8,
        "detected_by": "breaker_open on gpu-1",
        "mitigated_s": 1.2,
        "mitigated_by": "failover (breaker_open on gpu-1)",
        "signal_sources": ["stack state"],
        "signals_seen": {"breaker_open": 0.8, "ejected": None},
        "impact_start_s": 20.3,
        "impact_end_s": 35.2,
        "requests": 450,
        "failed": 12,
        "slow": 3,
        "degraded": 0,
        "slo_missed_s": 2.0,
        "target_share_before": 0.25,
        "fair_share": 0.25,
    }
    return FaultResponse(**{**values, **changes})


def fault(name: str = "kill-gpu", **changes: Any) -> FaultRecord:
    """report_data's GPU node kill (injected at +20.3 s, cleared at +35.2 s, SLO back after 4 s)."""
    record = replace(make_faults(latency_recovered=True)[0], name=name)
    return replace(record, **({"response": response()} | changes))


def not_measured(name: str, metric: str, missing: str) -> ExpectationResult:
    return ExpectationResult.not_measured(name, metric, "<= 2s", "s", missing)


def result(
    name: str, metric: str, passed: bool, observed: float = 1.0, threshold: str = "<= 2s"
) -> ExpectationResult:
    verdict = "within" if passed else "over"
    return ExpectationResult(
        name, metric, observed, threshold, "s", passed, f"{observed}s, {verdict} the limit"
    )


def run(
    faults: list[FaultRecord],
    expectations: list[ExpectationResult] | None = None,
    verdict: str | None = None,
    backend: str = "local",
    reason: str | None = None,
) -> RunSummary:
    """verdict: as derived from the expectations unless given (error, halted with their reason)."""
    summary = make_summary("drill", expectations or [], faults, make_samples()[:0])
    summary.load_started_at = LOAD_START
    summary.backend = backend
    if verdict is not None:
        summary.verdict = verdict  # type: ignore[assignment]
        summary.incomplete_reason = reason
    return summary


def failed_drill_faults() -> list[FaultRecord]:
    """Two faults with runbooks: the GPU kill noticed and failed over; the latency fault broke the SLO
    unnoticed (nothing saw it, the runbook's probe never turned) and it never came back."""
    kill = fault(
        runbook=RUNBOOK,
        runbook_signals=["breaker_open", PROBE_SIGNAL],
        response=response(signals_seen={"breaker_open": 0.8, PROBE_SIGNAL: None}),
    )
    slow = replace(
        make_faults(latency_recovered=False)[1],
        runbook="https://runbooks.example/slow-replica",
        runbook_signals=["ejected"],
        response=response(
            detected_s=None,
            detected_by=None,
            mitigated_s=None,
            mitigated_by=None,
            signals_seen={"ejected": None},
            slo_missed_s=20.0,
            failed=0,
            slow=95,
        ),
    )
    return [kill, slow]

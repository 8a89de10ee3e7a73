"""How the stack answered each fault, as a postmortem tells it: when it was detected and mitigated (from
harness.verify.fault_signals), when the SLO came back or that it held throughout, and what users felt.

Impact covers the fault's impact span: from the injection until the SLO was back, or the fault was cleared
if that was later; until the end of the run when the SLO never came back. Requests are placed by their
intended send time, like the SLO windows. Overlapping faults share requests: each counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from harness.scenario.model import Scenario
from harness.scenario.runbook import parse_signal
from harness.verify.fault_signals import FaultSignals, RunEvidence, fault_signals
from harness.verify.mechanisms import stack_transitions, window_end
from harness.verify.recovery import Recovery
from harness.verify.results import FaultRecord, FaultResponse


def run_evidence(
    samples: pd.DataFrame,
    windows: pd.DataFrame,
    snapshots: Sequence[dict[str, Any]],
    readings: Sequence[dict[str, Any]],
    load_started_at: float,
) -> RunEvidence:
    polls = [float(s["polled_at"]) for s in snapshots if {"replicas", "canary", "drift"} & s.keys()]
    return RunEvidence(
        samples, windows, stack_transitions(snapshots), max(polls, default=None), readings, load_started_at
    )


def respond(
    scenario: Scenario, faults: list[FaultRecord], recoveries: dict[str, Recovery], run: RunEvidence
) -> dict[str, FaultSignals]:
    """Fill each applied fault's `response` (in place); return the signals found per fault, which
    `time_to_detect` and `time_to_mitigate` are judged from."""
    found = {}
    for record in faults:
        if record.applied_at is None:
            continue
        until = window_end(record, run.load_started_at, scenario.load.duration)
        signals = fault_signals(scenario, record, until, run)
        record.response = _response(scenario, record, signals, recoveries[record.name], run)
        found[record.name] = signals
    return found


def _when(signals: FaultSignals, mitigating: bool) -> tuple[float | None, str | None]:
    """Seconds after the injection of the first detection (or mitigation), and it in words: a mitigation
    says which it was, "failover (breaker_open on replica-1)"."""
    seen = signals.first(mitigating)
    if seen is None:
        return None, None
    return seen.t - signals.applied_at, seen.described(mitigating)


def _response(
    scenario: Scenario, record: FaultRecord, signals: FaultSignals, recovery: Recovery, run: RunEvidence
) -> FaultResponse:
    applied = signals.applied_at
    detected_s, detected_by = _when(signals, mitigating=False)
    mitigated_s, mitigated_by = _when(signals, mitigating=True)
    origin = run.load_started_at
    start_s, cleared_s = applied - origin, signals.until - origin
    held = _slo_held(run.windows, start_s, cleared_s)
    if held:
        end_s = cleared_s
    elif recovery.seconds is not None:
        end_s = max(cleared_s, start_s + recovery.seconds)
    else:
        end_s = max(cleared_s, float(run.windows["end_s"].max()) if not run.windows.empty else cleared_s)
    response = FaultResponse(
        detected_s=detected_s,
        detected_by=detected_by,
        mitigated_s=mitigated_s,
        mitigated_by=mitigated_by,
        signal_sources=[s.name for s in signals.sources],
        signals_seen=_signals_seen(signals, record),
        slo_held=held,
        recovery_unconfirmed_s=recovery.unconfirmed_s,
        impact_start_s=start_s,
        impact_end_s=end_s,
    )
    _impact(response, run, scenario.slo.latency_threshold.value)
    response.target_share_before, response.fair_share = _share_before(run.samples, applied, record.targets)
    return response


def _signals_seen(signals: FaultSignals, record: FaultRecord) -> dict[str, float | None]:
    """Every signal seen, and every one the runbook expects (None where it was not)."""
    names = {s.signal for s in signals.seen} | set(record.runbook_signals)
    return {
        name: (None if (first := signals.first_of(name)) is None else first.t - signals.applied_at)
        for name in sorted(names, key=lambda n: (isinstance(parse_signal(n), str), n))
    }


def _slo_held(windows: pd.DataFrame, start_s: float, end_s: float) -> bool:
    overlapping = windows[(windows["end_s"] > start_s) & (windows["start_s"] < end_s)]
    return not overlapping.empty and bool(overlapping["good"].all())


def _impact(response: FaultResponse, run: RunEvidence, latency_threshold_ms: float) -> None:
    start, end = response.impact_start_s, response.impact_end_s
    t = run.samples["t_intended"] - run.load_started_at
    span = run.samples[(t >= start) & (t < end)]
    response.requests = len(span)
    response.failed = int((span["ok"] == 0).sum())
    response.slow = int(((span["ok"] == 1) & (span["latency_ms"] > latency_threshold_ms)).sum())
    response.degraded = int((span["degraded"] == 1).sum())
    windows = run.windows
    missed = windows[(windows["end_s"] > start) & (windows["start_s"] < end) & ~windows["good"]]
    response.slo_missed_s = float((missed["end_s"] - missed["start_s"]).sum())


def _share_before(
    samples: pd.DataFrame, applied_at: float, targets: list[str]
) -> tuple[float | None, float | None]:
    """The targets' share of the answers that named a replica before the fault, and the fair share; None
    for both where no answer named one, or none of the targets was among them."""
    named = samples[(samples["t_start"] < applied_at) & (samples["replica"] != "")]["replica"]
    replicas = set(named)
    if not replicas or not replicas & set(targets):
        return None, None
    return float(named.isin(targets).mean()), 1 / len(replicas)

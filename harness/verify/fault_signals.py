"""The stack's reactions to one fault, as signals with a time: what a postmortem's detection and mitigation
are measured from.

Three sources, each only where the run has it:
- the stack's polled state (`/admin/state`): breakers opening, outlier ejections, health checks marking a
  replica down, the drift alert, the stack's own rollback of the canary (mechanisms.stack_transitions);
- the answers: the first degraded one (a fallback model answering), the first failed one;
- probes: a runbook's `probe NAME OP VALUE` signals, and the probe conditions the fault's mechanism
  expectations name (`breaker_opened`, `drift_detected`, `rollback` with `probe` and `reads`).

Only what was seen between the injection and the end of the fault's window counts (the same rule as the
mechanism expectations): after it, the harness's own undo could be what was seen. A signal already there
before the injection (degraded answers from an earlier fault) is no reaction to this one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from faults.deploy import HARNESS_ROLLBACK_REASON
from harness.comparisons import parse_comparison
from harness.scenario.model import Scenario
from harness.scenario.runbook import ProbeSignal, probe_signals
from harness.verify.probes import Turn, probe_series, probe_turn
from harness.verify.results import FaultRecord

Mitigation = Literal["failover", "degradation", "rollback"]

STATE_SOURCE = "stack state"
ANSWERS_SOURCE = "answers' degraded signal"

_NODE_SIGNALS = {"breaker_open": "breaker_open", "ejected": "ejected", "marked_unhealthy": "unhealthy"}
"""Stack-state events about one replica -> the signal they are: each detects the fault, and fails traffic
over when the replica is one of the fault's targets."""


@dataclass(frozen=True)
class Seen:
    """One signal, the first time it showed after the injection."""

    t: float
    """Epoch seconds."""
    signal: str
    """As a runbook names it: `breaker_open`, `probe haproxy-down >= 1`."""
    detail: str
    """What exactly was seen: `breaker_open on replica-1`."""
    detects: bool
    """A reaction of the stack (not a symptom such as failed requests)."""
    mitigation: Mitigation | None = None

    def described(self, mitigating: bool) -> str:
        """In words; as a mitigation, saying which it was: "failover (breaker_open on replica-1)"."""
        return f"{self.mitigation} ({self.detail})" if mitigating else self.detail


@dataclass(frozen=True)
class Source:
    """Something that could have shown a reaction, and until when it was read."""

    name: str
    last_t: float
    mitigates: bool
    """It can show a mitigation too (not only a detection)."""


@dataclass(frozen=True)
class RunEvidence:
    """What the whole run offers to look for signals in, read once for all its faults."""

    samples: pd.DataFrame
    """With `t_start` (epoch send time) and `degraded`, `ok`."""
    windows: pd.DataFrame
    transitions: list[dict[str, Any]]
    """The stack-state events (mechanisms.stack_transitions)."""
    last_poll: float | None
    """When the stack's state was last polled; None: never (no `/admin/state`)."""
    readings: Sequence[dict[str, Any]]
    load_started_at: float


@dataclass
class FaultSignals:
    """Every signal seen for one fault while its window lasted, and what was watched for them."""

    applied_at: float
    until: float
    seen: list[Seen] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    def first(self, mitigating: bool) -> Seen | None:
        """The first detection (or, `mitigating`, the first mitigation)."""
        hits = [s for s in self.seen if (s.mitigation is not None if mitigating else s.detects)]
        return min(hits, key=lambda s: s.t, default=None)

    def first_of(self, signal: str) -> Seen | None:
        return min((s for s in self.seen if s.signal == signal), key=lambda s: s.t, default=None)

    def watched(self, mitigating: bool) -> list[Source]:
        return [s for s in self.sources if s.mitigates or not mitigating]


def fault_signals(scenario: Scenario, record: FaultRecord, until: float, run: RunEvidence) -> FaultSignals:
    """`record` must have been applied; `until` is the end of its window (mechanisms.window_end)."""
    applied = float(record.applied_at)  # type: ignore[arg-type]  # only applied faults are asked about
    origin = run.load_started_at
    in_window = [e for e in run.transitions if applied <= float(e["t"]) < until]
    seen = [
        *_state_signals(in_window, set(record.targets)),
        *_answer_signals(run.samples, applied, until, scenario.slo.window),
        *_breach(run.windows, applied - origin, until - origin, origin),
    ]
    sources = []
    for signal, mitigation in _probe_signals(scenario, record).items():
        series = probe_series(run.readings, signal.probe)
        turn = probe_turn(series, signal.condition, record.name, applied, until, until - applied)
        if isinstance(turn, Turn):
            seen.append(Seen(turn.t, signal.text, signal.text, True, mitigation))
        if series.good:
            sources.append(Source(f"probe {signal.probe}", series.good[-1][0], mitigation is not None))
    if run.last_poll is not None:
        sources.append(Source(STATE_SOURCE, run.last_poll, True))
    reported = run.samples[run.samples["degraded"] >= 0]
    if not reported.empty:
        sources.append(Source(ANSWERS_SOURCE, float(reported["t_start"].max()), True))
    return FaultSignals(applied, until, seen, sources)


def _state_signals(events: list[dict[str, Any]], targets: set[str]) -> list[Seen]:
    seen = []
    for event in events:
        t, name = float(event["t"]), str(event.get("event"))
        if name in _NODE_SIGNALS:
            node = str(event.get("node"))
            signal = _NODE_SIGNALS[name]
            seen.append(Seen(t, signal, f"{signal} on {node}", True, "failover" if node in targets else None))
        elif name == "drift_alert":
            seen.append(Seen(t, "drift_alert", "drift alert", True))
        elif name == "canary_rolled_back":
            canary = event.get("details") or {}
            if canary.get("reason") != HARNESS_ROLLBACK_REASON:
                reason = f" ({canary['reason']})" if canary.get("reason") else ""
                seen.append(Seen(t, "rollback", f"canary rolled back{reason}", True, "rollback"))
    return seen


def _answer_signals(samples: pd.DataFrame, applied: float, until: float, lookback_s: float) -> list[Seen]:
    """The first degraded answer (unless degraded answers were already flowing just before the fault) and
    the first failed one, by send time."""
    seen = []
    sent = samples["t_start"]
    during = samples[(sent >= applied) & (sent < until)]
    before = samples[(sent >= applied - lookback_s) & (sent < applied)]
    degraded = during[during["degraded"] == 1]
    if not degraded.empty and not (before["degraded"] == 1).any():
        t = float(degraded["t_start"].min())
        seen.append(Seen(t, "degraded", "fallback model answering", True, "degradation"))
    failed = during[during["ok"] == 0]
    if not failed.empty:
        seen.append(Seen(float(failed["t_start"].min()), "errors", "failed requests", False))
    return seen


def _breach(windows: pd.DataFrame, start_s: float, end_s: float, origin: float) -> list[Seen]:
    """The first SLO window that missed the SLO while the fault lasted (a symptom, not a reaction)."""
    missed = windows[(windows["end_s"] > start_s) & (windows["start_s"] < end_s) & ~windows["good"]]
    if missed.empty:
        return []
    t = max(float(missed["start_s"].iloc[0]), start_s) + origin
    return [Seen(t, "slo_breach", "SLO window missed", False)]


_EXPECTATION_ROLES: dict[str, Mitigation | None] = {
    "drift_detected": None,
    "breaker_opened": "failover",
    "rollback": "rollback",
}
"""Mechanism expectations whose probe condition shows a reaction -> the mitigation it is, if any."""


def _probe_signals(scenario: Scenario, record: FaultRecord) -> dict[ProbeSignal, Mitigation | None]:
    """The probe conditions that show this fault's effects (each a detection), with the mitigation each is:
    its runbook's (none), and its mechanism expectations' (a breaker opening fails traffic over, a rollback
    is one)."""
    signals: dict[ProbeSignal, Mitigation | None] = {}
    for signal in probe_signals(record.runbook_signals):
        signals[signal] = None
    for key, mitigation in _EXPECTATION_ROLES.items():
        for e in getattr(scenario.expectations, key):
            if e.fault == record.name and e.probe is not None:
                signals[ProbeSignal(e.probe, parse_comparison(e.reads))] = mitigation
    return signals


def covered_s(sources: Sequence[Source], applied_at: float) -> float:
    """How long after the injection the (non-empty) sources were read."""
    return max(s.last_t for s in sources) - applied_at

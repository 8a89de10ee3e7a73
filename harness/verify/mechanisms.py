"""Expectations about mechanisms acting inside the stack, verified from its polled `/admin/state`.

The harness observes *when* a drift alert fired, a canary was rolled back or a breaker opened by polling;
the stack's own timestamps are reported beside the observation, so a report shows both and a test can
check they agree to within one polling interval.

Evidence rule: a mechanism that was not seen acting is a failure only when the stack's state was polled,
with the section the check reads, until the expectation's limit had passed. Without that (a stack without
`/admin/state`, a state lacking the section, polling that stopped early) the expectation is `not measured`.

A stack without `/admin/state` shows its mechanisms otherwise: an expectation with `probe` and `reads` is
verified from that probe's readings (`harness.verify.probes`: the probe turns to `reads` after the fault),
and a rollback with `version` from the answers (`harness.verify.version_share`: the canary's version stops
answering). Either way only what was seen before the fault's window ended counts: after it, the harness's
own undo could be what was seen.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pandas as pd

from faults.deploy import HARNESS_ROLLBACK_REASON
from faults.kinds.deploy import Deploy
from harness.comparisons import parse_comparison, shown
from harness.durations import format_duration
from harness.scenario.model import (
    BreakerOpenedExpectation,
    DriftDetectedExpectation,
    FaultSpec,
    RollbackExpectation,
    Scenario,
)
from harness.verify.probes import NoTurn, ProbeSeries, Reading, Turn, probe_series, probe_turn, read_before
from harness.verify.results import ExpectationResult, FaultRecord
from harness.verify.version_share import canary_answers, sent_between

Snapshot = dict[str, Any]
Seen = Callable[[Snapshot], bool]


def evaluate_mechanisms(
    scenario: Scenario,
    snapshots: Sequence[Snapshot],
    faults: list[FaultRecord],
    samples: pd.DataFrame,
    readings: Sequence[Reading] = (),
    load_started_at: float | None = None,
) -> list[ExpectationResult]:
    """Each expectation from its evidence: a probe where it names one, the answers for a rollback with a
    `version`, else the polled state. `load_started_at` places the ends of the faults' windows."""
    records = {f.name: f for f in faults}
    specs = {f.name: f for f in scenario.faults}
    expectations = scenario.expectations

    def until(record: FaultRecord) -> float:
        return window_end(record, load_started_at, scenario.load.duration)

    def from_probe(metric: str, e: Any, false_alarm: bool = False) -> ExpectationResult:
        check, record = _Check(metric, e.fault, e.within, f"probe {e.probe} {e.reads}"), records[e.fault]
        series = probe_series(readings, e.probe)
        turn = _probe_evidence(check, record, series, e.reads, until(record), false_alarm)
        return turn if isinstance(turn, ExpectationResult) else _turned(check, record, series, turn)

    results = []
    for e in expectations.drift_detected:
        results.append(
            from_probe("drift_detected", e, True) if e.probe else _drift(e, records[e.fault], snapshots)
        )
    for e in expectations.rollback:
        record, version = records[e.fault], e.version or canary_version(specs[e.fault])
        if e.probe is not None:
            check = _Check("rollback", e.fault, e.within, f"probe {e.probe} {e.reads}")
            series = probe_series(readings, e.probe)
            turn = _probe_evidence(check, record, series, e.reads, until(record))
            results.append(
                _rollback_from_probe(check, e, record, series, turn, samples, version, until(record))
            )
        elif e.version is not None:
            check = _Check("rollback", e.fault, e.within, f"answers from {e.version}")
            results.append(_rollback_from_answers(check, e, record, samples, e.version, until(record)))
        else:
            results.append(_rollback(e, record, snapshots, samples, version))
    for e in expectations.breaker_opened:
        results.append(
            from_probe("breaker_opened", e) if e.probe else _breaker(e, records[e.fault], snapshots)
        )
    return results


def window_end(record: FaultRecord, load_started_at: float | None, load_duration: float) -> float:
    """When the fault's window ended and the harness began undoing it (planned end, or the load's end for
    an open-ended fault), or when it was cleared if earlier; infinity when neither is known."""
    ends = [] if record.cleared_at is None else [record.cleared_at]
    if load_started_at is not None:
        planned = record.planned_until_s if record.planned_until_s is not None else load_duration
        ends.append(load_started_at + planned)
    return min(ends, default=math.inf)


def canary_version(spec: FaultSpec) -> str | None:
    """The model version a deploy fault puts on the canary; None for an action, which does not say
    (`rollback` refers to deploy faults and actions only)."""
    deploy = spec.fault_kind
    if deploy.category == "action":
        return None
    if not isinstance(deploy, Deploy):
        raise ValueError(f"rollback: fault {spec.name!r} is a {spec.kind}, not a deploy")
    return deploy.canary_version(spec.typed_params())  # type: ignore[arg-type]


_REPLICA_FLAGS = {
    "ejected": ("ejection_ended", "ejected"),
    "healthy": ("marked_unhealthy", "marked_healthy"),
}
"""A replica's boolean in the state -> its event when it turns (false, true)."""


def stack_transitions(snapshots: Sequence[Snapshot]) -> list[dict[str, Any]]:
    """Changes seen between consecutive polls, as timeline events (breakers, outlier ejections, health
    checks, canary and shadow status, drift alert)."""
    events: list[dict[str, Any]] = []
    for previous, snapshot in pairwise(snapshots):
        t = snapshot["polled_at"]
        before = {r["name"]: r for r in previous.get("replicas", [])}
        for replica in snapshot.get("replicas", []):
            old = before.get(replica["name"])
            if old:
                events += [
                    {"t": t, "event": words[bool(replica.get(key))], "node": replica["name"]}
                    for key, words in _REPLICA_FLAGS.items()
                    if key in old and key in replica and bool(old[key]) != bool(replica[key])
                ]
            if old and old.get("breaker") != replica.get("breaker"):
                events.append({"t": t, "event": f"breaker_{replica['breaker']}", "node": replica["name"]})
        for rollout in ("canary", "shadow"):
            old_rollout, current = previous.get(rollout, {}), snapshot.get(rollout, {})
            if old_rollout.get("status") != current.get("status"):
                events.append({"t": t, "event": f"{rollout}_{current.get('status')}", "details": current})
        old_alert, alert = previous.get("drift", {}).get("alert"), snapshot.get("drift", {}).get("alert")
        if old_alert != alert:
            events.append({"t": t, "event": "drift_alert" if alert else "drift_alert_cleared"})
    return events


@dataclass(frozen=True)
class _Check:
    """One mechanism expectation: `metric` seen within `within` seconds of `fault` being applied."""

    metric: str
    fault: str
    within: float
    evidence: str = ""
    """What it is verified from, where not the gateway's state: "probe canary-weight == 0"."""

    @property
    def threshold(self) -> str:
        return f"<= {format_duration(self.within)}"

    @property
    def name(self) -> str:
        evidence = f" ({self.evidence})" if self.evidence else ""
        return f"{self.metric}: {self.fault} {self.threshold}{evidence}"

    def result(self, observed: float | None, passed: bool, why: str) -> ExpectationResult:
        """Every mechanism expectation is a time in seconds."""
        return ExpectationResult(self.name, self.metric, observed, self.threshold, "s", passed, why)

    def not_measured(self, missing: str) -> ExpectationResult:
        return ExpectationResult.not_measured(self.name, self.metric, self.threshold, "s", missing)

    def verdict(self, latency: float) -> tuple[bool, str]:
        passed = latency <= self.within
        return passed, f"{'within' if passed else 'over'} the {format_duration(self.within)} limit"


def _evidence(
    check: _Check, record: FaultRecord, snapshots: Sequence[Snapshot], reports: Seen, what: str
) -> tuple[float, list[Snapshot]] | ExpectationResult:
    """When the fault took effect and the polls that report `what`, or why the check is not measured."""
    if record.applied_at is None:
        return check.not_measured(record.error or f"{check.fault} was never applied")
    if not snapshots:
        return check.not_measured("the stack's state was never polled (no /admin/state)")
    polls = [s for s in snapshots if reports(s)]
    if not polls:
        return check.not_measured(
            f"none of the {len(snapshots):,} polls of the stack's state reported {what}"
        )
    return record.applied_at, polls


def _unseen(
    check: _Check, applied_at: float, polls: list[Snapshot], never: str, detail: str = ""
) -> ExpectationResult:
    """Not seen at all: a failure once the polls cover the limit, else the evidence ran out."""
    polled_for = polls[-1]["polled_at"] - applied_at
    if polled_for < check.within:
        return check.not_measured(
            f"{never}, but the last poll of the stack's state was at {polled_for:+.2f}s from {check.fault}'s "
            f"injection, short of the {format_duration(check.within)} limit{detail}"
        )
    return check.result(
        None, False, f"{never} after {check.fault} was injected, until the end of the run{detail}"
    )


def _first_seen(polls: list[Snapshot], after: float, seen: Seen) -> Snapshot | None:
    return next((s for s in polls if s["polled_at"] >= after and seen(s)), None)


def _alerting(snapshot: Snapshot) -> bool:
    return bool(snapshot["drift"].get("alert"))


def _rolled_back_by_stack(snapshot: Snapshot) -> bool:
    """A rollback the harness made itself when the fault window ended is not the stack's doing."""
    canary = snapshot["canary"]
    return canary.get("status") == "rolled_back" and canary.get("reason") != HARNESS_ROLLBACK_REASON


def _drift(
    e: DriftDetectedExpectation, record: FaultRecord, snapshots: Sequence[Snapshot]
) -> ExpectationResult:
    check = _Check("drift_detected", e.fault, e.within)
    evidence = _evidence(check, record, snapshots, lambda s: "drift" in s, "drift")
    if isinstance(evidence, ExpectationResult):
        return evidence
    applied_at, polls = evidence
    before = [s for s in polls if s["polled_at"] < applied_at]
    false_alarm = next((s for s in before if _alerting(s)), None)
    if false_alarm is not None:
        early = applied_at - false_alarm["polled_at"]
        return check.result(
            None, False, f"false alarm: drift alert {early:.2f}s before {e.fault} was injected"
        )
    if not before:
        return check.not_measured(f"no poll of the stack's drift state before {e.fault} was injected")
    seen = _first_seen(polls, applied_at, _alerting)
    if seen is None:
        return _unseen(check, applied_at, polls, "no drift alert")
    latency = seen["polled_at"] - applied_at
    since = seen["drift"].get("alert_since")
    claim = f" (stack's alert_since: {since - applied_at:+.2f}s)" if since is not None else ""
    passed, verdict = check.verdict(latency)
    return check.result(
        latency,
        passed,
        f"drift alert seen {latency:.2f}s after {e.fault} was injected{claim}; no alert in the "
        f"{len(before):,} polls before it; {verdict}",
    )


def _rollback(
    e: RollbackExpectation,
    record: FaultRecord,
    snapshots: Sequence[Snapshot],
    samples: pd.DataFrame,
    version: str | None,
) -> ExpectationResult:
    """`version`: the deployed one; None (an action deployed it) takes the canary's in the state."""
    check = _Check("rollback", e.fault, e.within)
    evidence = _evidence(check, record, snapshots, lambda s: "canary" in s, "the canary")
    if isinstance(evidence, ExpectationResult):
        return evidence
    applied_at, polls = evidence
    deployed = samples[samples["t_start"] >= applied_at]
    if not (deployed["version"] != "").any():
        return check.not_measured(
            f"no X-Model-Version header on any of {len(deployed):,} responses after {e.fault} was deployed"
        )
    version = version or _deployed_in_state(polls, applied_at)
    served = deployed[deployed["version"] == version]
    served_text = f"{len(served):,} requests served by {version}"
    seen = _first_seen(polls, applied_at, _rolled_back_by_stack)
    if seen is None:
        return _unseen(check, applied_at, polls, f"{version} was never rolled back", f"; {served_text}")
    latency = seen["polled_at"] - applied_at
    rolled_back_at = seen["canary"].get("rolled_back_at") or seen["polled_at"]
    # A request sent after the rollback was routed after it: the stack sets the canary's weight to 0
    # before it stamps `rolled_back_at`. Requests in flight at the rollback were sent before it.
    after = served[served["t_start"] > rolled_back_at]
    passed, verdict = check.verdict(latency)
    problems = [] if passed else [verdict]
    if e.max_canary_requests is not None and len(served) > e.max_canary_requests:
        problems.append(f"{served_text} (limit {e.max_canary_requests:,})")
    if len(after):
        problems.append(f"{len(after):,} requests still served by {version} after the rollback")
    reason = seen["canary"].get("reason") or "no reason given"
    detail = (
        f"rolled back {latency:.2f}s after {e.fault} was deployed (stack's rolled_back_at: "
        f"{rolled_back_at - applied_at:+.2f}s; {reason}); {served_text}"
    )
    return check.result(latency, not problems, "; ".join([detail, *problems]))


def _deployed_in_state(polls: list[Snapshot], applied_at: float) -> str:
    """The canary's version as the state first reported one after the deploy."""
    versions = (s["canary"].get("version") for s in polls if s["polled_at"] >= applied_at)
    return next((str(v) for v in versions if v), "the canary")


def _breaker(
    e: BreakerOpenedExpectation, record: FaultRecord, snapshots: Sequence[Snapshot]
) -> ExpectationResult:
    check = _Check("breaker_opened", e.fault, e.within)
    targets = set(record.targets)
    nodes = ", ".join(sorted(targets))

    def reports(snapshot: Snapshot) -> bool:
        return any(r.get("name") in targets for r in snapshot.get("replicas", []))

    def opened(snapshot: Snapshot) -> bool:
        return any(r.get("name") in targets and r.get("breaker") == "open" for r in snapshot["replicas"])

    evidence = _evidence(check, record, snapshots, reports, f"a breaker for {nodes}")
    if isinstance(evidence, ExpectationResult):
        return evidence
    applied_at, polls = evidence
    seen = _first_seen(polls, applied_at, opened)
    if seen is None:
        return _unseen(check, applied_at, polls, f"no breaker opened for {nodes}")
    latency = seen["polled_at"] - applied_at
    passed, verdict = check.verdict(latency)
    return check.result(
        latency, passed, f"breaker for {nodes} seen open {latency:.2f}s after {e.fault}; {verdict}"
    )


# --- from a probe, or from the answers ----------------------------------------------------------------------


def _probe_evidence(
    check: _Check,
    record: FaultRecord,
    series: ProbeSeries,
    reads: str,
    until: float,
    false_alarm: bool = False,
) -> Turn | ExpectationResult:
    """The probe's turn to `reads` after the fault, or the result that says why there is none. With
    `false_alarm`, reading `reads` before the fault already fails (a drift alert before any drift)."""
    if record.applied_at is None:
        return check.not_measured(record.error or f"{check.fault} was never applied")
    condition = parse_comparison(reads)
    early = read_before(series, condition, record.applied_at) if false_alarm else None
    if early is not None:
        before = record.applied_at - early[0]
        return check.result(
            None, False, f"false alarm: probe {series.name} read {shown(early[1])} {before:.2f}s before "
            f"{check.fault} was injected",
        )  # fmt: skip
    turn = probe_turn(series, condition, check.fault, record.applied_at, until, check.within)
    if isinstance(turn, NoTurn):
        return check.result(None, False, turn.why) if turn.measured else check.not_measured(turn.why)
    return turn


def _turn_words(series: ProbeSeries, turn: Turn, latency: float, fault: str) -> str:
    return (
        f"probe {series.name} turned from {shown(turn.before)} to {shown(turn.value)} {latency:.2f}s after "
        f"{fault} was injected"
    )


def _turned(check: _Check, record: FaultRecord, series: ProbeSeries, turn: Turn) -> ExpectationResult:
    latency = turn.t - float(record.applied_at)  # type: ignore[arg-type]  # a turn is after the injection
    passed, verdict = check.verdict(latency)
    return check.result(latency, passed, f"{_turn_words(series, turn, latency, check.fault)}; {verdict}")


def _rollback_from_probe(
    check: _Check,
    e: RollbackExpectation,
    record: FaultRecord,
    series: ProbeSeries,
    turn: Turn | ExpectationResult,
    samples: pd.DataFrame,
    version: str | None,
    until: float,
) -> ExpectationResult:
    """Rolled back when the probe turned. Where the canary's version is known and answers name theirs,
    its answers are counted too: one sent after the turn, or more than `max_canary_requests`, fails it."""
    if isinstance(turn, ExpectationResult):
        return turn
    applied_at = float(record.applied_at)  # type: ignore[arg-type]  # a turn is after the injection
    latency = turn.t - applied_at
    passed, verdict = check.verdict(latency)
    problems = [] if passed else [verdict]
    detail = _turn_words(series, turn, latency, check.fault)
    sent = sent_between(samples, applied_at, until)
    if version is not None and (sent["version"] != "").any():
        served = sent[sent["version"] == version]
        detail += f"; {len(served):,} requests served by {version}"
        if e.max_canary_requests is not None and len(served) > e.max_canary_requests:
            problems.append(f"{len(served):,} requests served by {version} (limit {e.max_canary_requests:,})")
        after = served[served["t_start"] > turn.t]
        if len(after):
            problems.append(f"{len(after):,} requests still served by {version} after the rollback")
    elif e.max_canary_requests is not None:
        return check.not_measured(
            f"{detail}, but no answer after {check.fault} was deployed named a model version, so its "
            "requests could not be counted"
        )
    return check.result(latency, not problems, "; ".join([detail, *problems]))


def _rollback_from_answers(
    check: _Check,
    e: RollbackExpectation,
    record: FaultRecord,
    samples: pd.DataFrame,
    version: str,
    until: float,
) -> ExpectationResult:
    """Rolled back after the canary's last answer, once enough answers came after it without it."""
    if record.applied_at is None:
        return check.not_measured(record.error or f"{check.fault} was never applied")
    answers = canary_answers(samples, version, record.applied_at, until)
    if isinstance(answers, str):
        return check.not_measured(f"{answers} ({check.fault})")
    latency = answers.last_t - record.applied_at
    last = f"{version} answered last {latency:.2f}s after {check.fault} was deployed"
    served_text = f"{len(answers.served):,} requests served by {version}"
    if latency > check.within:
        return check.result(
            latency, False, f"{last}, over the {format_duration(check.within)} limit; {served_text}"
        )
    if not answers.silent:
        return check.not_measured(
            f"{last}, but only {answers.after:,} answers came after it: {answers.needed:,} are needed to "
            f"tell a rollback from chance at its {answers.share:.0%} share"
        )
    problems = []
    if e.max_canary_requests is not None and len(answers.served) > e.max_canary_requests:
        problems.append(f"{served_text} (limit {e.max_canary_requests:,})")
    detail = (
        f"{last} (then {answers.share:.0%} of answers), none of the {answers.after:,} answers after it; "
        f"{served_text}"
    )
    return check.result(latency, not problems, "; ".join([detail, *problems]))

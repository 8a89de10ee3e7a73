"""`time_to_detect` and `time_to_mitigate`: the stack's first reaction to a fault, and its first mitigating
action, within a limit; judged as strictly as `recovery_time`.

Seen in time: pass or fail on the time. Not seen while the fault lasted: a failure only where something
could have shown it (the stack's polled state, a probe signal, answers that report degradation) and was
read until the limit had passed; otherwise `not measured`, saying what was missing.
"""

from __future__ import annotations

from harness.durations import format_duration
from harness.scenario.model import RecoveryExpectation, Scenario
from harness.verify.fault_signals import FaultSignals, covered_s
from harness.verify.results import ExpectationResult, FaultRecord

_WORDS = {"time_to_detect": ("detection", "detected"), "time_to_mitigate": ("mitigation", "mitigated")}


def evaluate_response_times(
    scenario: Scenario, faults: list[FaultRecord], signals: dict[str, FaultSignals]
) -> list[ExpectationResult]:
    records = {f.name: f for f in faults}
    return [
        _judge(metric, e, records[e.fault], signals.get(e.fault))
        for metric in _WORDS
        for e in getattr(scenario.expectations, metric)
    ]


def _judge(
    metric: str, e: RecoveryExpectation, record: FaultRecord, found: FaultSignals | None
) -> ExpectationResult:
    threshold, limit = f"<= {format_duration(e.max)}", format_duration(e.max)
    name = f"{metric}: {e.fault} {threshold}"
    noun, verb = _WORDS[metric]
    mitigating = metric == "time_to_mitigate"

    def judged(observed: float | None, passed: bool, why: str) -> ExpectationResult:
        return ExpectationResult(name, metric, observed, threshold, "s", passed, why)

    def unmeasured(missing: str) -> ExpectationResult:
        return ExpectationResult.not_measured(name, metric, threshold, "s", missing)

    if found is None:
        return unmeasured(record.error or f"{e.fault} was never applied")
    first = found.first(mitigating)
    if first is not None:
        observed = first.t - found.applied_at
        passed = observed <= e.max
        return judged(
            observed,
            passed,
            f"{verb} by {first.described(mitigating)} {observed:.2f}s after {e.fault} was injected; "
            f"{'within' if passed else 'over'} the {limit} limit",
        )
    sources = found.watched(mitigating)
    if not sources:
        return unmeasured(
            f"nothing could show a {noun}: the stack's state was never polled (no /admin/state), no "
            f"probe signal names {e.fault} (runbook signals, or mechanism expectations with a probe), and "
            "no answer reported degradation"
        )
    watched = ", ".join(s.name for s in sources)
    covered = covered_s(sources, found.applied_at)
    if covered < e.max:
        return unmeasured(
            f"no {noun} seen in {watched}, but they were last read {covered:+.2f}s from {e.fault}'s "
            f"injection, short of the {limit} limit"
        )
    lasted = found.until - found.applied_at
    return judged(
        None, False, f"no {noun} seen in {watched} while {e.fault} lasted ({lasted:.2f}s): not {verb}"
    )

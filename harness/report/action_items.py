"""The postmortem's action items: one per failed or unmeasured expectation, fault that did not go as planned,
and runbook signal that never showed, each naming the mechanism and the configuration to look at.

On the reference stack the configuration is named by its scenario keys (`stack.gateway.mechanisms...`, the
gateway's settings in stack/config.py), so an item can be acted on without reading the gateway's code; on
a user's stack the harness knows nothing of its inside and names the mechanism in words.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.backend_offers import DOCKER, LOCAL
from harness.report.document import Section, Table
from harness.report.fault_outcome import unnoticed, unseen_signals
from harness.report.formatting import fmt_quantity, fmt_seconds
from harness.verify.results import ExpectationResult, RunSummary

CONFIG_PREFIX = "stack.gateway.mechanisms."
"""Where a scenario sets the reference gateway's mechanisms (stack/config.py's `Mechanisms`)."""

_ANSWERS = "answers in the expectation's scope: the fault applied and load running during it"


@dataclass(frozen=True)
class Mechanism:
    """What an expectation's metric exercises, and how to act on it."""

    fix: str
    """The action, as an item's first words."""
    words: str
    """The mechanism, for the reference stack's item before its keys."""
    user: str
    """Where to look in a stack the harness knows nothing of."""
    expose: str
    """The evidence a not-measured expectation on it lacked, and where a stack shows it."""
    keys: str = ""
    """The reference gateway's settings below CONFIG_PREFIX, space-separated."""


_FAILOVER = "health_checks.interval_ms outlier_ejection.consecutive_errors"
_BREAKER = "circuit_breaker.failure_threshold"
_FAILURES = Mechanism(
    "Fail fewer requests",
    "retries, timeouts and failover",
    "your gateway's retries (attempts, per-attempt timeout) and how fast it stops using a failed replica",
    _ANSWERS,
    f"retries.max_attempts timeouts.attempt_ms {_BREAKER} {_FAILOVER}",
)
_BUDGET = Mechanism(
    "Keep failures within the SLO",
    "failover, retries and timeouts",
    "your stack's failover and retries: how fast a failed replica leaves, how often a request retries",
    "requests in SLO windows: the load running through the run",
    f"{_BREAKER} {_FAILOVER} retries.max_attempts",
)

MECHANISMS: dict[str, Mechanism] = {
    "recovery_time": Mechanism(
        "Take the faulted replica out of rotation sooner",
        "failover",
        "how fast your stack's health checks, circuit breaker or outlier detection take a failed replica out",
        "SLO windows after the injection: the fault applied and the load running long enough past it",
        f"{_BREAKER} {_FAILOVER} failover.enabled",
    ),
    "time_to_detect": Mechanism(
        "Detect the fault sooner",
        "detection",
        "what notices a fault first in your stack (health checks, breaker, outlier detection, alerts), and "
        "how often it looks",
        "the stack's reaction: /admin/state, or a runbook signal `probe NAME OP VALUE` on what it reports",
        f"{_BREAKER} {_FAILOVER} drift.sustained_ms",
    ),
    "time_to_mitigate": Mechanism(
        "Mitigate the fault sooner",
        "mitigation (failover, degradation, rollback)",
        "what limits the damage in your stack: failover off the target, a fallback answer, a rollback",
        "what the stack did: the X-Served-By (failover), X-Degraded (degradation) and X-Model-Version "
        "(rollback) headers, or /admin/state",
        "failover.enabled degradation.enabled canary_analysis.interval_ms",
    ),
    "breaker_opened": Mechanism(
        "Make the circuit breaker open in time",
        "the circuit breaker",
        "your gateway's circuit breaker: its failure threshold, the timeouts counting as failures",
        "each replica's breaker state: /admin/state, or a probe on it",
        "circuit_breaker.enabled circuit_breaker.failure_threshold timeouts.attempt_ms",
    ),
    "rollback": Mechanism(
        "Make the canary analysis roll back in time",
        "canary analysis",
        "your rollout controller's analysis: its window, minimum requests and error/latency thresholds",
        "which version answered: X-Model-Version, /admin/state's canary, or a probe on the rollout",
        "canary_analysis.window_ms canary_analysis.min_requests canary_analysis.max_error_rate_delta "
        "canary_analysis.max_latency_ratio canary_analysis.score_divergence canary_analysis.max_score_psi",
    ),
    "quality": Mechanism(
        "Keep wrong answers from users",
        "what should catch a model answering wrong",
        "which model version answered wrong (the answer-quality section) and what should have stopped it: "
        "canary analysis on prediction scores or on labels, a drift monitor",
        "each answer's prediction (load.observe.prediction) and its ground truth (the reference feature "
        "schema)",
        "canary_analysis.score_divergence canary_analysis.max_score_psi canary_analysis.min_scores "
        "drift.fallback_on_drift",
    ),
    "drift_detected": Mechanism(
        "Make the drift monitor alert in time",
        "the drift monitor",
        "your drift monitor: its window, test thresholds and how long drift must last before it alerts",
        "the drift alert: /admin/state's drift, or a probe on the monitor",
        "drift.window drift.psi_threshold drift.ks_pvalue drift.sustained_ms",
    ),
    "errors": _FAILURES,
    "server_errors": _FAILURES,
    "client_errors": Mechanism(
        "Reject fewer requests as invalid",
        "input validation",
        "what your model server accepts (its input schema) against what the load sends",
        _ANSWERS,
    ),
    "latency": Mechanism(
        "Cut latency under the fault",
        "timeouts and ejection of slow replicas",
        "your gateway's per-attempt timeout and deadline, and whether it takes slow replicas out",
        _ANSWERS,
        "timeouts.attempt_ms timeouts.deadline_ms outlier_ejection.consecutive_errors",
    ),
    "attempts": Mechanism(
        "Keep retries from multiplying the load",
        "retries and the retry budget",
        "your gateway's retry policy: attempts, backoff, and a budget that caps retries under load",
        "upstream attempts per request: the X-Attempts header",
        "retries.max_attempts retry_budget.ratio retry_budget.min_per_second",
    ),
    "degraded": Mechanism(
        "Bring degraded answers within the expectation",
        "graceful degradation (the fallback model)",
        "your fallback: when it answers, and whether its answers say so",
        "whether an answer came from the fallback: the X-Degraded header",
        "degradation.enabled drift.fallback_on_drift",
    ),
    "shed": Mechanism(
        "Shed the excess load, and only the excess",
        "admission control and rate limiting",
        "what your stack refuses under overload (429/503 with Retry-After): its concurrency limit, queue "
        "and per-client rates, against the load the drill offered",
        "refusals in the answers: HTTP 429 and 503",
        "admission.enabled admission.max_in_flight admission.max_queue admission.queue_timeout_ms "
        "rate_limit.requests_per_s",
    ),
    "goodput": Mechanism(
        "Keep the model answering at capacity under overload",
        "load shedding (admission control)",
        "how your stack behaves past its capacity: whether it refuses the excess fast or queues it until "
        "timeouts, breakers and the fallback take over",
        "good answers per second: 2xx answers that are not the fallback's (X-Degraded)",
        "admission.enabled admission.max_in_flight admission.queue_timeout_ms timeouts.attempt_ms",
    ),
    "late": Mechanism(
        "Send the load on time (the load generator, not the stack)",
        "the load generator",
        "the scenario's load: more users for its rate (load.users), or a lower rate",
        "the load worker's record of what it sent (load.json)",
    ),
    "error_budget": _BUDGET,
    "slo": _BUDGET,
    "probe": Mechanism(
        "Make the probed mechanism react in time",
        "the probed mechanism",
        "the mechanism the probe reads, and the probe itself (its reader, `reads:` condition and interval)",
        "a probe reading during the fault: the probe's endpoint or command answering",
    ),
    "regression": Mechanism(
        "Undo the regression against earlier runs",
        "what changed",
        "what changed since the runs compared with: the stack's version and configuration",
        "earlier runs that held, in the history (--history)",
    ),
}
"""By ExpectationResult.metric."""


def _mechanism(metric: str) -> Mechanism:
    return MECHANISMS.get(metric) or Mechanism(
        f"Meet the {metric} expectation", metric, f"the mechanism behind {metric}", "the evidence it names"
    )


def look_at(mechanism: Mechanism, reference: bool) -> str:
    """The reference stack's keys where it has some; the mechanism in words otherwise."""
    if reference and mechanism.keys:
        return f"{mechanism.words}: " + ", ".join(CONFIG_PREFIX + key for key in mechanism.keys.split())
    return mechanism.user


def _expectation_item(result: ExpectationResult, reference: bool) -> list[str]:
    mechanism = _mechanism(result.metric)
    if result.status == "not measured":
        return [f"Expose evidence for {result.name}: {mechanism.expose}", result.explanation,
                look_at(mechanism, reference)]  # fmt: skip
    observed = fmt_quantity(result.observed, result.unit)
    evidence = f"observed {observed}, threshold {result.threshold}: {result.explanation}"
    return [f"{mechanism.fix} ({result.name})", evidence, look_at(mechanism, reference)]


def action_items(summary: RunSummary) -> list[list[str]]:
    """Rows of Item | Evidence | Look at: the drill's own problems first (until fixed, it proves
    nothing), then the expectations in order, then per fault an SLO breach nothing detected (where no
    time_to_detect expectation already says so) and its runbook's unseen signals."""
    reference = summary.backend in (LOCAL.name, DOCKER.name)
    reach = f"what the {summary.backend} backend can reach"
    rows = [
        ["Fix the drill: apply and clear the fault as planned", problem,
         f"fault {fault.name} in the scenario (target, params) and {reach}"]
        for fault in summary.faults if (problem := fault.problem())
    ]  # fmt: skip
    rows += [_expectation_item(result, reference) for result in summary.failed]
    judged = {e.name for e in summary.expectations if e.metric == "time_to_detect"}
    for fault in summary.faults:
        if unnoticed(fault) and not any(name.startswith(f"time_to_detect: {fault.name} ") for name in judged):
            missed = fault.response.slo_missed_s if fault.response else 0.0
            evidence = f"the SLO missed for {fmt_seconds(missed)} and no detection signal was seen"
            look = look_at(MECHANISMS["time_to_detect"], reference)
            rows.append([f"Detect {fault.name}: add a signal and a time_to_detect", evidence, look])
        unseen = unseen_signals(fault)
        if unseen:
            evidence = f"expected {', '.join(unseen)}: not seen while the fault lasted"
            look = f"{fault.runbook}: its signals, or the alerting that should raise them"
            rows.append([f"Fix the runbook or the alerting for {fault.name}", evidence, look])
    return rows


def action_items_section(summary: RunSummary) -> Section | None:
    rows = action_items(summary)
    return Section("Action items", table=Table(["Item", "Evidence", "Look at"], rows)) if rows else None

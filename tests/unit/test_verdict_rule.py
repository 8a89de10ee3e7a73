"""The verdict rule: a fault that was not applied or not cleared as planned is never a pass.

Property over every fault kind: the injector is made to fail for real (the stack's nodes do not exist at
run time: the backend was never started), the timeline runs, and the run's verdict — computed from the
events the scheduler wrote, as `chaosdrill run` and `chaosdrill report` compute it — is `error`, exit 2,
naming the fault. Expectations that "passed" do not change that.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from faults.kinds import FAULT_KINDS
from harness.backends import make_backend
from harness.backends.local import LocalBackend
from harness.events import EventLog
from harness.journal import fault_records, read_jsonl
from harness.plan import resolve_plan
from harness.scenario.model import Scenario
from harness.scheduler import FaultScheduler
from harness.verify.results import ExpectationResult, FaultRecord
from harness.verify.verdict import EXIT_CODES, decide_verdict

PARAMS = {
    "latency": {"latency": "100ms"}, "bandwidth": {"rate_kbps": 64}, "slow_close": {"delay": "1s"},
    "slicer": {"average_size": 64}, "limit_data": {"bytes": 1024}, "error-burst": {}, "gpu-xid": {},
    "slowdown": {"factor": 3}, "gpu-throttle": {"factor": 3}, "gpu-oom": {"batch_size": 2},
    "cpu-squeeze": {"cpus": 0.2}, "memory-squeeze": {"memory": "64m"}, "canary-deploy": {},
    "bad-deploy": {}, "action": {"run": ["false"], "undo": {"run": ["true"]}},
}  # fmt: skip
MET = ExpectationResult("errors: rate < 1%", "errors", 0.0, "rate < 1%", "%", True, "met")
INJECTED_BY_THE_LOAD_WORKER = {"data-drift"}
"""Data drift is done by the load worker to what it sends; its injector only records the window."""


def one_fault_scenario(kind: str) -> Scenario:
    spec = FAULT_KINDS[kind]
    fault = {
        "name": f"the-{kind}",
        "kind": kind,
        "at": "1s",
        "duration": "2s",
        "params": PARAMS.get(kind, {}),
    }
    if spec.targeted:
        fault["target"] = "gpu-0"
    backend = "local" if spec.needs <= LocalBackend.capabilities else "docker"
    return Scenario.model_validate(
        {
            "name": "verdict",
            "stack": {"backend": backend},
            "load": {"users": 1, "duration": "5s"},
            "faults": [fault],
        }
    )


@pytest.mark.parametrize("kind", sorted(set(FAULT_KINDS) - INJECTED_BY_THE_LOAD_WORKER))
def test_a_fault_whose_injector_fails_makes_the_run_an_error(kind: str, tmp_path: Path) -> None:
    scenario = one_fault_scenario(kind)
    plan = resolve_plan(scenario)
    events = EventLog(tmp_path / "events.jsonl")
    scheduler = FaultScheduler(plan, make_backend(scenario, tmp_path), events)
    past = time.time() - 10  # the whole timeline is due now
    scheduler.run(past, past + 5, lambda: True)
    scheduler.clear_all()
    events.close()

    records = fault_records(plan, read_jsonl(tmp_path / "events.jsonl"))
    assert records[0].applied_at is None and records[0].error
    verdict, reason = decide_verdict(records, [MET], [], [])
    assert (verdict, EXIT_CODES[verdict]) == ("error", 2)
    assert reason is not None and reason.startswith(f"fault the-{kind} ({kind}) could not be applied: ")


def record(**state: object) -> FaultRecord:
    return FaultRecord(name="slow", kind="latency", targets=["gpu-0"], planned_at_s=1.0, planned_until_s=3.0,
                       **state)  # type: ignore[arg-type]  # fmt: skip


@pytest.mark.parametrize(
    ("state", "verdict", "reason"),
    [
        ({"applied_at": 1.0, "cleared_at": 3.0}, "pass", None),
        ({}, "error", "fault slow (latency) was never applied"),
        ({"applied_at": 1.0}, "error", "fault slow (latency) was never cleared"),
        ({"applied_at": 1.0, "cleared_at": 3.0, "clear_error": "toxic gone"},
         "error", "fault slow (latency) could not be cleared: toxic gone"),
        ({"error": "refused"}, "error", "fault slow (latency) could not be applied: refused"),
    ],
)  # fmt: skip
def test_a_pass_needs_every_fault_applied_and_cleared(state, verdict, reason) -> None:
    assert decide_verdict([record(**state)], [MET], [], []) == (verdict, reason)


def test_interrupted_wins_and_names_what_went_wrong_but_not_what_was_never_reached() -> None:
    never_reached, refused = record(), record(error="refused")
    assert decide_verdict([never_reached], [MET], ["interrupted by SIGINT during the drill"], []) == (
        "incomplete", "interrupted by SIGINT during the drill",
    )  # fmt: skip
    verdict, reason = decide_verdict([refused], [MET], ["interrupted by SIGTERM during teardown"], ["boom"])
    assert verdict == "incomplete"
    assert (
        reason
        == "interrupted by SIGTERM during teardown; boom; fault slow (latency) could not be applied: refused"
    )


def test_a_fault_left_applied_is_named_even_in_an_interrupted_run() -> None:
    stuck = record(applied_at=1.0, cleared_at=2.0, clear_error="proxy gone")
    assert decide_verdict([stuck], [MET], ["interrupted by SIGINT during the drill"], []) == (
        "incomplete",
        "interrupted by SIGINT during the drill; fault slow (latency) could not be cleared: proxy gone",
    )


def test_a_harness_error_is_an_error_even_if_every_expectation_passed() -> None:
    assert decide_verdict([record()], [MET], [], ["load worker exited with code 1"]) == (
        "error", "load worker exited with code 1",
    )  # fmt: skip


def test_expectations_decide_only_a_run_that_went_as_planned() -> None:
    failed = ExpectationResult("errors: rate < 1%", "errors", 5.0, "rate < 1%", "%", False, "NOT met")
    done = record(applied_at=1.0, cleared_at=3.0)
    assert decide_verdict([done], [MET, failed], [], []) == ("fail", None)
    assert decide_verdict([done], [], [], []) == ("pass", None)
    assert EXIT_CODES == {"pass": 0, "fail": 1, "halted": 1, "error": 2, "incomplete": 130}

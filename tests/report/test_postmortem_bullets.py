"""What went well, what went wrong and where we got lucky: each rule firing, and not firing where it must not,
on passed, failed, halted and error runs."""

from __future__ import annotations

import pandas as pd

from harness.report.postmortem import postmortem_sections
from harness.report.view import verdict_reason
from harness.verify.results import RunSummary
from tests.report.postmortem_data import RUNBOOK, fault, not_measured, response, result, run


def _bullets(summary: RunSummary) -> dict[str, list[str]]:
    """Each bulleted postmortem section present, by title."""
    sections = postmortem_sections(summary, verdict_reason(summary), pd.DataFrame(), pd.DataFrame())
    return {s.title: s.bullets for s in sections if s.bullets}


HELD = {"recovery_s": 0.0, "response": response(slo_held=True, slo_missed_s=0.0)}


def test_a_clean_drill_went_well_and_nothing_else_is_said() -> None:
    summary = run(
        [fault(), fault("slow", **HELD)],
        [result("recovery_time: kill-gpu <= 5s", "recovery_time", True, 4.0, "<= 5s")],
    )
    assert _bullets(summary) == {
        "What went well": [
            "Expectations met, 1 of 1: recovery_time: kill-gpu <= 5s.",
            "kill-gpu: detected +0.80s by breaker_open on gpu-1; mitigated +1.20s by failover "
            "(breaker_open on gpu-1); recovered after 4.00s (limit <= 5s).",
            "slow: detected +0.80s by breaker_open on gpu-1; mitigated +1.20s by failover "
            "(breaker_open on gpu-1); SLO held throughout.",
            "Every fault (2) was applied and cleared as planned.",
        ]
    }


def test_only_what_met_its_limit_went_well() -> None:
    """A detection over its time_to_detect limit is no success; a recovery without a limit is no claim."""
    summary = run(
        [fault()],
        [result("time_to_detect: kill-gpu <= 0.5s", "time_to_detect", False, 0.8, "<= 0.5s")],
    )
    [per_fault] = [b for b in _bullets(summary)["What went well"] if b.startswith("kill-gpu")]
    assert per_fault == "kill-gpu: mitigated +1.20s by failover (breaker_open on gpu-1)."
    summary = run([fault(response=response(detected_s=None, mitigated_s=None))])
    assert _bullets(summary)["What went well"] == ["Every fault (1) was applied and cleared as planned."]


def test_the_slo_breaking_unnoticed_goes_wrong_even_in_a_passing_run() -> None:
    summary = run([fault(response=response(detected_s=None))])
    assert summary.verdict == "pass"
    assert _bullets(summary)["What went wrong"] == [
        "kill-gpu: the SLO broke (missed for 2.0s) and no detection signal was seen (stack state)."
    ]
    blind = run([fault(response=response(detected_s=None, signal_sources=[]))])
    assert _bullets(blind)["What went wrong"] == [
        "kill-gpu: the SLO broke (missed for 2.0s) and nothing could show the stack's reaction "
        "(no signal source)."
    ]
    held_unseen = run(
        [fault(recovery_s=0.0, response=response(detected_s=None, slo_held=True, slo_missed_s=0))]
    )
    assert "What went wrong" not in _bullets(held_unseen)


def test_unseen_runbook_signals_go_wrong() -> None:
    seen = {"breaker_open": 0.8, "ejected": None}
    record = fault(
        runbook=RUNBOOK, runbook_signals=["breaker_open", "ejected"], response=response(signals_seen=seen)
    )
    assert _bullets(run([record]))["What went wrong"] == [
        f"kill-gpu: runbook signals not seen while the fault lasted: ejected (1 of 2; {RUNBOOK})."
    ]
    all_seen = fault(runbook=RUNBOOK, runbook_signals=["breaker_open"], response=response(signals_seen=seen))
    assert "What went wrong" not in _bullets(run([all_seen]))


def test_a_failed_run_keeps_the_decisive_order() -> None:
    """Failed expectations, then the faults' own trouble, then the stack's blind spots."""
    summary = run(
        [fault("never", recovery_s=None, response=response(detected_s=None)),
         fault("late", recovery_s=None, response=response(recovery_unconfirmed_s=6.0))],
        [not_measured("breaker_opened: never <= 2s", "breaker_opened", "no /admin/state")],
    )  # fmt: skip
    assert _bullets(summary)["What went wrong"] == [
        "breaker_opened: never <= 2s: not measured: no /admin/state (observed n/a, threshold <= 2s)",
        "After fault never (node_kill) the SLI never came back within the SLO.",
        "After fault late (node_kill) the SLO was back only 6.00s after the injection, too late in the run "
        "to confirm a recovery.",
        "never: the SLO broke (missed for 2.0s) and no detection signal was seen (stack state).",
    ]


def test_halted_and_error_runs_say_so_first_and_claim_no_clean_drill() -> None:
    skipped = fault(
        "second", applied_at=None, cleared_at=None, recovery_s=None, response=None, skipped="halt"
    )
    halted = run([fault(), skipped], verdict="halted", reason="errors 40% > 10% over 5s")
    bullets = _bullets(halted)
    assert bullets["What went wrong"][0] == (
        "A safety halt stopped the drill and reverted every fault: errors 40% > 10% over 5s."
    )
    assert not any(b.startswith("Every fault") for b in bullets["What went well"])
    refused = fault(applied_at=None, cleared_at=None, recovery_s=None, response=None, error="proxy refused")
    error = run([refused], verdict="error", reason="fault kill-gpu could not be applied")
    bullets = _bullets(error)
    assert bullets["What went wrong"][:2] == [
        "The drill did not run as planned, so it proves nothing: fault kill-gpu could not be applied.",
        "Fault kill-gpu (node_kill) went wrong in the harness: proxy refused",
    ]
    assert "What went well" not in bullets


def test_luck_a_fault_hitting_a_replica_with_little_traffic() -> None:
    quiet = fault(response=response(target_share_before=0.05, fair_share=1 / 3))
    assert _bullets(run([quiet]))["Where we got lucky"] == [
        "kill-gpu hit gpu-1, which served 5% of answers before it (fair share 33%)."
    ]
    for share in (0.2, None):  # 20% is more than half of a fair 33%; None: not known
        busy = fault(response=response(target_share_before=share, fair_share=1 / 3))
        assert "Where we got lucky" not in _bullets(run([busy]))


def test_luck_the_slo_held_but_the_stack_never_reacted() -> None:
    unreacting = fault(recovery_s=0.0, response=response(detected_s=None, mitigated_s=None, slo_held=True))
    assert _bullets(run([unreacting]))["Where we got lucky"] == [
        "kill-gpu: the SLO held, but no detection or mitigation was seen: the stack did not react; it "
        "absorbed the fault or the fault missed the traffic."
    ]
    reacting = fault(**HELD)
    blind = fault(recovery_s=0.0, response=response(detected_s=None, mitigated_s=None, slo_held=True,
                                                    signal_sources=[]))  # fmt: skip
    broken = fault(response=response(detected_s=None, mitigated_s=None))
    for record in (reacting, blind, broken):
        assert "Where we got lucky" not in _bullets(run([record])), record.response


def test_luck_only_the_drill_clearing_the_fault_ended_it() -> None:
    """Injected at +20.3 s, cleared at +35.2 s: a recovery 15 s after the injection came with the clearing."""
    unmitigated = response(mitigated_s=None, mitigated_by=None)
    assert _bullets(run([fault(recovery_s=15.0, response=unmitigated)]))["Where we got lucky"] == [
        "kill-gpu: the SLO came back after 15.00s, only once the drill had cleared the fault, and nothing "
        "mitigated it before: in production nothing would have ended it."
    ]
    for record in (
        fault(recovery_s=15.0),  # a failover was seen: the SLO coming back late is the stack's doing
        fault(recovery_s=4.0, response=unmitigated),  # back before the clearing
        fault(recovery_s=None, response=unmitigated),  # never back: that went wrong, it was no luck
    ):
        assert "Where we got lucky" not in _bullets(run([record]))


def test_sections_without_anything_to_say_are_left_out() -> None:
    assert list(_bullets(run([fault(response=None)]))) == ["What went well"]
    assert [s.title for s in postmortem_sections(run([]), "", pd.DataFrame(), pd.DataFrame())] == []

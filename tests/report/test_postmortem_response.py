"""The "Response per fault" table: trigger, detection, mitigation, recovery, user impact and runbook per
fault, in numbers, and the rows a reader must not miss highlighted."""

from __future__ import annotations

from harness.report.document import Table
from harness.report.postmortem import response_section
from harness.verify.results import FaultRecord
from tests.report.postmortem_data import PROBE_SIGNAL, RUNBOOK, fault, response, run
from tests.report.report_data import LOAD_START


def _table(*faults: FaultRecord) -> Table:
    section = response_section(run(list(faults)))
    assert section is not None and section.table is not None
    return section.table


def _cells(record: FaultRecord) -> dict[str, str]:
    table = _table(record)
    return dict(zip(table.headers, table.rows[0], strict=True))


def test_a_noticed_and_mitigated_fault_reads_in_numbers() -> None:
    assert _cells(fault()) == {
        "Fault": "kill-gpu",
        "Trigger": "node_kill on gpu-1 at +20.3s",
        "Detected": "+0.80s: breaker_open on gpu-1",
        "Mitigated": "+1.20s: failover (breaker_open on gpu-1)",
        "Recovered": "after 4.00s",
        "User impact": "12 failed, 3 slow, 0 degraded of 450 requests; SLO missed for 2.0s "
        "(0.03 error-budget minutes)",
        "Runbook": "—",
    }


def test_nothing_seen_is_told_apart_from_nothing_observable() -> None:
    unseen = _cells(fault(response=response(detected_s=None, mitigated_s=None)))
    assert (unseen["Detected"], unseen["Mitigated"]) == ("not seen", "not seen")
    blind = _cells(fault(response=response(signal_sources=[], detected_s=None, mitigated_s=None)))
    assert blind["Detected"] == blind["Mitigated"] == "not observable (no signal source)"


def test_recovery_says_when_the_slo_held_came_back_late_or_never() -> None:
    held = fault(response=response(slo_held=True, slo_missed_s=0.0), recovery_s=0.0)
    assert _cells(held)["Recovered"] == "SLO held throughout"
    assert _cells(held)["User impact"] == "12 failed, 3 slow, 0 degraded of 450 requests; SLO not missed"
    late = fault(recovery_s=None, response=response(recovery_unconfirmed_s=5.0))
    assert _cells(late)["Recovered"] == "unconfirmed: SLO back after ≥ 5.00s when the run ended"
    assert _cells(fault(recovery_s=None))["Recovered"] == "never"


def test_a_fault_that_did_not_happen_as_planned_says_so_in_its_trigger() -> None:
    refused = fault(applied_at=None, cleared_at=None, recovery_s=None, response=None, error="proxy refused")
    assert [_cells(refused)[c] for c in ("Trigger", "Detected", "Recovered", "User impact")] == [
        "not applied: proxy refused",
        "n/a",
        "n/a",
        "n/a",
    ]
    skipped = fault(applied_at=None, cleared_at=None, response=None, skipped="halted first")
    assert _cells(skipped)["Trigger"] == "skipped (halt)"
    stuck = fault(clear_error="container gone")
    assert _cells(stuck)["Trigger"] == "node_kill on gpu-1 at +20.3s; not cleared: container gone"
    assert _cells(fault(cleared_at=None))["Trigger"].endswith("; never cleared")


def test_the_runbook_cell_lists_each_signal_seen_or_not() -> None:
    signals = ["breaker_open", PROBE_SIGNAL]
    seen = {"breaker_open": 0.8, PROBE_SIGNAL: None}
    record = fault(runbook=RUNBOOK, runbook_signals=signals, response=response(signals_seen=seen))
    assert _cells(record)["Runbook"] == (
        f"{RUNBOOK}; signals seen 1 of 2: breaker_open +0.80s; probe gpu-alert == 1 not seen"
    )
    assert _cells(fault(runbook=RUNBOOK))["Runbook"] == RUNBOOK
    unchecked = fault(runbook=RUNBOOK, runbook_signals=signals, response=None)
    assert _cells(unchecked)["Runbook"] == f"{RUNBOOK}; signals not checked"


def test_rows_to_act_on_are_highlighted_and_no_others() -> None:
    table = _table(
        fault("fine"),
        fault("unnoticed", response=response(detected_s=None)),
        fault("never-back", recovery_s=None),
        fault("refused", applied_at=None, cleared_at=None, response=None, error="proxy refused"),
        fault("skipped", applied_at=None, cleared_at=None, response=None, skipped="halted first"),
        fault(
            "held-unseen", recovery_s=0.0, response=response(detected_s=None, slo_held=True, slo_missed_s=0)
        ),
        fault("blind", response=response(signal_sources=[], detected_s=None)),
    )
    highlighted = {table.rows[i][0] for i in table.highlighted}
    assert highlighted == {"unnoticed", "never-back", "refused", "blind"}


def test_a_summary_from_before_the_analysis_still_renders() -> None:
    """No response: the analysis' cells read n/a, the recovery comes from the record itself."""
    cells = _cells(fault(response=None))
    assert cells["Detected"] == cells["Mitigated"] == cells["User impact"] == "n/a"
    assert cells["Recovered"] == "after 4.00s"
    assert _table(fault(response=None)).highlighted == frozenset()


def test_trigger_times_are_from_load_start_and_no_faults_no_table() -> None:
    record = fault(applied_at=LOAD_START + 7.31)
    assert _cells(record)["Trigger"] == "node_kill on gpu-1 at +7.3s"
    assert response_section(run([])) is None

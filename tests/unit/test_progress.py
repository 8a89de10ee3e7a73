"""The live view's pieces on synthetic runs: the sample tail (a growing file, a line half written, the
window moving on), the fault marks from lifecycle events, the SLO state and the plain line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.load.samples import SAMPLE_COLUMNS
from harness.plan import resolve_plan
from harness.progress.render import plain_line, slo_state
from harness.progress.state import RunProgress
from harness.progress.tail import SampleTail, WindowFigures
from harness.scenario.model import Scenario, SloSpec

HEADER = ",".join(SAMPLE_COLUMNS) + "\n"


def row(t_start: float, latency_ms: float, ok: int = 1) -> str:
    status = 200 if ok else 503
    return f"{t_start - 0.001:.6f},{t_start:.6f},{latency_ms:.3f},{status},{ok},,gpu-0,v1,1,0,0,\n"


def test_the_tail_reads_whole_lines_as_they_come_and_keeps_only_the_window(tmp_path: Path):
    samples = tmp_path / "samples.csv"
    tail = SampleTail(samples, window_s=5.0, percentile=50)
    assert tail.read() == WindowFigures(5.0, 0, 0, None)  # no file yet
    samples.write_text(HEADER + row(100.0, 10) + row(101.0, 30, ok=0) + row(102.0, 20)[:15])
    assert tail.read() == WindowFigures(5.0, 2, 1, 20.0)  # the cut line waits
    with samples.open("a") as more:
        more.write(row(102.0, 20)[15:] + row(106.5, 40))
    # the newest done at 106.54: 100.01 and 101.03 ended more than 5 s before it, 102.02 did not
    assert tail.read() == WindowFigures(5.0, 2, 0, 30.0)
    figures = tail.read()
    assert (figures.per_second, figures.error_rate) == (0.4, 0.0)


def test_a_text_column_with_commas_does_not_shift_the_figures(tmp_path: Path):
    samples = tmp_path / "samples.csv"
    line = row(100.0, 12).rstrip("\n").rsplit(",", 1)[0] + ',"[0.1, 0.9]"\n'
    samples.write_text(HEADER + line)
    assert SampleTail(samples, 5.0, 99).read() == WindowFigures(5.0, 1, 0, 12.0)


SLO = SloSpec(availability="99%", latency="p(99) < 200ms")


@pytest.mark.parametrize(
    ("figures", "state"),
    [
        (WindowFigures(5.0, 100, 0, 150.0), "SLO met"),
        (WindowFigures(5.0, 100, 1, 150.0), "SLO met"),
        (WindowFigures(5.0, 100, 2, 150.0), "SLO broken: availability 98.0% < 99.0%"),
        (WindowFigures(5.0, 100, 0, 200.0), "SLO broken: p99 200 ms"),
        (WindowFigures(5.0, 100, 5, 900.0), "SLO broken: availability 95.0% < 99.0%, p99 900 ms"),
        (WindowFigures(5.0, 0, 0, None), "no requests"),
    ],
)
def test_the_slo_state_of_the_last_window(figures: WindowFigures, state: str):
    assert slo_state(figures, SLO) == state


def test_fault_marks_follow_the_lifecycle_events():
    scenario = Scenario.model_validate({
        "name": "marks", "load": {"users": 1, "duration": "20s"},
        "faults": [{"name": "slow", "kind": "latency", "target": "gpu-0", "at": "5s", "duration": "5s",
                    "params": {"latency": "100ms"}},
                   {"name": "kill", "kind": "node-kill", "target": "cpu-0", "at": "12s"}],
    })  # fmt: skip
    progress = RunProgress.of(resolve_plan(scenario))
    figures = WindowFigures(5.0, 50, 0, 20.0)
    line = plain_line(progress, figures, scenario.slo, now=0.0)
    assert line == (
        "chaosdrill: 0s/20s starting the stack; last 5s: 10 req/s, errors 0.0%, p99 20 ms, SLO met; "
        "faults: slow at 5s; kill at 12s"
    )
    for event, t, fault in [("load_started", 1000.0, None), ("fault_applied", 1005.1, "slow"),
                            ("fault_cleared", 1010.2, "slow"), ("fault_error", 1012.0, "kill")]:  # fmt: skip
        progress.on_event({"event": event, "t": t, **({"fault": fault, "error": "refused"} if fault else {})})
    assert plain_line(progress, figures, scenario.slo, now=1013.0).endswith(
        "13s/20s drilling; last 5s: 10 req/s, errors 0.0%, p99 20 ms, SLO met; "
        "faults: slow 5.1s-10.2s; kill ERROR"
    )
    assert progress.elapsed_s(now=1100.0) == 20.0  # never past the planned load

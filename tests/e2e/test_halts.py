"""Safety halts in real drills: the reference stack, real load, the real proxy, the real CLI.

A fault that takes every replica down on a stack without fallback breaks it: the error-rate halt fires,
the fault is reverted within one evaluation period (from events.jsonl), the fault still to come is
skipped, the load ends `observe` after the halt, and the verdict is `halted` (exit 1). The same drill
with `--no-halt` runs to its planned end; the same fault on the resilient stack (its fallback answers)
never meets the condition; an operator's file halts a drill when it appears.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.drills import Run, chaosdrill, events_of, scenario, start_drill, wait_for_event, write_scenario

pytestmark = pytest.mark.slow

EVERY_S = 1.0
SLACK_S = 0.25
"""The scheduler acts on a halt at its next tick (20 ms); the rest is a loaded 2-core machine."""
ALL_DOWN = {"name": "all-down", "kind": "down", "at": "3s", "duration": "8s",
            "target": {"labels": {}, "percent": 100}}  # fmt: skip
LATER = {"name": "later", "kind": "latency", "at": "12s", "duration": "2s", "target": "gpu-0",
         "params": {"latency": "100ms"}}  # fmt: skip
ERRORS = {"errors": "rate > 30%", "over": "2s"}


def halting(name: str, profile: str, *conditions: dict[str, Any]) -> dict[str, Any]:
    halt = {"every": f"{EVERY_S}s", "observe": "4s", "when": list(conditions)}
    return scenario(name, [ALL_DOWN, LATER], {}, profile=profile, duration="15s", safety={"halt": halt})


def run(tmp_path: Path, data: dict[str, Any], *args: str) -> Run:
    run_dir = tmp_path / "run"
    result = chaosdrill("run", str(write_scenario(tmp_path, data)), "--out", str(run_dir), *args, timeout=180)
    return Run(result.returncode, result.stdout, result.stderr, run_dir)


def at(events: list[dict], name: str, fault: str | None = None) -> float:
    return next(float(e["t"]) for e in events if e["event"] == name and e.get("fault", fault) == fault)


def test_a_drill_that_breaks_the_stack_halts_and_reverts_within_one_period(tmp_path: Path) -> None:
    drill = run(tmp_path, halting("halt-breaks", "fragile", ERRORS))
    assert drill.code == 1, drill.stdout + drill.stderr
    assert drill.stdout.startswith("HALTED: halt-breaks"), drill.stdout
    events = drill.events
    halted = next(e for e in events if e["event"] == "halted")
    assert halted["condition"] == "errors rate > 30% over 2s"
    applied, cleared = at(events, "fault_applied", "all-down"), at(events, "fault_cleared", "all-down")
    assert applied < float(halted["t"]) <= applied + 2 + EVERY_S + SLACK_S  # 2 s of errors fill the window
    assert 0 <= cleared - float(halted["t"]) <= EVERY_S + SLACK_S
    assert cleared - applied < 8 - 2  # reverted well before its planned end
    assert [e["fault"] for e in events if e["event"] == "fault_skipped"] == ["later"]
    load_time = at(events, "load_stopped") - at(events, "load_started")
    assert load_time < 15 - 1  # the load was cut at halt + observe, not run to its end
    summary = drill.summary
    assert summary["verdict"] == "halted"
    assert summary["incomplete_reason"].startswith("halted at ")
    assert summary["resilience"]["run"]["value"] is None
    [later] = [f for f in summary["faults"] if f["name"] == "later"]
    assert later["skipped"] and later["applied_at"] is None
    assert "**Verdict: HALTED**" in (drill.run_dir / "report.md").read_text()
    assert '<testcase name="safety halt"' in (drill.run_dir / "junit.xml").read_text()


def test_with_no_halt_the_same_drill_runs_to_its_end(tmp_path: Path) -> None:
    drill = run(tmp_path, halting("halt-off", "fragile", ERRORS), "--no-halt")
    assert drill.code == 0, drill.stdout + drill.stderr  # no expectations: the drill ran as planned
    assert "safety halts were off (--no-halt)" in drill.stdout
    events = drill.events
    assert not [e for e in events if e["event"] in ("halted", "fault_skipped")]
    assert at(events, "fault_cleared", "all-down") - at(events, "fault_applied", "all-down") >= 8 - SLACK_S
    assert at(events, "fault_applied", "later")
    assert drill.summary["slo"]["success_ratio"] < 0.8  # it did break the stack: the halt would have fired


def test_a_stack_that_holds_is_not_halted(tmp_path: Path) -> None:
    drill = run(tmp_path, halting("halt-holds", "resilient", ERRORS))
    assert drill.code == 0, drill.stdout + drill.stderr
    assert not [e for e in drill.events if e["event"] == "halted"]
    assert drill.summary["verdict"] == "pass"


def test_an_operator_file_halts_the_drill(tmp_path: Path) -> None:
    flag = tmp_path / "STOP"
    data = halting("halt-file", "resilient", {"file": str(flag)})
    process, run_dir = start_drill(tmp_path, data, "--quiet")
    try:
        wait_for_event(run_dir, "fault_applied", timeout=60)
        time.sleep(1.0)
        assert not [e for e in events_of(run_dir) if e["event"] == "halted"]  # no file, no halt
        touched = time.time()
        flag.touch()
        stdout, stderr = process.communicate(timeout=120)
    finally:
        process.kill()
    assert process.returncode == 1, stdout + stderr
    events = events_of(run_dir)
    halted = next(e for e in events if e["event"] == "halted")
    assert halted["condition"] == f"file {flag} exists"
    assert touched <= float(halted["t"]) <= touched + EVERY_S + SLACK_S
    assert 0 <= at(events, "fault_cleared", "all-down") - float(halted["t"]) <= EVERY_S + SLACK_S

"""A run's record: faults that did not happen are errors, run directories never mix runs, any run directory
can be reported again, and `cleanup` removes what killed runs left on a shared Toxiproxy, nothing else."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from toxiproxy import Toxiproxy

from tests.e2e.drills import (
    REPO,
    Run,
    assert_all_gone,
    chaosdrill,
    run_drill,
    scenario,
    start_drill,
    wait_for_event,
    write_scenario,
)

pytestmark = pytest.mark.slow

MET = {"errors": ["rate < 100%"]}
"""An expectation any run with requests meets: what must decide the verdict here is the fault."""
NODES = ("canary-0", "cpu-0", "cpu-1", "gpu-0", "gpu-1")
"""The reference stack's default replicas and canary slot: one proxy link each."""


def test_a_fault_the_stack_refuses_is_an_error_never_a_pass(tmp_path: Path) -> None:
    """Regression: a fault never applied (only a `fault_error` event) gave PASS and exit 0."""
    refused = {"name": "throttle", "kind": "slowdown", "at": "1s", "duration": "2s", "target": "gpu-0",
               "params": {"factor": 5000}}  # fmt: skip  # the model server caps slowdowns at 1000x
    run = run_drill(tmp_path, scenario("refused", [refused], MET, duration="4s"))
    assert run.code == 2, run.stdout + run.stderr
    assert run.stdout.startswith("ERROR: refused")
    assert "why: fault throttle (slowdown) could not be applied: HTTPStatusError" in run.stdout
    assert run.stderr.startswith("chaosdrill: error: fault throttle (slowdown) could not be applied")
    assert run.summary["verdict"] == "error" and run.expectation("errors: rate < 100%")["passed"]
    report = (run.run_dir / "report.md").read_text()
    assert "**Verdict: ERROR**" in report and "could not be applied" in report
    assert 'type="error"' in (run.run_dir / "junit.xml").read_text()


def test_run_directories_are_never_shared_and_any_run_can_be_reported_again(tmp_path: Path) -> None:
    data = scenario("records", [], MET, duration="3s")
    first = run_drill(tmp_path, data)
    assert first.code == 0, first.stdout + first.stderr
    run_info = json.loads((first.run_dir / "run.json").read_text())
    assert first.summary["run_id"] == run_info["run_id"] and len(run_info["run_id"]) == 8

    before = (first.run_dir / "summary.json").read_text()
    (first.run_dir / "summary.json").unlink()
    (first.run_dir / "report.md").unlink()
    again = chaosdrill("report", str(first.run_dir))
    assert again.returncode == 0 and again.stdout.startswith("PASS: records"), again.stdout + again.stderr
    rewritten = json.loads((first.run_dir / "summary.json").read_text())
    assert {k: v for k, v in rewritten.items() if k != "finished_at"} == {
        k: v for k, v in json.loads(before).items() if k != "finished_at"
    }
    assert (first.run_dir / "report.md").exists()

    # Regression: re-using --out mixed an older run's summary and report with new samples.
    scenario_path = write_scenario(tmp_path, data)
    refused = chaosdrill("run", str(scenario_path), "--out", str(first.run_dir))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert (first.run_dir / "run.json").read_text() == json.dumps(run_info, indent=2)  # untouched

    forced = chaosdrill("run", str(scenario_path), "--out", str(first.run_dir), "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert json.loads((first.run_dir / "run.json").read_text())["run_id"] != run_info["run_id"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("x"), "exists and is not a directory"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "not empty"),
    ],
)
def test_bad_out_directories_are_refused_before_anything_starts(tmp_path: Path, make, message: str) -> None:
    out = tmp_path / "out"
    make(out)
    path = write_scenario(tmp_path, scenario("outdir", [], MET))
    for extra in ([], ["--force"]):
        result = chaosdrill("run", str(path), "--out", str(out), *extra)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr.startswith(f"chaosdrill: error: --out {out}: ")
        assert message in result.stderr or "not a chaosdrill run directory" in result.stderr
    assert not out.is_dir() or [p.name for p in out.iterdir()] == ["notes.txt"]  # --force never empties it


def test_a_sigkilled_run_is_reported_as_incomplete(tmp_path: Path) -> None:
    slow = {"name": "slow", "kind": "latency", "at": "1s", "duration": "10s", "target": "cpu-0",
            "params": {"latency": "20ms"}}  # fmt: skip
    process, run_dir = start_drill(tmp_path, scenario("killed", [slow], MET, duration="15s"))
    wait_for_event(run_dir, "fault_applied")
    process.kill()
    process.communicate(timeout=10)
    assert_all_gone(Run(0, "", "", run_dir).child_pids(), timeout=15)
    result = chaosdrill("report", str(run_dir))
    assert result.returncode == 130, result.stdout + result.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["verdict"] == "incomplete" and "no teardown was recorded" in summary["incomplete_reason"]
    assert summary["slo"]["requests"] > 0  # the samples written before the kill are verified
    assert "INCOMPLETE" in (run_dir / "report.md").read_text()


def test_report_of_a_directory_that_is_no_run_is_one_line(tmp_path: Path) -> None:
    result = chaosdrill("report", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == f"chaosdrill: error: {tmp_path}: not a chaosdrill run directory (no run.json)\n"


def test_cleanup_removes_a_killed_runs_proxies_and_toxics_but_not_a_live_runs(
    tmp_path: Path, toxiproxy_process: tuple[subprocess.Popen[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: SIGKILL with an external Toxiproxy left its proxies listening with a latency toxic on."""
    monkeypatch.setenv("CHAOSDRILL_STATE_DIR", str(tmp_path / "state"))
    _, url = toxiproxy_process
    client = Toxiproxy()
    client.update_api_consumer("127.0.0.1", int(url.rsplit(":", 1)[1]))
    slow = {"name": "slow", "kind": "latency", "at": "1s", "duration": "20s", "target": "cpu-0",
            "params": {"latency": "20ms"}}  # fmt: skip
    long_name = "a-scenario-name-long-enough-to-make-proxy-names-collide-before-i"  # 64: the most allowed
    (tmp_path / "dead").mkdir()
    (tmp_path / "live").mkdir()
    dead, dead_dir = start_drill(tmp_path / "dead", scenario(long_name, [slow], MET, duration="25s",
                                                           toxiproxy={"url": url}))  # fmt: skip
    wait_for_event(dead_dir, "fault_applied")
    dead.send_signal(signal.SIGKILL)
    dead.communicate(timeout=10)
    dead_id = json.loads((dead_dir / "run.json").read_text())["run_id"]
    left = client.proxies()
    assert sorted(left) == [f"chaosdrill-{dead_id}-{n}" for n in NODES]
    assert [t.name for t in left[f"chaosdrill-{dead_id}-cpu-0"].toxics().values()] == ["chaosdrill-slow"]

    live, live_dir = start_drill(tmp_path / "live", scenario(long_name, [], MET, duration="12s",
                                                           toxiproxy={"url": url}))  # fmt: skip
    wait_for_event(live_dir, "load_started")
    live_id = json.loads((live_dir / "run.json").read_text())["run_id"]
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "cleanup"], cwd=REPO, capture_output=True, text=True,
        timeout=60, env=os.environ,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"removed proxy chaosdrill-{dead_id}-cpu-0 on {url}" in result.stdout
    assert sorted(client.proxies()) == [f"chaosdrill-{live_id}-{n}" for n in NODES]
    stdout, stderr = live.communicate(timeout=60)
    assert live.returncode == 0, stdout + stderr  # the live run never noticed
    assert client.proxies() == {}


def test_a_harness_crash_while_verifying_is_an_error_with_its_traceback_and_a_report(tmp_path: Path) -> None:
    """Run files the harness cannot digest: exit 2, one line, the traceback and a report kept."""
    run = run_drill(tmp_path, scenario("crashy", [], {"errors": ["rate < 100%"]}, duration="3s"))
    assert run.code == 0, run.stdout + run.stderr

    garbled_state = tmp_path / "garbled-state"
    shutil.copytree(run.run_dir, garbled_state)
    (garbled_state / "stack_state.jsonl").write_text('{"polled_at": "not a time", "replicas": 7}\n' * 2)
    (garbled_state / "summary.json").unlink()
    result = chaosdrill("report", str(garbled_state))
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "the report could not be rendered: TypeError" in result.stderr
    assert "report-error.txt" in result.stderr
    assert "Traceback" in (garbled_state / "report-error.txt").read_text()
    assert json.loads((garbled_state / "summary.json").read_text())["verdict"] == "error"
    assert "**Verdict: ERROR**" in (garbled_state / "report.md").read_text()

    garbled_samples = tmp_path / "garbled-samples"
    shutil.copytree(run.run_dir, garbled_samples)
    (garbled_samples / "samples.csv").write_text("t_intended,latency_ms\nsoon,fast\n")
    result = chaosdrill("report", str(garbled_samples))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(f"chaosdrill: error: {garbled_samples / 'samples.csv'}: ")


def test_an_expectation_on_a_header_the_stack_never_sent_is_not_measured(tmp_path: Path) -> None:
    """Regression: without X-Degraded, `degraded: rate < 1%` PASSED ("0.000% over 2,000 requests")."""
    run = run_drill(tmp_path, scenario("headers", [], {"degraded": ["rate < 1%"]}, duration="3s"))
    assert run.code == 0, run.stdout + run.stderr
    foreign = tmp_path / "foreign"
    shutil.copytree(run.run_dir, foreign)
    samples = (foreign / "samples.csv").read_text().splitlines()
    column = samples[0].split(",").index("degraded")
    rows = [row.split(",") for row in samples[1:]]
    for row in rows:
        row[column] = "-1"  # what the load worker records for a response without the header
    (foreign / "samples.csv").write_text("\n".join([samples[0], *(",".join(r) for r in rows)]) + "\n")
    result = chaosdrill("report", str(foreign))
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"NOT MEASURED degraded: rate < 1%: not measured: no header X-Degraded on any of {len(rows):,}"
        in (result.stdout)
    )
    assert json.loads((foreign / "summary.json").read_text())["expectations"][0]["status"] == "not measured"

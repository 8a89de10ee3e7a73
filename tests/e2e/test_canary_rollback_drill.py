"""A canary drill on a user's stack (scenarios/examples/processes_canary_rollback): MLflow scoring servers
for v1 and a bad v2 behind Debian's HAProxy, and the user's own rollout controller, which an `action`
asks to deploy v2. The rollback is verified from HAProxy's own weight (a Prometheus probe), from the
version each answer names (X-Model-Version, set by HAProxy) and from the controller's state; the drill
passes with the controller's canary analysis and fails, naming the rollback, without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.backends.processes import ManagedProcess, free_port
from harness.backends.readiness import wait_until_ready
from harness.load.samples import read_samples
from tests.e2e.drills import REPO, Run, assert_all_gone, chaosdrill, run_scenario_file
from tests.probes.haproxy import Haproxy, running_haproxy

EXAMPLE_DIR = REPO / "scenarios" / "examples" / "processes_canary_rollback"
EXAMPLE = "examples/processes_canary_rollback/scenario.yaml"
BY_WEIGHT = "rollback: deploy-v2 <= 5s (probe canary-weight == 0)"
BY_ANSWERS = "rollback: deploy-v2 <= 5s (answers from v2)"
BY_STATE = "probe rollout: == rolled_back within 5s of deploy-v2's start, and holds"
ERRORS = "errors: rate < 3%"
BLUE_GREEN = "examples/processes_canary_rollback/blue_green.yaml"
SWITCHED = "probe green-weight: == 100 within 2s of switch-to-green's start"


@pytest.fixture(scope="module")
def canary_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model-v1/ and model-v2/, trained by the example's own script."""
    folder = tmp_path_factory.mktemp("canary-models")
    argv = [sys.executable, str(EXAMPLE_DIR / "train.py"), str(folder)]
    subprocess.run(argv, check=True, timeout=180, capture_output=True)
    return folder


@pytest.fixture
def canary_env(monkeypatch: pytest.MonkeyPatch, canary_models: Path) -> None:
    """What the example reads from the environment: the models, and `mlflow` and `python3` on PATH, from
    this Python's installation."""
    monkeypatch.setenv("CANARY_MODELS", str(canary_models))
    monkeypatch.delenv("CANARY_ANALYSIS", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))


def assert_deployed_and_undone(run: Run) -> None:
    """The action was applied and cleared (its undo, the controller's /rollback, answered), and nothing the
    drill started is left."""
    [fault] = run.summary["faults"]
    assert (fault["name"], fault["kind"]) == ("deploy-v2", "action")
    assert fault["applied_at"] and fault["cleared_at"] and not fault.get("error"), fault
    actions = run.run_dir / "logs" / "actions"
    assert "HTTP 200" in (actions / "deploy-v2.log").read_text()
    assert "HTTP 200" in (actions / "deploy-v2.undo.log").read_text()
    assert_all_gone(run.child_pids())


@pytest.mark.slow
def test_the_example_validates_without_its_models() -> None:
    result = chaosdrill("validate", f"scenarios/{EXAMPLE}")
    assert result.returncode == 0 and "OK (processes-canary-rollback: 1 faults, seed 5)" in result.stdout


@pytest.mark.slow
def test_the_controllers_canary_analysis_rolls_the_bad_version_back(tmp_path: Path, canary_env: None) -> None:
    run = run_scenario_file(tmp_path, EXAMPLE)
    assert run.code == 0, run.stdout + run.stderr
    summary = run.summary
    assert summary["verdict"] == "pass" and summary["backend"] == "processes"
    assert {e["name"] for e in summary["expectations"] if e["passed"]} == {
        BY_WEIGHT,
        BY_ANSWERS,
        BY_STATE,
        ERRORS,
    }
    by_weight, by_answers = run.expectation(BY_WEIGHT), run.expectation(BY_ANSWERS)
    assert by_weight["explanation"].startswith("probe canary-weight turned from 30 to 0 ")
    assert by_answers["explanation"].startswith("v2 answered last ")
    assert by_weight["observed"] == pytest.approx(
        by_answers["observed"], abs=1.0
    )  # two views of one rollback
    samples = read_samples(run.run_dir / "samples.csv")
    assert set(samples["version"]) == {"v1", "v2"}
    assert set(samples[samples["version"] == "v2"]["status"]) == {200, 400}  # the bad version, seen
    assert set(samples[samples["version"] == "v1"]["status"]) == {200}
    assert "rolled_back: error rate " in (run.run_dir / "logs" / "controller.log").read_text()
    assert_deployed_and_undone(run)


@pytest.mark.slow
def test_without_canary_analysis_the_drill_fails_naming_the_rollback(
    tmp_path: Path, canary_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANARY_ANALYSIS", "off")  # as the example's comment tells users
    run = run_scenario_file(tmp_path, EXAMPLE)
    assert run.code == 1, run.stdout + run.stderr
    failed = {e["name"] for e in run.summary["expectations"] if not e["passed"]}
    assert {BY_WEIGHT, BY_ANSWERS, BY_STATE} <= failed
    assert run.expectation(BY_WEIGHT)["explanation"] == (
        "probe canary-weight read 30, never == 0 after deploy-v2 was injected, until deploy-v2 ended"
    )
    assert f"FAIL {BY_WEIGHT}" in run.stdout and f"FAIL {BY_ANSWERS}" in run.stdout
    assert "analysis off" in (run.run_dir / "logs" / "controller.log").read_text()
    assert_deployed_and_undone(run)


@pytest.mark.slow
def test_a_blue_green_switch_to_a_bad_green_is_switched_back_by_the_users_controller(
    tmp_path: Path, canary_env: None
) -> None:
    """The same stack, the canary slot as green: all traffic to it at once, and back to blue on its errors
    (without the analysis the same checks fail: the rollout test above shows it for this stack)."""
    run = run_scenario_file(tmp_path, BLUE_GREEN)
    assert run.code == 0, run.stdout + run.stderr
    assert all(e["passed"] for e in run.summary["expectations"]), run.stdout
    assert run.expectation(SWITCHED)["explanation"].startswith("probe green-weight read 100 ")
    samples = read_samples(run.run_dir / "samples.csv")
    switched_at = run.summary["faults"][0]["applied_at"]
    on_green = samples[(samples["t_intended"] > switched_at + 0.1) & (samples["version"] == "v2")]
    assert len(on_green) >= 5 and set(samples["version"]) == {"v1", "v2"}
    assert "switched_back: error rate " in (run.run_dir / "logs" / "controller.log").read_text()
    assert_all_gone(run.child_pids())


# --- the controller alone, against a real HAProxy: fast --------------------------------------------------


@contextmanager
def running_controller(work: Path, haproxy: Haproxy) -> Iterator[str]:
    """The example's controller on the probe tests' HAProxy (backend `be`, servers stable and canary)."""
    port = free_port()
    argv = [sys.executable, str(EXAMPLE_DIR / "controller.py"), "--port", str(port),
            "--haproxy-socket", str(haproxy.admin_socket), "--backend", "be", "--stable", "stable",
            "--canary", "canary"]  # fmt: skip
    process = ManagedProcess("controller", argv, work / "controller.log")
    process.start()
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready("controller", f"{url}/status", time.monotonic() + 10, 10,
                         fail_fast=process.check_alive, log_tail=process.log_tail)  # fmt: skip
        yield url
    finally:
        process.stop()


def call(url: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    data = None if body is None else json.dumps(body).encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=5) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_the_controller_shifts_and_restores_haproxy_weights_through_its_runtime_api(tmp_path: Path) -> None:
    with running_haproxy(tmp_path) as haproxy, running_controller(tmp_path, haproxy) as url:
        assert call(f"{url}/status")[1]["state"] == "stable"
        status, state = call(f"{url}/deploy", {"weight": 30})
        assert status == 200 and (state["state"], state["version"], state["weight"]) == (
            "canary",
            "canary",
            30,
        )
        assert (haproxy.weight("canary"), haproxy.weight("stable")) == ("30 (initial 20)", "70 (initial 80)")
        assert call(f"{url}/deploy", {"weight": 0}) == (400, {"error": 'expected {"weight": 1..100}'})
        status, state = call(f"{url}/rollback", {})
        assert status == 200 and (state["state"], state["weight"], state["reason"]) == (
            "rolled_back",
            0,
            "requested",
        )
        assert (haproxy.weight("canary"), haproxy.weight("stable")) == ("0 (initial 20)", "100 (initial 80)")


def test_the_controller_switches_all_traffic_to_green_and_back_to_blue(tmp_path: Path) -> None:
    with running_haproxy(tmp_path) as haproxy, running_controller(tmp_path, haproxy) as url:
        status, state = call(f"{url}/switch", {})
        assert status == 200 and (state["state"], state["weight"]) == ("green", 100)
        assert (haproxy.weight("canary"), haproxy.weight("stable")) == ("100 (initial 20)", "0 (initial 80)")
        status, state = call(f"{url}/rollback", {})
        assert status == 200 and (state["state"], state["reason"]) == ("switched_back", "requested")
        assert (haproxy.weight("canary"), haproxy.weight("stable")) == ("0 (initial 20)", "100 (initial 80)")
        changed_at = state["changed_at"]
        assert (
            call(f"{url}/rollback", {})[1]["changed_at"] == changed_at
        )  # undone once: an undo changes nothing

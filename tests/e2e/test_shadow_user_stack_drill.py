"""A shadow deployment on a user's stack (scenarios/examples/processes_nginx_shadow): Debian's nginx serves
users from a stable MLflow scoring server and mirrors every request (`mirror`) to a shadow MLflow server
serving a bad v2, through the shadow's chaosdrill link, which turns 1.5 s slow. nginx sends the users'
answers without waiting for the shadow, but reads a keep-alive connection's next request only once the
mirrored copy of the last one is done: with the mirror location's timeouts bounded users see neither the
shadow's latency nor its errors; with nginx's defaults the drill fails naming the latency. Either way the
evidence is real: the shadow's own access log has every request, and nginx's mirror log (read by the
drill's probe) says how long the shadow took."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from harness.load.samples import read_samples
from tests.e2e.drills import REPO, Run, assert_all_gone, chaosdrill, run_scenario_file

pytestmark = pytest.mark.slow

EXAMPLE = "examples/processes_nginx_shadow/scenario.yaml"
TRAIN = REPO / "scenarios" / "examples" / "processes_canary_rollback" / "train.py"
"""model-v1/ (stable) and model-v2/ (fails about a third of its rows): the canary example's models."""
UNBOUNDED = ("--set", "stack.processes.templates.0.template=nginx-unbounded.conf")
"""The same drill with nginx's default timeouts on the mirror location, as the example's comment says."""
ERRORS = "errors: rate < 1%"
LATENCY = "latency: p(99) < 300ms"
SLOW = "probe slow-mirrors: >= 5 within 4s of slow-shadow's start"
CLEARED = "probe slow-mirrors: < 3 within 4s of slow-shadow's end"
MIRROR_BOUND_S = 0.1
"""The mirror location's proxy timeouts in nginx.conf."""
LINK_LATENCY_S = 1.5


@pytest.fixture(scope="module")
def shadow_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shadow-models")
    argv = [sys.executable, str(TRAIN), str(folder)]
    subprocess.run(argv, check=True, timeout=180, capture_output=True)
    return folder


@pytest.fixture
def shadow_env(monkeypatch: pytest.MonkeyPatch, shadow_models: Path) -> None:
    """What the example reads from the environment: the models, and `mlflow` (and the uvicorn it runs) on
    PATH, from this Python's installation."""
    monkeypatch.setenv("SHADOW_MODELS", str(shadow_models))
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))


def mirror_log(run: Run) -> pd.DataFrame:
    """nginx's line per mirrored request (`$msec $status $upstream_response_time`), written when nginx was
    done with it; `upstream_s` is NaN where nginx got no answer to time ("-")."""
    names = ["t", "status", "upstream_s"]
    log = pd.read_csv(run.run_dir / "mirror.log", sep=" ", names=names, na_values="-")
    return log.astype({"t": float, "status": int, "upstream_s": float})


def assert_the_shadow_got_the_traffic_and_was_slow(run: Run) -> pd.DataFrame:
    """What makes the verdict mean something, whichever it is: the fault was applied and cleared; the
    shadow's own access log has a request for every request the users sent, and it answered some of them
    with its errors (400), which no user saw; no mirrored request was slow before the fault, and every one
    nginx finished while it lasted was. Returns the mirror log of the fault's window."""
    [fault] = run.summary["faults"]
    assert (fault["name"], fault["targets"]) == ("slow-shadow", ["shadow"])
    assert fault["applied_at"] and fault["cleared_at"] and not fault["error"], fault
    samples = read_samples(run.run_dir / "samples.csv")
    assert set(samples["status"]) == {200}
    shadow = (run.run_dir / "logs" / "shadow.log").read_text()
    assert shadow.count('"POST /invocations HTTP/') == len(samples) > 400
    mirrors = mirror_log(run)
    assert len(mirrors) == len(samples) and (mirrors["status"] == 400).any()
    slow = (mirrors["status"] == 504) | (mirrors["upstream_s"] >= MIRROR_BOUND_S)
    assert not slow[mirrors["t"] < fault["applied_at"]].any()
    # Toxiproxy lets the answers it holds go when the fault is cleared, just before cleared_at is recorded
    during = (mirrors["t"] > fault["applied_at"] + 0.2) & (mirrors["t"] < fault["cleared_at"] - 0.5)
    assert during.sum() >= 20 and slow[during].all()
    assert_all_gone(run.child_pids())
    return mirrors[during]


def test_the_example_validates_without_its_models() -> None:
    result = chaosdrill("validate", f"scenarios/{EXAMPLE}")
    assert result.returncode == 0 and "OK (processes-nginx-shadow: 1 faults, seed 5)" in result.stdout


def test_a_bounded_mirror_keeps_a_slow_shadow_out_of_the_users_path(tmp_path: Path, shadow_env: None) -> None:
    run = run_scenario_file(tmp_path, EXAMPLE)
    assert run.code == 0, run.stdout + run.stderr
    summary = run.summary
    assert summary["verdict"] == "pass" and summary["backend"] == "processes"
    assert {e["name"] for e in summary["expectations"] if e["passed"]} == {ERRORS, LATENCY, SLOW, CLEARED}
    during = assert_the_shadow_got_the_traffic_and_was_slow(run)
    assert (during["status"] == 504).all()  # nginx gave up on each mirrored copy at its bound
    assert during["upstream_s"].max() < LINK_LATENCY_S / 2
    assert "upstream timed out" in (run.run_dir / "logs" / "nginx.log").read_text()


def test_with_nginxs_default_timeouts_the_slow_shadow_reaches_users(tmp_path: Path, shadow_env: None) -> None:
    run = run_scenario_file(tmp_path, EXAMPLE, *UNBOUNDED)
    assert run.code == 1, run.stdout + run.stderr
    assert run.summary["verdict"] == "fail"
    assert {e["name"] for e in run.summary["expectations"] if not e["passed"]} == {LATENCY}
    assert f"FAIL {LATENCY}" in run.stdout
    assert run.expectation(LATENCY)["observed"] > LINK_LATENCY_S * 1000  # held behind a whole slow mirror
    during = assert_the_shadow_got_the_traffic_and_was_slow(run)
    assert (during["upstream_s"] >= LINK_LATENCY_S).all()  # nginx waited for every answer of the shadow

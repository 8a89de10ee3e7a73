"""Drills on the user's own processes, no Docker: two third-party model servers from PyPI (MLflow's scoring
server, MLServer) behind Debian's HAProxy, reaching them through chaosdrill's links. The shipped example
holds a slow link and a lost server with HAProxy's retries, redispatch and health checks, and fails,
naming the expectations, without them; nothing it started outlives it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.load.samples import read_samples
from tests.e2e.drills import REPO, Run, assert_all_gone, chaosdrill, run_scenario_file
from tests.e2e.model_servers import mlserver_executable, mlserver_models, train

pytestmark = pytest.mark.slow

EXAMPLE = "examples/processes_haproxy_mlflow/scenario.yaml"
BARE = ("--set", "stack.processes.templates.0.template=haproxy-bare.cfg")
"""The same drill with HAProxy's mechanisms off, as the example's comment tells users."""


@pytest.fixture(scope="module")
def mlflow_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = tmp_path_factory.mktemp("mlflow") / "model"
    train(sys.executable, "mlflow", model)
    return model


@pytest.fixture
def mlflow_env(monkeypatch: pytest.MonkeyPatch, mlflow_model: Path) -> None:
    """What the example reads from the environment: the model, and `mlflow` (and the uvicorn it runs) on
    PATH, from this Python's installation."""
    monkeypatch.setenv("MLFLOW_MODEL", str(mlflow_model))
    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))


def assert_held(run: Run) -> None:
    """A pass on evidence: both faults applied and cleared, every expectation met, HAProxy's health checks
    took each sick server out (seen in its own logs, and by the runbook's probe that detected each fault),
    answers slowed by the link were retried on the other server, and no process of the drill is left."""
    assert run.code == 0, run.stdout + run.stderr
    summary = run.summary
    assert summary["verdict"] == "pass" and all(e["passed"] for e in summary["expectations"])
    assert summary["backend"] == "processes"
    assert [(f["name"], f["cleared_at"] is not None) for f in summary["faults"]] == [
        ("slow-link", True), ("lost-server", True)]  # fmt: skip
    log = (run.run_dir / "logs" / "haproxy.log").read_text()
    assert "model-b is DOWN, reason: Layer7 timeout" in log and "model-a is DOWN" in log
    for fault in summary["faults"]:  # the runbook's probe signal is what detected each fault
        assert fault["response"]["detected_by"] == "probe servers-up < 2", fault
        assert fault["response"]["signals_seen"]["probe servers-up < 2"] <= 2
    samples = read_samples(run.run_dir / "samples.csv")
    assert set(samples["status"]) == {200} and (samples["latency_ms"] >= 1000).any()  # `timeout server`
    assert_all_gone(run.child_pids())


def assert_fails_naming_errors(run: Run) -> None:
    """Users see errors, and nothing in HAProxy noticed either fault (its probe was read throughout)."""
    assert run.code == 1, run.stdout + run.stderr
    failed = {e["name"] for e in run.summary["expectations"] if not e["passed"]}
    assert "errors: rate < 1%" in failed and "FAIL errors: rate < 1%" in run.stdout
    detect = [e for e in run.summary["expectations"] if e["metric"] == "time_to_detect"]
    assert len(detect) == 2 and all(e["status"] == "fail" for e in detect), detect  # watched, never seen
    assert_all_gone(run.child_pids())


def test_the_example_validates_without_its_model() -> None:
    result = chaosdrill("validate", f"scenarios/{EXAMPLE}")
    assert result.returncode == 0 and "OK (processes-haproxy-mlflow: 2 faults, seed 5)" in result.stdout


def test_mlflow_behind_haproxy_holds_a_slow_link_and_a_lost_server(tmp_path: Path, mlflow_env: None) -> None:
    assert_held(run_scenario_file(tmp_path, EXAMPLE))


def test_mlflow_behind_haproxy_without_its_mechanisms_fails(tmp_path: Path, mlflow_env: None) -> None:
    assert_fails_naming_errors(run_scenario_file(tmp_path, EXAMPLE, *BARE))


def mlserver_drill(tmp_path: Path, executable: str, template: str) -> Path:
    """The example with MLServer nodes (Open Inference Protocol) and HAProxy checking MLServer's health
    path: only the nodes, the request and the check differ; `template` is one of the example's own."""
    data: dict[str, Any] = yaml.safe_load((REPO / "scenarios" / EXAMPLE).read_text())
    models = mlserver_models(executable, tmp_path / "models")
    env = {
        "MLSERVER_HOST": "127.0.0.1",
        "MLSERVER_HTTP_PORT": "${CHAOSDRILL_PORT}",
        "MLSERVER_GRPC_PORT": "0",  # any free port: the drill does not use gRPC or metrics
        "MLSERVER_METRICS_PORT": "0",
        "MLSERVER_PARALLEL_WORKERS": "0",  # inference in the server process itself
    }
    for node in data["stack"]["processes"]["nodes"][:2]:
        node.update(command=[executable, "start", str(models)], env=env, ready_path="/v2/models/risk/ready")
    data["stack"]["processes"]["templates"][0]["template"] = str(
        (REPO / "scenarios" / EXAMPLE).with_name(template)
    )
    data["stack"]["processes"]["entrypoint"]["ready_path"] = "/v2/health/ready"
    data["load"]["request"] = {"protocol": "open-inference-v2", "model": "risk", "tensors": "matrix"}
    path = tmp_path / "mlserver.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def mlserver(monkeypatch: pytest.MonkeyPatch) -> str:
    executable = mlserver_executable()
    if not executable:
        pytest.skip("no MLServer: run scripts/install-mlserver.sh or set CHAOSDRILL_MLSERVER")
    monkeypatch.setenv("HEALTH_PATH", "/v2/health/ready")  # the example's template reads it
    return executable


@pytest.mark.parametrize("bare", [False, True], ids=["with-mechanisms", "bare"])
def test_mlserver_behind_haproxy_holds_only_with_its_mechanisms(
    tmp_path: Path, mlserver: str, bare: bool
) -> None:
    path = mlserver_drill(tmp_path, mlserver, "haproxy-bare.cfg" if bare else "haproxy.cfg")
    result = chaosdrill("run", str(path), "--out", str(tmp_path / "run"), timeout=180)
    run = Run(result.returncode, result.stdout, result.stderr, tmp_path / "run")
    if bare:
        assert_fails_naming_errors(run)
    else:
        assert_held(run)
        assert set(read_samples(run.run_dir / "samples.csv")["version"]) == {"v3"}

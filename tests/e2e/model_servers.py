"""Third-party model servers from PyPI, serving a small scikit-learn model trained here, and a drill aimed
at one: the scenario's load (request protocol, observation mapping) against the server, the run directory
verified and reported by the same code as `chaosdrill run` (harness.conclude).

MLflow's scoring server comes with the test extra (mlflow-skinny). MLServer (Open Inference Protocol) pins
an older FastAPI and Starlette than the reference stack runs on, so it is not installed beside chaosdrill:
scripts/install-mlserver.sh (run by scripts/install-test-deps.sh) puts it in a venv of its own, and
`CHAOSDRILL_MLSERVER=/path/to/venv/bin/mlserver` points the tests at another one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.backends.processes import ManagedProcess, free_port
from harness.conclude import conclude
from harness.events import EventLog
from harness.journal import EVENTS_FILE, SCENARIO_COPY, RunInfo
from harness.load.process import LoadProcess
from harness.preflight import preflight
from harness.run_identity import RunIdentity
from harness.runner import load_config
from harness.verify.results import RunSummary
from tests.e2e.drills import REPO

FEATURES = [
    {"name": "age", "type": "numeric", "mean": 40.0, "std": 12.0, "min": 18.0, "max": 90.0},
    {"name": "income", "type": "numeric", "mean": 5.0, "std": 2.0, "min": 0.0},
]
TRAIN = REPO / "scenarios" / "examples" / "processes_haproxy_mlflow" / "train.py"
"""A logistic regression on the drill's two features: as an MLflow model (named columns), or a joblib file
for MLServer's scikit-learn runtime (a plain matrix)."""
MLSERVER_VENV = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "chaosdrill/venvs/mlserver"
"""Where scripts/install-mlserver.sh installs MLServer (complete once it holds `.complete`)."""


def mlserver_executable() -> str | None:
    """`$CHAOSDRILL_MLSERVER`, else the venv scripts/install-mlserver.sh made, else None."""
    if executable := os.environ.get("CHAOSDRILL_MLSERVER"):
        return executable
    return str(MLSERVER_VENV / "bin" / "mlserver") if (MLSERVER_VENV / ".complete").is_file() else None


@dataclass
class ModelServer:
    url: str
    process: ManagedProcess

    def stop(self) -> None:
        """The server and whatever it started (uvicorn workers): its whole process group."""
        if self.process.alive and self.process.pid is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
        self.process.stop(grace_s=10)


def train(python: str, kind: str, target: Path) -> None:
    """The example's train script, with `python` (MLServer's venv has its own scikit-learn)."""
    argv = [python, str(TRAIN), str(target), "--format", kind]
    subprocess.run(argv, check=True, timeout=120, capture_output=True)


def _await_ready(server: ModelServer, path: str, timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not server.process.alive:
            raise server.process.exited_error("during start-up", lines=20)
        try:
            with urllib.request.urlopen(server.url + path, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    server.stop()
    raise TimeoutError(f"{server.process.name} not ready after {timeout_s:g}s: {server.process.log_tail(10)}")


def start_mlflow(work: Path, model: Path | None = None) -> ModelServer:
    """`mlflow models serve` (uvicorn) on a free loopback port, serving `model` (an MLflow model folder),
    by default the example's model trained in this Python."""
    if model is None:
        model = work / "mlflow-model"
        train(sys.executable, "mlflow", model)
    port = free_port()
    argv = [sys.executable, "-m", "mlflow", "models", "serve", "-m", str(model), "--env-manager", "local",
            "-h", "127.0.0.1", "-p", str(port)]  # fmt: skip
    bin_dir = str(Path(sys.executable).parent)  # where the uvicorn the CLI execs lives
    env = {"PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    log = work / f"{model.name}.log"
    server = ModelServer(f"http://127.0.0.1:{port}", ManagedProcess("mlflow", argv, log, env))
    server.process.start()
    _await_ready(server, "/ping")
    return server


def mlserver_models(executable: str, models: Path) -> Path:
    """A models folder for MLServer: model `risk` version `v3` on its scikit-learn runtime, trained with the
    Python of the venv `executable` is in."""
    (models / "risk").mkdir(parents=True)
    train(str(Path(executable).with_name("python")), "joblib", models / "risk" / "model.joblib")
    settings = {"name": "risk", "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib", "version": "v3"}}  # fmt: skip
    (models / "risk" / "model-settings.json").write_text(json.dumps(settings), encoding="utf-8")
    return models


def start_mlserver(executable: str, work: Path) -> ModelServer:
    """MLServer serving `mlserver_models` on free loopback ports."""
    models = mlserver_models(executable, work / "mlserver")
    port = free_port()
    server_settings = {"host": "127.0.0.1", "http_port": port, "grpc_port": free_port(),
                       "metrics_port": free_port(), "parallel_workers": 0}  # fmt: skip
    (models / "settings.json").write_text(json.dumps(server_settings), encoding="utf-8")
    process = ManagedProcess("mlserver", [executable, "start", str(models)], work / "mlserver.log")
    server = ModelServer(f"http://127.0.0.1:{port}", process)
    process.start()
    _await_ready(server, "/v2/models/risk/ready")
    return server


def drill(work: Path, name: str, load: dict, expectations: dict, server: ModelServer) -> RunSummary:
    """A drill's load against `server`, then verification and reports from the run directory.

    The runner's stack is the reference stack; here the stack is the server already running, so the
    records a run keeps (run.json, events) are written around the real load worker as the runner does."""
    scenario = {
        "name": name,
        "seed": 5,
        "load": {"users": 3, "duration": "3s", "rows": 2, "profile": {"features": FEATURES}, **load},
        "slo": {"availability": "99%", "latency": "p(99) < 2s", "window": "1s", "recovery_windows": 1},
        "expectations": expectations,
    }
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    plan = preflight(path)
    run_dir = work / name
    run_dir.mkdir()
    (run_dir / SCENARIO_COPY).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    RunInfo(RunIdentity.new(), str(path), [], plan.seed).write(run_dir)
    events = EventLog(run_dir / EVENTS_FILE)
    events.emit("run_started", scenario=name, seed=plan.seed, run_dir=str(run_dir))
    events.emit("stack_ready", gateway=server.url, pids={})
    load_process = LoadProcess(load_config(plan.scenario, plan, server.url), run_dir)
    try:
        load_process.start()
        events.emit("load_started", t=load_process.load_starts_at, mode="closed", load_pid=load_process.pid)
        assert load_process.wait(timeout=60) == 0, load_process.log_path.read_text(encoding="utf-8")[-2000:]
        events.emit("load_stopped")
    finally:
        load_process.stop()
        events.emit("teardown_started")
        events.emit("stack_stopped")
        events.close()
    return conclude(run_dir, plan)

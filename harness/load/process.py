"""Runs the load worker as a separate process and controls it from the harness (no locust import here)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import harness
from harness.backends.processes import ManagedProcess
from harness.errors import HarnessError
from harness.load.config import LoadConfig
from harness.load.files import (
    CONFIG_FILE,
    FEATURES_FILE,
    LOG_FILE,
    READY_FILE,
    SAMPLES_FILE,
    SUMMARY_FILE,
)
from harness.load.samples import read_samples

_REPO_ROOT = Path(harness.__file__).resolve().parent.parent
_LOG_TAIL_LINES = 15


class LoadProcess:
    """One load worker: started in its own process group so that it, and only it, can be stopped."""

    def __init__(self, config: LoadConfig, out_dir: Path, startup_timeout_s: float = 30.0) -> None:
        self.config = config
        self.out_dir = out_dir
        self.startup_timeout_s = startup_timeout_s
        self._process: ManagedProcess | None = None

    @property
    def samples_path(self) -> Path:
        return self.out_dir / SAMPLES_FILE

    @property
    def features_path(self) -> Path:
        """features.csv: every instance sent (see `harness.load.features_log.read_features`)."""
        return self.out_dir / FEATURES_FILE

    @property
    def log_path(self) -> Path:
        return self.out_dir / LOG_FILE

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def load_starts_at(self) -> float | None:
        """Epoch time of the first intended request: the later of `config.start_at` and worker readiness."""
        ready = self.out_dir / READY_FILE
        return float(ready.read_text(encoding="utf-8")) if ready.exists() else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.alive

    def start(self) -> None:
        """Spawn the worker and return once it is ready to send; a worker that dies first raises."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for stale in (READY_FILE, SUMMARY_FILE):
            (self.out_dir / stale).unlink(missing_ok=True)
        config_path = self.out_dir / CONFIG_FILE
        config_path.write_text(self.config.model_dump_json(indent=2), encoding="utf-8")
        self.log_path.unlink(missing_ok=True)
        pythonpath = os.pathsep.join(filter(None, [str(_REPO_ROOT), os.environ.get("PYTHONPATH")]))
        self._process = ManagedProcess(
            "load worker",
            [sys.executable, "-m", "harness.load.worker", str(config_path), str(self.out_dir)],
            self.log_path,
            env={"PYTHONPATH": pythonpath},
        )
        self._process.start()
        self._await_ready()

    def _await_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout_s
        while not (self.out_dir / READY_FILE).exists():
            if not self._process.alive:
                raise self._process.exited_error("during start-up", lines=_LOG_TAIL_LINES)
            if time.monotonic() > deadline:
                self.stop()
                tail = self._process.log_tail(_LOG_TAIL_LINES)
                raise HarnessError(
                    f"load worker not ready after {self.startup_timeout_s:g}s; last log lines: {tail}"
                )
            time.sleep(0.02)

    def wait(self, timeout: float) -> int:
        """The worker's exit code; raises `subprocess.TimeoutExpired` if it is still running."""
        if self._process is None:
            raise HarnessError("load worker was never started")
        return self._process.wait(timeout)

    def stop(self, grace_s: float = 5) -> None:
        """SIGTERM (the worker flushes and writes load.json), then SIGKILL after `grace_s`; idempotent."""
        if self._process is not None:
            self._process.stop(grace_s)

    def summary(self) -> dict[str, object]:
        return load_summary(self.out_dir, self.config.mode)


def load_summary(out_dir: Path, mode: str) -> dict[str, object]:
    """load.json as the worker wrote it or, if the worker was killed, what the samples still tell."""
    summary_path = out_dir / SUMMARY_FILE
    if summary_path.exists():
        try:
            return json.loads(summary_path.read_text(encoding="utf-8"))
        except ValueError:
            pass  # cut short by a kill: fall back to the samples
    samples = read_samples(out_dir / SAMPLES_FILE)
    return {
        "started_at": float(samples["t_intended"].min()) if len(samples) else None,
        "stopped_at": float(samples["t_start"].max()) if len(samples) else None,
        "mode": mode,
        "sent": len(samples),
        "completed": len(samples),
        "late": int(samples["late"].sum()),
        "not_sent": None,
        "interrupted": True,
    }

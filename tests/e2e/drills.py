"""Helpers for end-to-end drills: write a scenario, run the real CLI in a subprocess, inspect the run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

REPO = Path(__file__).resolve().parents[2]


def scenario(
    name: str,
    faults: list[dict],
    expectations: dict,
    *,
    profile: str = "resilient",
    mechanisms: dict | None = None,
    duration: str = "10s",
    users: int = 6,
    **extra: Any,
) -> dict:
    """A short drill against the reference stack; `profile: fragile` switches every mechanism off."""
    gateway: dict[str, Any] = {"profile": profile}
    if mechanisms:
        gateway["mechanisms"] = mechanisms
    return {
        "name": name,
        "seed": 3,
        "stack": {"gateway": gateway},
        "load": {"users": users, "duration": duration, "rows": 2},
        "slo": {"availability": "99%", "latency": "p(99) < 400ms", "window": "1s", "recovery_windows": 2},
        "faults": faults,
        "expectations": expectations,
        **extra,
    }  # fmt: skip


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    run_dir: Path

    @property
    def summary(self) -> dict:
        return json.loads((self.run_dir / "summary.json").read_text())

    @property
    def events(self) -> list[dict]:
        lines = (self.run_dir / "events.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def expectation(self, name: str) -> dict:
        return next(e for e in self.summary["expectations"] if e["name"] == name)

    def child_pids(self) -> list[int]:
        pids = []
        for event in self.events:
            pids += list(event.get("pids", {}).values())
            if event.get("load_pid"):
                pids.append(event["load_pid"])
        return pids


def write_scenario(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def chaosdrill(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "harness.cli", *args]
    return subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def run_drill(tmp_path: Path, data: dict, timeout: float = 120) -> Run:
    run_dir = tmp_path / "run"
    result = chaosdrill("run", str(write_scenario(tmp_path, data)), "--out", str(run_dir), timeout=timeout)
    return Run(result.returncode, result.stdout, result.stderr, run_dir)


def assert_all_gone(pids: list[int], timeout: float = 10.0) -> None:
    """No process the drill started survives it (zombies of reaped children don't count)."""
    deadline = time.monotonic() + timeout
    alive = pids
    while time.monotonic() < deadline:
        alive = [p for p in pids if _running(p)]
        if not alive:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes left running: {[(p, _cmdline(p)) for p in alive]}")


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _cmdline(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return "?"


def run_scenario_file(tmp_path: Path, name: str, *args: str, timeout: float = 180) -> Run:
    """Run a drill file shipped in scenarios/ exactly as a user would."""
    run_dir = tmp_path / "run"
    result = chaosdrill("run", str(REPO / "scenarios" / name), "--out", str(run_dir), *args, timeout=timeout)
    return Run(result.returncode, result.stdout, result.stderr, run_dir)


def start_drill(tmp_path: Path, data: dict, *args: str) -> tuple[subprocess.Popen[str], Path]:
    """`chaosdrill run` in the background, for tests that signal or kill it mid-drill."""
    run_dir = tmp_path / "run"
    scenario_path = write_scenario(tmp_path, data)
    argv = [sys.executable, "-m", "harness.cli", "run", str(scenario_path), "--out", str(run_dir), *args]
    process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return process, run_dir


def events_of(run_dir: Path) -> list[dict]:
    """events.jsonl as far as it was written (a line being written is left out)."""
    path = run_dir / "events.jsonl"
    events = []
    for line in path.read_text().splitlines() if path.exists() else []:
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def wait_for_event(run_dir: Path, name: str, timeout: float = 60.0, poll_s: float = 0.1) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in events_of(run_dir):
            if event["event"] == name:
                return event
        time.sleep(poll_s)
    raise AssertionError(f"no {name} event within {timeout}s")

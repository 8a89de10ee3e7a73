"""Fixtures that run the reference stack as real processes on free 127.0.0.1 ports.

`stack` hands a test a StackLauncher; every process it started is SIGKILLed at teardown, so a failing
test leaves no orphans behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from stack.model import sample_rows

REPO_ROOT = Path(__file__).resolve().parents[2]
ADMIN_TOKEN = "test-token"
START_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], timeout_s: float, interval_s: float = 0.05) -> bool:
    """Poll `predicate` until it is true or the deadline passes; returns its last value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


@dataclass
class Process:
    name: str
    url: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=5)

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False


class StackLauncher:
    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self.processes: list[Process] = []

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Process:
        port = free_port()
        log_path = self._workdir / f"{name}-{port}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                [sys.executable, "-m", *args, "--host", "127.0.0.1", "--port", str(port)],
                cwd=REPO_ROOT,
                env={**os.environ, **(env or {})},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        process = Process(name, f"http://127.0.0.1:{port}", popen, log_path)
        self.processes.append(process)
        return process

    def model_servers(self, specs: list[dict[str, Any]]) -> list[Process]:
        """Start several replicas in parallel; each spec holds `name` plus optional server flags."""
        started = []
        for spec in specs:
            flags = [f"--{key.replace('_', '-')}={value}" for key, value in spec.items()]
            started.append(
                self._spawn(spec["name"], ["stack.model_server", f"--admin-token={ADMIN_TOKEN}", *flags])
            )
        self.wait_ready(started)
        return started

    def gateway(self, config: dict[str, Any], env: dict[str, str] | None = None) -> Process:
        path = self._workdir / f"gateway-{len(self.processes)}.json"
        path.write_text(json.dumps({"admin_token": ADMIN_TOKEN, **config}))
        process = self._spawn("gateway", ["stack.gateway", "--config", str(path)], env)
        self.wait_ready([process])
        return process

    def wait_ready(self, processes: list[Process]) -> None:
        for process in processes:
            if not wait_until(lambda p=process: p.answers() or p.popen.poll() is not None, START_TIMEOUT_S):
                raise RuntimeError(f"{process.name} did not start within {START_TIMEOUT_S} s")
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited at start: {process.log_path.read_text()}")

    def kill_all(self) -> None:
        for process in self.processes:
            process.kill()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[StackLauncher]:
    launcher = StackLauncher(tmp_path)
    try:
        yield launcher
    finally:
        launcher.kill_all()


def replica_entry(process: Process, **labels: str) -> dict[str, Any]:
    return {"name": process.name, "url": process.url, "labels": labels}


def pools(**regions: list[Process]) -> list[dict[str, Any]]:
    return [
        {"region": region, "replicas": [replica_entry(p) for p in procs]} for region, procs in regions.items()
    ]


def dead_url() -> str:
    """A 127.0.0.1 address nobody listens on: connections are refused at once, like a killed replica."""
    return f"http://127.0.0.1:{free_port()}"


def baseline_body(seed: int, rows: int = 1) -> dict[str, Any]:
    return {"instances": sample_rows(np.random.default_rng(seed), rows)}


def send_requests(
    url: str, bodies: list[dict[str, Any]], concurrency: int = 8, timeout_s: float = 5.0
) -> list[httpx.Response]:
    """POST each body to `{url}/predict` with bounded concurrency; returns responses in order."""

    async def run() -> list[httpx.Response]:
        gate = asyncio.Semaphore(concurrency)
        async with httpx.AsyncClient(timeout=timeout_s) as client:

            async def one(body: dict[str, Any]) -> httpx.Response:
                async with gate:
                    return await client.post(f"{url}/predict", json=body)

            return list(await asyncio.gather(*(one(b) for b in bodies)))

    return asyncio.run(run())


def admin(url: str, path: str, payload: dict[str, Any] | None = None, method: str = "POST") -> httpx.Response:
    return httpx.request(
        method, f"{url}{path}", json=payload, headers={"X-Admin-Token": ADMIN_TOKEN}, timeout=10
    )


def state(gateway_url: str) -> dict[str, Any]:
    return httpx.get(f"{gateway_url}/admin/state", timeout=5).json()


def latency_sum(url: str) -> float:
    """Seconds a replica spent answering predictions, by its own metrics."""
    metrics = httpx.get(f"{url}/metrics").text
    prefix = "chaosdrill_model_request_latency_seconds_sum"
    return float(next(line.split()[1] for line in metrics.splitlines() if line.startswith(prefix)))


def replica_state(gateway_url: str, name: str) -> dict[str, Any]:
    return next(r for r in state(gateway_url)["replicas"] if r["name"] == name)

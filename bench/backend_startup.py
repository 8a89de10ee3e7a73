"""Benchmark (not a test): how long the docker and local backends take to come up and to go away.

For each backend and round: `start()` until the gateway answers a real /predict (the moment load could
begin), then `stop()` until nothing of the run is left (docker: no container, network or volume with the
run's label; local: no child process alive). Plus `chaosdrill images build` with a warm cache (an
unchanged tree: the content-hash lookup). Uses the quickstart scenario's stack (4 replicas, 1 canary).

    python bench/backend_startup.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from harness.backends.docker_backend import DockerBackend
from harness.backends.docker_cleanup import leftovers
from harness.backends.docker_client import docker_client
from harness.backends.docker_images import build_images
from harness.backends.local import LocalBackend
from harness.scenario import load_scenario
from stack.model import sample_rows

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "quickstart.yaml"


def first_answer(gateway_url: str) -> None:
    body = {"instances": sample_rows(np.random.default_rng(0), 1)}
    httpx.post(f"{gateway_url}/predict", json=body, timeout=10.0).raise_for_status()


def measure(kind: str, run_dir: Path) -> tuple[float, float]:
    scenario = load_scenario(SCENARIO)
    backend = DockerBackend(scenario, run_dir) if kind == "docker" else LocalBackend(scenario, run_dir)
    started = time.perf_counter()
    try:
        backend.start()
        first_answer(backend.gateway_url)
        up = time.perf_counter() - started
    finally:
        stopping = time.perf_counter()
        backend.stop()
    if isinstance(backend, DockerBackend):
        assert leftovers(docker_client(), backend.run_id) == []
    else:
        assert not any(p.alive for p in backend.processes.values())
    return up, time.perf_counter() - stopping


def main() -> None:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=formatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    build_images(log=lambda line: None)
    started = time.perf_counter()
    build_images(log=lambda line: None)
    print(f"images build, warm cache: {time.perf_counter() - started:.2f} s")
    for kind in ("local", "docker"):
        ups, downs = [], []
        for index in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                run_dir = Path(tmp) / f"bench-{kind}-{index}"
                run_dir.mkdir()
                up, down = measure(kind, run_dir)
            ups.append(up)
            downs.append(down)
        print(f"{kind:6}  start→first answer: median {statistics.median(ups):.2f} s (max {max(ups):.2f})"
              f"  stop→all gone: median {statistics.median(downs):.2f} s (max {max(downs):.2f})")  # fmt: skip


if __name__ == "__main__":
    main()

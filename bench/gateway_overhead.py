"""Latency added by the gateway: p50/p99 through the gateway vs directly to the replica behind it.

Starts one model server and one gateway (default resilient config: retries, budget, breaker, health
checks, drift monitor all on) as real processes on 127.0.0.1, then drives an open-loop load of RATE
requests/s at each target, alternating direct and gateway in ROUNDS short segments (seconds is the total
per target), one baseline row per request over keep-alive connections, and reports p50/p99, throughput
and the CPU each server process spent per request. Usage: `python bench/gateway_overhead.py [rate] [seconds]`.
Env vars pass through, e.g. CHAOSDRILL_GATEWAY_DRIFT_ENABLED=0 to measure without the drift monitor.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from stack.model import sample_rows  # noqa: E402

ROUNDS = 5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(args: list[str], port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", *args, "--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_ready(url: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} not ready after {timeout_s} s")


async def open_loop(url: str, rate: float, duration_s: float) -> tuple[np.ndarray, int]:
    """Fire requests on a fixed schedule (not waiting for answers), so slow responses cannot hide
    behind a lower offered rate; returns latencies in ms of the 2xx answers and the error count."""
    bodies = [json.dumps({"instances": [row]}).encode() for row in sample_rows(np.random.default_rng(0), 500)]
    latencies: list[float] = []
    errors = 0
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(timeout=5, limits=httpx.Limits(max_keepalive_connections=64)) as client:
        for body in bodies[:20]:  # warm the connection pool and both processes' code paths
            await client.post(f"{url}/predict", content=body, headers=headers)

        async def one(body: bytes) -> None:
            nonlocal errors
            started = time.perf_counter()
            response = await client.post(f"{url}/predict", content=body, headers=headers)
            if response.status_code == 200:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

        tasks = []
        start = time.perf_counter()
        for i in range(int(rate * duration_s)):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(bodies[i % len(bodies)])))
        await asyncio.gather(*tasks)
    return np.array(latencies), errors


def main() -> None:
    load_before = os.getloadavg()
    rate = float(sys.argv[1]) if len(sys.argv) > 1 else 200.0
    duration_s = float(sys.argv[2]) if len(sys.argv) > 2 else 7.5
    replica_port, gateway_port = free_port(), free_port()
    replica_url, gateway_url = f"http://127.0.0.1:{replica_port}", f"http://127.0.0.1:{gateway_port}"
    config = {"pools": [{"region": "east", "replicas": [{"name": "gpu-0", "url": replica_url}]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(config, handle)
    processes = [
        spawn(["stack.model_server", "--name", "gpu-0"], replica_port),
        spawn(["stack.gateway", "--config", handle.name], gateway_port),
    ]
    try:
        wait_ready(replica_url)
        wait_ready(gateway_url)
        meters = {
            name: psutil.Process(p.pid) for name, p in zip(("replica", "gateway"), processes, strict=True)
        }
        samples: dict[str, list[np.ndarray]] = {"direct": [], "gateway": []}
        errors = dict.fromkeys(samples, 0)
        cpu_ms = {target: dict.fromkeys(meters, 0.0) for target in samples}
        for _ in range(ROUNDS):
            # Alternating short segments spread the shared box's load swings over both targets equally.
            for label, url in (("direct", replica_url), ("gateway", gateway_url)):
                before = {name: sum(meter.cpu_times()[:2]) for name, meter in meters.items()}
                latencies, failed = asyncio.run(open_loop(url, rate, duration_s / ROUNDS))
                for name, meter in meters.items():
                    cpu_ms[label][name] += (sum(meter.cpu_times()[:2]) - before[name]) * 1000
                samples[label].append(latencies)
                errors[label] += failed
        results = {}
        for label, parts in samples.items():
            latencies = np.concatenate(parts)
            sent = len(latencies) + errors[label]
            results[label] = {
                "cpu_ms_per_request": {name: ms / sent for name, ms in cpu_ms[label].items()},
                "p50_ms": float(np.percentile(latencies, 50)),
                "p99_ms": float(np.percentile(latencies, 99)),
                "throughput_rps": len(latencies) / duration_s,
                "errors": errors[label],
            }
    finally:
        for process in processes:
            process.kill()
            process.wait()
        Path(handle.name).unlink()
    direct, gateway = results["direct"], results["gateway"]
    print(f"load average before: {load_before}, after: {os.getloadavg()}")
    for label, numbers in results.items():
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in numbers["cpu_ms_per_request"].items())
        print(
            f"{label:8s} p50 {numbers['p50_ms']:.2f} ms  p99 {numbers['p99_ms']:.2f} ms  "
            f"{numbers['throughput_rps']:.0f} req/s ok, {numbers['errors']} errors; CPU ms/request: {cpu}"
        )
    for quantile in ("p50_ms", "p99_ms"):
        added, ratio = gateway[quantile] - direct[quantile], gateway[quantile] / direct[quantile]
        print(f"{quantile[:3]}: gateway/direct {ratio:.2f}x, added {added:.2f} ms")


if __name__ == "__main__":
    main()

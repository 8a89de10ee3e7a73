"""Benchmark (not a test): does an open-model load shape keep each stage's arrivals when the server cannot?

A staged schedule (steady, a ramp past the server's capacity, a spike, a pause, recovery) is driven by the
real load worker against an endpoint that serves at most `--capacity` requests/s (a fixed number of
workers, each taking a fixed time per answer), so the later stages overload it. Per stage it prints the
arrivals the schedule intends (the integral of its rate), the requests whose intended send time falls in
the stage, those sent late (> 50 ms after their intended time), the slots never sent, and the median and
p99 latency from the intended time: coordinated omission would show as fewer requests in the overloaded
stages and a flattering latency.

    python bench/load_shapes.py [--capacity 150] [--max-users 300]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from harness.load.config import LoadConfig  # noqa: E402  (needs the repo on sys.path when run as a script)
from harness.load.observation import PRESETS, Observation  # noqa: E402
from harness.load.process import LoadProcess  # noqa: E402
from harness.load.request_spec import ReferenceRequest  # noqa: E402
from harness.load.samples import read_samples  # noqa: E402
from harness.load.shapes import RateSchedule, StageConfig, describe_stages  # noqa: E402

SHAPE = [
    StageConfig(duration_s=4, rate=50),
    StageConfig(duration_s=6, rate=400, ramp=True),
    StageConfig(duration_s=3, rate=400),
    StageConfig(duration_s=2, rate=0),
    StageConfig(duration_s=5, rate=50),
]
SERVICE_S = 0.02


def capped_server(capacity: float) -> ThreadingHTTPServer:
    """Answers after SERVICE_S, at most capacity·SERVICE_S at a time: `capacity` answers/s at most."""
    gate = threading.BoundedSemaphore(max(1, round(capacity * SERVICE_S)))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            with gate:
                time.sleep(SERVICE_S)
            body = b'{"predictions": [0.5]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: thousands of requests."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capacity", type=float, default=150.0, help="the server's answers per second")
    parser.add_argument("--max-users", type=int, default=300, help="the open model's concurrency cap")
    args = parser.parse_args()
    server = capped_server(args.capacity)
    duration = sum(stage.duration_s for stage in SHAPE)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    config = LoadConfig(
        target_url=url, path="/predict", request=ReferenceRequest(),
        observe=Observation(**PRESETS["reference"]), mode="open", stages=SHAPE, spawn_rate=100.0,
        max_users=args.max_users, duration_s=duration, start_at=time.time() + 2.0, rows_per_request=1,
        features=[{"name": "x", "type": "numeric", "mean": 0.0, "std": 1.0}], seed=1, request_timeout_s=30.0,
        late_tolerance_s=0.05, think_time_s=0.0,
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        process = LoadProcess(config, Path(tmp))
        process.start()
        assert process.wait(timeout=duration + 60) == 0
        samples = read_samples(process.samples_path)
        summary = process.summary()
    schedule = RateSchedule(summary["started_at"], SHAPE)
    print(f"shape: {describe_stages([s.model_dump() for s in SHAPE])}; server capacity {args.capacity:g}/s")
    print(f"{'stage':>5} {'intended':>9} {'sent':>6} {'diff':>7} {'late':>6} {'p50 ms':>8} {'p99 ms':>8}")
    start = summary["started_at"]
    for number, stage in enumerate(SHAPE, 1):
        end = start + stage.duration_s
        intended = schedule.arrivals_by(end) - schedule.arrivals_by(start)
        mine = samples[(samples["t_intended"] >= start) & (samples["t_intended"] < end)]
        diff = (len(mine) - intended) / intended * 100 if intended else 0.0
        p50, p99 = np.percentile(mine["latency_ms"], [50, 99]) if len(mine) else (0.0, 0.0)
        print(f"{number:>5} {intended:>9.0f} {len(mine):>6} {diff:>6.2f}% {int(mine['late'].sum()):>6}"
              f" {p50:>8.0f} {p99:>8.0f}")  # fmt: skip
        start = end
    print(f"sent {summary['sent']}, not sent {summary['not_sent']}, late {summary['late']}")
    server.shutdown()


if __name__ == "__main__":
    main()

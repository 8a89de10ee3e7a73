"""Benchmark (not a test): requests/s our load worker sustains on one core vs plain `locust --headless`.

Both load generators run the same kind of user (a FastHttpUser POSTing the same pre-serialised bodies
with the same headers and timeouts, zero think time) against the same trivial keep-alive HTTP endpoint.
The load generator is pinned to CPU 0 and the endpoint to CPU 1 (sched_setaffinity, what `taskset`
does) when there are two CPUs, so the generator's CPU is the bottleneck and the ratio measures what
recording every request costs.

    python bench/load_throughput.py [--duration 10] [--users 10] [--rounds 1] [--progress] [--quality]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from rich.console import Console  # noqa: E402

from harness.load.config import LoadConfig  # noqa: E402  (needs the repo on sys.path when run as a script)
from harness.load.files import SAMPLES_FILE  # noqa: E402
from harness.load.observation import PRESETS, Observation, SignalSource  # noqa: E402
from harness.load.process import LoadProcess  # noqa: E402
from harness.load.request_spec import ReferenceRequest  # noqa: E402
from harness.progress import WINDOW_S  # noqa: E402
from harness.progress.render import live_panel  # noqa: E402
from harness.progress.state import RunProgress  # noqa: E402
from harness.progress.tail import SampleTail  # noqa: E402
from harness.scenario.model import SloSpec  # noqa: E402
from stack.model import FEATURE_SCHEMA  # noqa: E402

FEATURES = [
    {"name": "age", "type": "numeric", "mean": 40.0, "std": 12.0, "min": 18.0, "max": 90.0},
    {"name": "income", "type": "numeric", "mean": 5.0, "std": 2.0},
    {"name": "segment", "type": "categorical", "categories": ["a", "b", "c"], "probs": [0.5, 0.3, 0.2]},
]
SEED, ROWS, TIMEOUT_S = 1, 1, 5.0

PLAIN_LOCUSTFILE = textwrap.dedent(
    f"""
    from locust import FastHttpUser, constant, task

    from harness.load.payloads import PayloadGenerator

    HEADERS = {{"Content-Type": "application/json", "Accept": "application/json"}}


    class PlainUser(FastHttpUser):
        wait_time = constant(0)
        network_timeout = {TIMEOUT_S}
        connection_timeout = {TIMEOUT_S}
        payloads = PayloadGenerator({FEATURES!r}, {SEED}, {ROWS})

        @task
        def send_request(self):
            self.client.request("POST", "/predict", data=self.payloads.next_body(), headers=HEADERS)
    """
)


class Result(NamedTuple):
    rps: float
    per_cpu_s: float
    """Requests per CPU-second of the generator: robust to other processes stealing its core."""


_BODY = b'{"predictions":[0]}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Served-By: replica-0\r\n"
    b"X-Model-Version: v1\r\nX-Attempts: 1\r\nContent-Length: %d\r\n\r\n%s" % (len(_BODY), _BODY)
)


class _TrivialHttp(asyncio.Protocol):
    """Keep-alive HTTP/1.1 answering every request with a fixed 200; fast enough never to be the limit."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(_RESPONSE)  # type: ignore[attr-defined]


def serve(port: int) -> None:
    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(_TrivialHttp, "127.0.0.1", port)
        await server.serve_forever()

    asyncio.run(main())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _on_cpu(cpu: int) -> Iterator[None]:
    """Pin processes started inside the block to one CPU (children inherit this process's affinity)."""
    previous = os.sched_getaffinity(0)
    if cpu in previous and len(previous) > 1:
        os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, previous)


def _children_cpu_s() -> float:
    """CPU seconds of finished child processes: the load generators (the endpoint is reaped last)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def run_ours(url: str, users: int, duration: float, work: Path) -> tuple[int, float]:
    """(requests completed, requests/s over the load window) for our worker."""
    return _run_worker(url, users, duration, work)


def run_watched(url: str, users: int, duration: float, work: Path) -> tuple[int, float]:
    """Our worker while the live progress view follows its samples from this process, on the worker's own
    core (the worst case: on a real run the harness may sit on another), redrawing its panel every 0.5 s."""
    stop, reader_cpu_s = threading.Event(), [0.0]

    def follow() -> None:
        tail = SampleTail(work / SAMPLES_FILE, WINDOW_S, 99)
        progress, slo, began = RunProgress(duration, {}), SloSpec(), time.thread_time()
        console = Console(file=io.StringIO(), force_terminal=True, width=100)
        while not stop.wait(0.5):
            console.print(live_panel(progress, tail.read(), slo, time.time()))
        reader_cpu_s[0] = time.thread_time() - began

    reader = threading.Thread(target=follow)
    with _on_cpu(0):
        reader.start()
        try:
            completed, rps = _run_worker(url, users, duration, work)
        finally:
            stop.set()
            reader.join()
    print(f"       live view: {reader_cpu_s[0] / duration:.2%} of a core", flush=True)
    return completed, rps


def run_reference(url: str, users: int, duration: float, work: Path) -> tuple[int, float]:
    """Our worker sending rows of the reference feature schema: what `judged` is compared with."""
    return _run_worker(url, users, duration, work, FEATURE_SCHEMA)


def run_judged(url: str, users: int, duration: float, work: Path) -> tuple[int, float]:
    """Our worker as a quality drill runs it: each request's ground truth computed (harness/load/truth.py),
    its rows logged to features.csv, and each answer's body read for its prediction."""
    return _run_worker(url, users, duration, work, FEATURE_SCHEMA, quality=True)


def _run_worker(
    url: str, users: int, duration: float, work: Path, features: list | None = None, quality: bool = False
) -> tuple[int, float]:
    observe = Observation(**PRESETS["reference"]).model_copy(
        update={"prediction": SignalSource(json_path="predictions")} if quality else {}
    )
    config = LoadConfig(
        target_url=url,
        path="/predict",
        request=ReferenceRequest(),
        observe=observe,
        truth=quality,
        log_features=quality,
        mode="closed",
        users=users,
        spawn_rate=1000.0,
        max_users=users,
        duration_s=duration,
        start_at=time.time(),
        rows_per_request=ROWS,
        features=features or FEATURES,
        seed=SEED,
        request_timeout_s=TIMEOUT_S,
        late_tolerance_s=0.05,
        think_time_s=0.0,
    )
    process = LoadProcess(config, work)
    with _on_cpu(0):
        process.start()
    try:
        process.wait(timeout=duration + TIMEOUT_S + 30)
    finally:
        process.stop()
    summary = process.summary()
    completed = int(summary["completed"])
    return completed, completed / (float(summary["stopped_at"]) - float(summary["started_at"]))


def run_plain(url: str, users: int, duration: float, work: Path) -> tuple[int, float]:
    """(requests completed, requests/s as Locust reports it) for plain `locust --headless`."""
    work.mkdir(parents=True, exist_ok=True)
    locustfile = work / "plain_locustfile.py"
    locustfile.write_text(PLAIN_LOCUSTFILE, encoding="utf-8")
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "--only-summary",
        "-u", str(users), "-r", "1000", "-t", f"{duration:g}s", "-H", url, "--csv", str(work / "plain"),
    ]  # fmt: skip
    with (work / "locust.log").open("wb") as log, _on_cpu(0):
        subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, env=_env(), timeout=duration + 60)
    with (work / "plain_stats.csv").open(encoding="utf-8") as stats:
        aggregated = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    return int(aggregated["Request Count"]), float(aggregated["Requests/s"])


Runner = Callable[[str, int, float, Path], tuple[int, float]]


def _measure(name: str, runner: Runner, url: str, server: psutil.Process, args: argparse.Namespace) -> Result:
    server_before = sum(server.cpu_times()[:2])
    generator_before = _children_cpu_s()
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        requests, rps = runner(url, args.users, args.duration, Path(work) / name)
    per_cpu_s = requests / (_children_cpu_s() - generator_before)
    server_busy = (sum(server.cpu_times()[:2]) - server_before) / (time.monotonic() - began)
    print(f"{name:>9}: {rps:6.0f} req/s, {per_cpu_s:6.0f} req per generator CPU-second "
          f"(endpoint CPU {server_busy:.0%})", flush=True)  # fmt: skip
    return Result(rps, per_cpu_s)


def _compare(url: str, server: psutil.Process, args: argparse.Namespace) -> dict[str, list[Result]]:
    """Alternate the two generators round by round so that drifting machine noise hits both alike."""
    results: dict[str, list[Result]] = {"ours": [], "plain": [], "watched": [], "reference": [], "judged": []}
    for _ in range(args.rounds):
        results["ours"].append(_measure("ours", run_ours, url, server, args))
        results["plain"].append(_measure("plain", run_plain, url, server, args))
        if args.progress:
            results["watched"].append(_measure("watched", run_watched, url, server, args))
        if args.quality:
            results["reference"].append(_measure("reference", run_reference, url, server, args))
            results["judged"].append(_measure("judged", run_judged, url, server, args))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--progress", action="store_true", help="also: ours with the live view following it")
    parser.add_argument("--quality", action="store_true", help="also: ours recording the ground truth")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    port = _free_port()
    with _on_cpu(1):
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        results = _compare(f"http://127.0.0.1:{port}", psutil.Process(server.pid), args)
    finally:
        server.terminate()
        server.wait(5)
    for field, label in (("rps", "req/s"), ("per_cpu_s", "req per generator CPU-second")):
        ours = statistics.median(getattr(result, field) for result in results["ours"])
        plain = statistics.median(getattr(result, field) for result in results["plain"])
        print(f"median {label}: ours {ours:.0f}, plain locust {plain:.0f}, ratio {ours / plain:.3f}")
        if results["watched"]:
            watched = statistics.median(getattr(result, field) for result in results["watched"])
            print(f"median {label}: ours with the live view {watched:.0f}, ratio {watched / ours:.3f}")
        if results["judged"]:
            reference = statistics.median(getattr(result, field) for result in results["reference"])
            judged = statistics.median(getattr(result, field) for result in results["judged"])
            print(f"median {label}: reference rows {reference:.0f}, recording their truth {judged:.0f}, "
                  f"ratio {judged / reference:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()

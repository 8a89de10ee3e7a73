"""Overhead of the Toxiproxy-compatible proxy with no toxics, as a ratio to a direct connection.

Method: an asyncio echo upstream and the proxy (``python -m faults.toxiproxy``) each run in their own
process; this process is the client, so neither side competes with the other for the GIL. For each
path (direct to the upstream, and through the proxy) it measures:

- small round trips: 16-byte request, 16-byte echo, one at a time on one connection (p50/p99);
- bulk transfers: 64 KiB sent and the 64 KiB echo read back, repeatedly on one connection (MB/s).

Direct and proxied measurements alternate over ``--rounds`` rounds; latency percentiles pool all
samples, throughput is the median round. Usage:
``python bench/proxy_overhead.py [--round-trips 5000] [--transfers 2000] [--rounds 5]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from toxiproxy import Toxiproxy

REPO_ROOT = Path(__file__).resolve().parents[1]
BULK = 64 * 1024


class _Echo(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.transport.write(data)


async def _serve_echo() -> None:
    server = await asyncio.get_running_loop().create_server(_Echo, "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def _spawn(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _recv_exactly(sock: socket.socket, size: int) -> None:
    view = memoryview(bytearray(size))
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise ConnectionError("closed mid-transfer")
        got += n


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def round_trips(port: int, count: int) -> list[float]:
    payload = b"x" * 16
    samples = []
    with _connect(port) as sock:
        for i in range(count + 200):
            started = time.perf_counter()
            sock.sendall(payload)
            _recv_exactly(sock, len(payload))
            if i >= 200:  # warm-up excluded
                samples.append(time.perf_counter() - started)
    return samples


def bulk_throughput(port: int, transfers: int) -> float:
    """MB/s of payload moved (both directions) with 64 KiB echo transfers."""
    payload = b"y" * BULK
    with _connect(port) as sock:
        for _ in range(20):
            sock.sendall(payload)
            _recv_exactly(sock, BULK)
        started = time.perf_counter()
        for _ in range(transfers):
            sock.sendall(payload)
            _recv_exactly(sock, BULK)
        elapsed = time.perf_counter() - started
    return 2 * BULK * transfers / elapsed / 1e6


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--serve-echo", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_echo:
        asyncio.run(_serve_echo())
        return

    echo, echo_port = _spawn([__file__, "--serve-echo"])
    proxy_server, banner = _spawn(["-m", "faults.toxiproxy", "--host", "127.0.0.1", "--port", "0"])
    try:
        client = Toxiproxy()
        client.update_api_consumer("127.0.0.1", int(banner.rsplit(":", 1)[1]))
        proxy = client.create(upstream=f"127.0.0.1:{echo_port}", name="bench")
        proxy_port = int(proxy.listen.rsplit(":", 1)[1])
        direct: list[float] = []
        proxied: list[float] = []
        direct_rates: list[float] = []
        proxied_rates: list[float] = []
        # Interleaved rounds, so background load on a shared machine hits both paths alike.
        for _ in range(args.rounds):
            direct += round_trips(int(echo_port), args.round_trips // args.rounds)
            proxied += round_trips(proxy_port, args.round_trips // args.rounds)
            direct_rates.append(bulk_throughput(int(echo_port), args.transfers // args.rounds))
            proxied_rates.append(bulk_throughput(proxy_port, args.transfers // args.rounds))
        direct_bulk = statistics.median(direct_rates)
        proxied_bulk = statistics.median(proxied_rates)
    finally:
        for process in (proxy_server, echo):
            process.terminate()
            process.wait(timeout=10)

    rows = [
        ("p50 round trip (ms)", statistics.median(direct) * 1e3, statistics.median(proxied) * 1e3),
        ("p99 round trip (ms)", percentile(direct, 0.99) * 1e3, percentile(proxied, 0.99) * 1e3),
    ]
    print(f"{'metric':<28}{'direct':>10}{'proxy':>10}{'added':>10}{'ratio':>8}")
    for name, plain, through in rows:
        print(f"{name:<28}{plain:>10.3f}{through:>10.3f}{through - plain:>10.3f}{through / plain:>8.2f}")
    print(
        f"{'64 KiB echo (MB/s)':<28}{direct_bulk:>10.1f}{proxied_bulk:>10.1f}{'':>10}"
        f"{proxied_bulk / direct_bulk:>8.2f}"
    )


if __name__ == "__main__":
    main()

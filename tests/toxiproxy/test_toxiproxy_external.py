"""The server as its own process (``python -m faults.toxiproxy``), driven only through its URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from toxiproxy import Toxiproxy

from tests.toxiproxy.toxiproxy_upstreams import TcpServer, dial, round_trip

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def external_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "faults.toxiproxy", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "listening on" in banner, banner
        yield process, banner.split()[-1]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        assert process.stdout is not None
        process.stdout.close()


def test_external_server_drives_like_a_real_toxiproxy(
    external_process: tuple[subprocess.Popen[str], str], echo_upstream: TcpServer
):
    process, url = external_process
    parts = urlsplit(url)
    client = Toxiproxy()
    client.update_api_consumer(parts.hostname, parts.port)
    assert client.running()
    proxy = client.create(upstream=echo_upstream.address, name="ext")
    with dial(proxy.listen) as sock:
        baseline = round_trip(sock)
        proxy.add_toxic(type="latency", attributes={"latency": 150})
        assert round_trip(sock) - baseline == pytest.approx(0.15, abs=0.03)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert sock.recv(10) == b""  # the stopping server closed the live connection

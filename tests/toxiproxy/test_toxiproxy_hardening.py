"""The proxy is hard to break and safe on a shared machine: bounded API connections, bounded attributes,
loopback-only listeners and API unless ``--allow-remote``, and one-line errors from ``toxiproxy serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from faults.toxiproxy import ToxiproxyServer
from faults.toxiproxy.errors import ServeError
from faults.toxiproxy.http11 import Timeouts
from tests.toxiproxy.toxiproxy_upstreams import TcpServer, dial, recv_exactly, round_trip

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def quick_server() -> Iterator[ToxiproxyServer]:
    """Timeouts of half a second instead of Toxiproxy's 15 s / 60 s, so a test can see them fire."""
    with ToxiproxyServer(port=0, timeouts=Timeouts(read=0.5, idle=0.5, write=0.5)) as running:
        yield running


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server closes; the 30 s socket timeout only bounds a broken server."""
    sock.settimeout(30)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"GET /vers",
        b"GET /version HTTP/1.1\r\nHost: x\r\n",
        b'POST /proxies HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n{"name": ',
        b'POST /proxies HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"na',
        b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n",  # answered, then idle on a kept-alive connection
    ],
    ids=["silent", "request-line", "headers", "body", "chunked-body", "idle-keep-alive"],
)
def test_idle_or_half_sent_api_requests_are_closed(quick_server: ToxiproxyServer, sent: bytes):
    with socket.create_connection(("127.0.0.1", quick_server.port)) as sock:
        sock.sendall(sent)
        assert closed_by_server(sock)


def test_a_slow_request_on_a_kept_alive_connection_gets_the_read_timeout(quick_server: ToxiproxyServer):
    with socket.create_connection(("127.0.0.1", quick_server.port)) as sock:
        sock.sendall(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\nGET /ver")
        assert closed_by_server(sock)


@pytest.mark.parametrize(
    ("toxic", "attributes", "message"),
    [
        ("latency", {"latency": -5}, "LatencyToxic.attributes.latency must be 0 or more, got -5"),
        ("latency", {"jitter": -1}, "LatencyToxic.attributes.jitter must be 0 or more, got -1"),
        ("bandwidth", {"rate": -1}, "BandwidthToxic.attributes.rate must be 0 or more, got -1"),
        ("slicer", {"average_size": -1}, "SlicerToxic.attributes.average_size must be 0 or more, got -1"),
        ("limit_data", {"bytes": -1}, "LimitDataToxic.attributes.bytes must be 0 or more, got -1"),
        ("timeout", {"timeout": 10**400}, "cannot unmarshal number 1000"),
    ],
)
def test_absurd_attributes_are_refused(server: ToxiproxyServer, toxic: str, attributes: dict, message: str):
    """Toxiproxy accepts negative delays, rates and sizes; they mean nothing, so we refuse them."""
    requests.post(f"{server.url}/proxies", json={"name": "a", "upstream": "127.0.0.1:9"}, timeout=10)
    created = requests.post(
        f"{server.url}/proxies/a/toxics", json={"type": toxic, "attributes": attributes}, timeout=10
    )
    assert created.status_code == 400 and message in created.json()["error"]
    requests.post(f"{server.url}/proxies/a/toxics", json={"type": toxic, "name": "t"}, timeout=10)
    updated = requests.patch(f"{server.url}/proxies/a/toxics/t", json={"attributes": attributes}, timeout=10)
    assert updated.status_code == 400 and message in updated.json()["error"]
    kept = requests.get(f"{server.url}/proxies/a/toxics/t", timeout=10).json()["attributes"]
    assert set(kept.values()) == {0}  # the refused update changed nothing


def test_largest_int64_values_are_accepted_and_work(server: ToxiproxyServer, echo_upstream: TcpServer):
    """The upper bounds are Go's: int64 attributes and float32 toxicity; the toxics run with them."""
    top = 2**63 - 1
    created = requests.post(
        f"{server.url}/proxies", json={"name": "big", "upstream": echo_upstream.address}, timeout=10
    )
    for toxic, attributes in [
        ("bandwidth", {"rate": top}),
        ("slicer", {"average_size": top, "size_variation": top, "delay": 0}),
        ("limit_data", {"bytes": top}),
        ("latency", {"latency": top, "jitter": top}),  # a delay of 2^63-1 ms: held until removed
    ]:
        body = {"type": toxic, "stream": "upstream", "attributes": attributes}
        assert requests.post(f"{server.url}/proxies/big/toxics", json=body, timeout=10).status_code == 200
    with dial(created.json()["listen"]) as sock:
        sock.sendall(b"held")
        time.sleep(0.2)  # let the chunk reach the latency stage
        requests.delete(f"{server.url}/proxies/big/toxics/latency_upstream", timeout=10).raise_for_status()
        assert recv_exactly(sock, 4) == b"held"  # went through bandwidth, slicer and limit_data
        round_trip(sock)
    toxicity = requests.patch(
        f"{server.url}/proxies/big/toxics/bandwidth_upstream", json={"toxicity": 3.4e38}, timeout=10
    ).json()["toxicity"]
    assert toxicity == pytest.approx(3.4e38)


# --- loopback guard ------------------------------------------------------------------------------------

REMOTE_LISTENS = ["0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:8080"]


def refused_remote(response: requests.Response) -> bool:
    return (
        response.status_code == 403
        and response.headers["Content-Type"] == "text/plain; charset=utf-8"
        and "not a loopback address" in response.json()["error"]
        and "--allow-remote" in response.json()["error"]
    )


@pytest.mark.parametrize("listen", REMOTE_LISTENS)
def test_create_refuses_a_non_loopback_listen(server: ToxiproxyServer, listen: str):
    body = {"name": "r", "upstream": "127.0.0.1:9", "listen": listen}
    assert refused_remote(requests.post(f"{server.url}/proxies", json=body, timeout=10))
    assert requests.get(f"{server.url}/proxies", timeout=10).json() == {}


@pytest.mark.parametrize("listen", REMOTE_LISTENS)
def test_update_refuses_a_non_loopback_listen_and_keeps_the_proxy(
    server: ToxiproxyServer, echo_upstream: TcpServer, listen: str
):
    created = requests.post(
        f"{server.url}/proxies", json={"name": "r", "upstream": echo_upstream.address}, timeout=10
    ).json()
    with dial(created["listen"]) as sock:
        round_trip(sock)
        response = requests.patch(f"{server.url}/proxies/r", json={"listen": listen}, timeout=10)
        assert refused_remote(response)
        round_trip(sock)
    assert requests.get(f"{server.url}/proxies/r", timeout=10).json() == created


@pytest.mark.parametrize("listen", REMOTE_LISTENS)
def test_populate_refuses_a_non_loopback_listen(server: ToxiproxyServer, listen: str):
    body = [{"name": "r", "upstream": "127.0.0.1:9", "listen": listen}]
    response = requests.post(f"{server.url}/populate", json=body, timeout=10)
    assert response.status_code == 403 and response.json()["proxies"] is None
    assert "not a loopback address" in response.json()["error"]


def test_disabled_proxy_cannot_be_enabled_off_loopback(server: ToxiproxyServer):
    body = {"name": "r", "upstream": "127.0.0.1:9", "listen": "0.0.0.0:0", "enabled": False}
    assert requests.post(f"{server.url}/proxies", json=body, timeout=10).status_code == 201
    assert refused_remote(requests.patch(f"{server.url}/proxies/r", json={"enabled": True}, timeout=10))
    assert requests.post(f"{server.url}/reset", timeout=10).status_code == 403


def test_allow_remote_lets_proxies_listen_anywhere(echo_upstream: TcpServer):
    with ToxiproxyServer(port=0, allow_remote=True) as server:
        body = {"name": "r", "upstream": echo_upstream.address, "listen": "0.0.0.0:0"}
        created = requests.post(f"{server.url}/proxies", json=body, timeout=10)
        assert created.status_code == 201 and created.json()["listen"].startswith("0.0.0.0:")
        with dial(f"127.0.0.1:{created.json()['listen'].rsplit(':', 1)[1]}") as sock:
            round_trip(sock)


def test_embedded_server_refuses_a_non_loopback_api_host():
    with pytest.raises(ServeError, match="not a loopback address"):
        ToxiproxyServer(host="0.0.0.0", port=0).start()


def test_embedded_server_reports_a_busy_port_as_one_line():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ServeError, match=f"cannot listen on 127.0.0.1:{port}: .*in use"):
            ToxiproxyServer(port=port).start()


# --- toxiproxy serve on the command line ---------------------------------------------------------------

ENTRY_POINTS = {
    "chaosdrill": [sys.executable, "-m", "harness.cli", "toxiproxy", "serve"],
    "module": [sys.executable, "-m", "faults.toxiproxy"],
}


def run_serve(entry: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [*ENTRY_POINTS[entry], *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        yield taken.getsockname()[1]


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--host", "0.0.0.0", "--port", "0"], "is not a loopback address"),
        (["--host", "::", "--port", "0"], "is not a loopback address"),
        (["--host", "nohost.invalid", "--port", "0"], "cannot resolve host 'nohost.invalid'"),
        (["--port", "{taken}"], "cannot listen on 127.0.0.1:{taken}: address already in use"),
        (["--port", "70000"], "port 70000 is out of range"),
    ],
    ids=["any-ipv4", "any-ipv6", "unresolvable", "busy", "port-range"],
)
def test_serve_refuses_with_one_line_and_exit_2(entry: str, args: list[str], fragment: str, taken_port: int):
    done = run_serve(entry, *(arg.format(taken=taken_port) for arg in args))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert fragment.format(taken=taken_port) in done.stderr


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_serve_with_allow_remote_warns_then_serves(entry: str):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    argv = [*ENTRY_POINTS[entry], "--host", "0.0.0.0", "--port", "0", "--allow-remote"]
    process = subprocess.Popen(
        argv, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None and process.stderr is not None
        banner = process.stdout.readline()
        port = int(banner.rsplit(":", 1)[1])
        assert requests.get(f"http://127.0.0.1:{port}/version", timeout=10).ok
        process.terminate()
        assert process.wait(timeout=10) == 0
        warning = process.stderr.read()
        assert warning.startswith("warning: --allow-remote") and "no authentication" in warning
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)

"""Each toxic measured with raw sockets through the proxy, plus toxicity and live add/update/remove."""

from __future__ import annotations

import socket
import statistics
import time

import pytest
import requests
from toxiproxy import Toxiproxy
from toxiproxy.proxy import Proxy

from faults.toxiproxy import ToxiproxyServer
from tests.toxiproxy.toxiproxy_upstreams import TcpServer, dial, recv_exactly, recv_until_closed, round_trip


def median_round_trip(sock: socket.socket, count: int = 5) -> float:
    return statistics.median(round_trip(sock) for _ in range(count))


@pytest.fixture
def echo_proxy(client: Toxiproxy, echo_upstream: TcpServer) -> Proxy:
    return client.create(upstream=echo_upstream.address, name="echo")


@pytest.fixture
def sender_proxy(client: Toxiproxy, sender_upstream: TcpServer) -> Proxy:
    return client.create(upstream=sender_upstream.address, name="sender")


def test_latency_adds_200ms_to_a_round_trip(echo_proxy: Proxy):
    with dial(echo_proxy.listen) as sock:
        baseline = median_round_trip(sock)
        echo_proxy.add_toxic(type="latency", attributes={"latency": 200})
        delayed = median_round_trip(sock, 3)
    assert delayed - baseline == pytest.approx(0.200, abs=0.020)


def test_jitter_stays_within_bounds(echo_proxy: Proxy):
    echo_proxy.add_toxic(type="latency", attributes={"latency": 100, "jitter": 50})
    with dial(echo_proxy.listen) as sock:
        samples = [round_trip(sock) for _ in range(8)]
    assert all(0.045 <= s <= 0.170 for s in samples)
    assert max(samples) - min(samples) > 0.005


def test_toxics_stack_across_streams_and_in_order(echo_proxy: Proxy):
    with dial(echo_proxy.listen) as sock:
        baseline = median_round_trip(sock)
        echo_proxy.add_toxic(type="latency", stream="upstream", attributes={"latency": 100})
        echo_proxy.add_toxic(type="latency", name="second", attributes={"latency": 60})
        echo_proxy.add_toxic(type="latency", name="third", attributes={"latency": 40})
        delayed = median_round_trip(sock, 3)
    assert delayed - baseline == pytest.approx(0.200, abs=0.025)


def test_bandwidth_cap_within_15_percent(sender_proxy: Proxy):
    rate_kb = 400
    size = 400_000
    sender_proxy.add_toxic(type="bandwidth", attributes={"rate": rate_kb})
    with dial(sender_proxy.listen) as sock:
        started = time.perf_counter()
        sock.sendall(f"{size}\n".encode())
        received = recv_until_closed(sock)
        elapsed = time.perf_counter() - started
    assert len(received) == size
    assert size / elapsed / 1000 == pytest.approx(rate_kb, rel=0.15)


def test_timeout_stops_data_then_closes(echo_proxy: Proxy):
    echo_proxy.add_toxic(type="timeout", attributes={"timeout": 300})
    with dial(echo_proxy.listen) as sock:
        started = time.perf_counter()
        sock.sendall(b"ping")
        assert recv_until_closed(sock) == b""
        assert time.perf_counter() - started == pytest.approx(0.3, abs=0.1)


def test_timeout_zero_never_closes_and_removal_closes(echo_proxy: Proxy):
    echo_proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    with dial(echo_proxy.listen, timeout=0.4) as sock:
        sock.sendall(b"ping")
        with pytest.raises(TimeoutError):
            sock.recv(10)
        echo_proxy.destroy_toxic("timeout_downstream")
        sock.settimeout(5)
        assert recv_until_closed(sock) == b""  # Toxiproxy closes once the swallowing toxic goes


def test_reset_peer_sends_rst(echo_proxy: Proxy):
    echo_proxy.add_toxic(type="reset_peer", attributes={"timeout": 100})
    with dial(echo_proxy.listen) as sock:
        started = time.perf_counter()
        sock.sendall(b"ping")
        with pytest.raises(ConnectionResetError):
            recv_until_closed(sock)
        assert time.perf_counter() - started >= 0.09


def test_limit_data_closes_after_the_limit(sender_proxy: Proxy):
    sender_proxy.add_toxic(type="limit_data", attributes={"bytes": 1000})
    with dial(sender_proxy.listen) as sock:
        sock.sendall(b"5000\n")
        assert len(recv_until_closed(sock)) == 1000


def test_slow_close_delays_only_the_close(sender_proxy: Proxy):
    sender_proxy.add_toxic(type="slow_close", attributes={"delay": 300})
    with dial(sender_proxy.listen) as sock:
        started = time.perf_counter()
        sock.sendall(b"10\n")
        assert recv_exactly(sock, 10) == b"x" * 10
        data_at = time.perf_counter() - started
        assert sock.recv(10) == b""
        closed_at = time.perf_counter() - started
    assert data_at < 0.1
    assert closed_at == pytest.approx(0.3, abs=0.1)


def test_slicer_splits_and_spaces_data(echo_proxy: Proxy):
    echo_proxy.add_toxic(type="slicer", attributes={"average_size": 10, "size_variation": 2, "delay": 20_000})
    with dial(echo_proxy.listen) as sock:
        started = time.perf_counter()
        sock.sendall(b"y" * 100)
        pieces = []
        while sum(map(len, pieces)) < 100:
            pieces.append(sock.recv(100))
        elapsed = time.perf_counter() - started
    assert b"".join(pieces) == b"y" * 100
    assert len(pieces) >= 5
    assert elapsed >= 0.1


def test_toxicity_half_hits_about_half_of_200_connections(sender_proxy: Proxy):
    sender_proxy.add_toxic(type="limit_data", attributes={"bytes": 1}, toxicity=0.5)
    hit = 0
    for _ in range(200):
        with dial(sender_proxy.listen) as sock:
            sock.sendall(b"2\n")
            hit += len(recv_until_closed(sock)) == 1
    assert 70 <= hit <= 130


def test_live_add_update_remove_keep_the_connection(echo_proxy: Proxy, server: ToxiproxyServer):
    with dial(echo_proxy.listen) as sock:
        baseline = median_round_trip(sock)
        echo_proxy.add_toxic(type="latency", attributes={"latency": 100})
        assert median_round_trip(sock, 2) - baseline == pytest.approx(0.1, abs=0.02)
        requests.patch(
            f"{server.url}/proxies/echo/toxics/latency_downstream", json={"attributes": {"latency": 250}}
        ).raise_for_status()
        assert median_round_trip(sock, 2) - baseline == pytest.approx(0.25, abs=0.02)
        echo_proxy.destroy_toxic("latency_downstream")
        assert median_round_trip(sock) < baseline + 0.01


def test_removing_a_toxic_releases_data_it_held(echo_proxy: Proxy):
    echo_proxy.add_toxic(type="latency", attributes={"latency": 5000})
    with dial(echo_proxy.listen) as sock:
        started = time.perf_counter()
        sock.sendall(b"held")
        time.sleep(0.1)
        echo_proxy.destroy_toxic("latency_downstream")
        assert recv_exactly(sock, 4) == b"held"
        assert time.perf_counter() - started < 1.0

"""No fd or task leaks over thousands of short connections; hundreds of concurrent long ones."""

from __future__ import annotations

import os

from toxiproxy import Toxiproxy

from faults.toxiproxy import ToxiproxyServer
from tests.toxiproxy.toxiproxy_upstreams import TcpServer, dial, recv_exactly, round_trip, wait_until


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_thousands_of_short_connections_leak_no_fds_or_tasks(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer
):
    proxy = client.create(upstream=echo_upstream.address, name="short")
    # Zero-delay toxics on both streams so every connection also starts and must stop stage tasks.
    proxy.add_toxic(type="latency", stream="upstream", attributes={"latency": 0})
    proxy.add_toxic(type="latency", stream="downstream", attributes={"latency": 0})
    with dial(proxy.listen) as warm:
        round_trip(warm)
    assert wait_until(lambda: server.pending_tasks() <= 2)
    fds_before, tasks_before = open_fds(), server.pending_tasks()
    for _ in range(2000):
        with dial(proxy.listen) as sock:
            round_trip(sock, b"x")
    assert wait_until(lambda: open_fds() <= fds_before + 2), (fds_before, open_fds())
    assert wait_until(lambda: server.pending_tasks() <= tasks_before), server.pending_tasks()


def test_hundreds_of_concurrent_long_connections(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer
):
    proxy = client.create(upstream=echo_upstream.address, name="long")
    fds_before = open_fds()
    socks = [dial(proxy.listen) for _ in range(300)]
    try:
        for round_number in range(3):
            for index, sock in enumerate(socks):
                sock.sendall(f"{index:04d}{round_number}".encode())
            for index, sock in enumerate(socks):
                assert recv_exactly(sock, 5) == f"{index:04d}{round_number}".encode()
        proxy.add_toxic(type="latency", attributes={"latency": 50})
        for sock in socks:
            sock.sendall(b"z")
        assert all(recv_exactly(sock, 1) == b"z" for sock in socks)
    finally:
        for sock in socks:
            sock.close()
    assert wait_until(lambda: open_fds() <= fds_before + 2), (fds_before, open_fds())


def test_stop_closes_listeners_and_live_connections(echo_upstream: TcpServer):
    fds_before = open_fds()
    server = ToxiproxyServer(port=0)
    server.start()
    toxiproxy = Toxiproxy()
    toxiproxy.update_api_consumer("127.0.0.1", server.port)
    proxy = toxiproxy.create(upstream=echo_upstream.address, name="s")
    sock = dial(proxy.listen)
    round_trip(sock)
    server.stop()
    server.stop()
    assert sock.recv(10) == b""
    sock.close()
    assert wait_until(lambda: open_fds() <= fds_before), (fds_before, open_fds())

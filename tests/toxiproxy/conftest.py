"""Fixtures: an embedded Toxiproxy-compatible server on a free port, the unmodified client, upstreams, and
the real Toxiproxy server as an oracle (skipped where ``../shared/toxiproxy`` is absent)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from toxiproxy import Toxiproxy

from faults.toxiproxy import ToxiproxyServer
from tests.toxiproxy.toxiproxy_reference import MISSING, REFERENCE_SERVER, ReferenceServer
from tests.toxiproxy.toxiproxy_upstreams import TcpServer, echo, send_requested


@pytest.fixture
def server() -> Iterator[ToxiproxyServer]:
    with ToxiproxyServer(port=0) as running:
        yield running


@pytest.fixture
def client(server: ToxiproxyServer) -> Toxiproxy:
    toxiproxy = Toxiproxy()
    toxiproxy.update_api_consumer("127.0.0.1", server.port)
    return toxiproxy


@pytest.fixture
def echo_upstream() -> Iterator[TcpServer]:
    upstream = TcpServer(echo)
    yield upstream
    upstream.close()


@pytest.fixture
def sender_upstream() -> Iterator[TcpServer]:
    upstream = TcpServer(send_requested)
    yield upstream
    upstream.close()


@pytest.fixture
def reference() -> Iterator[ReferenceServer]:
    if not REFERENCE_SERVER.exists():
        pytest.skip(MISSING)
    with ReferenceServer() as running:
        yield running

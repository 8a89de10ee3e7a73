"""Every scenario network fault kind, applied and cleared through the real proxy via toxiproxy-python."""

import socket

import pytest
import requests
from toxiproxy import Toxiproxy

from faults.capabilities import NetworkLinks
from faults.toxiproxy import ToxiproxyServer
from harness.injection import build_injectors
from harness.plan import PlannedFault
from harness.scenario.model import FaultSpec

KINDS = {
    "latency": ({"latency": "200ms", "jitter": "10ms"}, {"latency": 200, "jitter": 10}),
    "bandwidth": ({"rate_kbps": 64}, {"rate": 64}),
    "slow_close": ({"delay": "1s"}, {"delay": 1000}),
    "timeout": ({"timeout": "500ms"}, {"timeout": 500}),
    "reset_peer": ({"timeout": "0s", "stream": "upstream"}, {"timeout": 0}),
    "slicer": (
        {"average_size": 64, "size_variation": 8, "delay": "2ms"},
        {"average_size": 64, "size_variation": 8, "delay": 2000},
    ),
    "limit_data": ({"bytes": 1024, "toxicity": 0.5}, {"bytes": 1024}),
}


class Control:
    """The slice of a backend that network injectors use."""

    capabilities = frozenset({NetworkLinks})

    def __init__(self, proxy):
        self.proxy = proxy

    def link_proxy(self, node):
        return self.proxy


@pytest.fixture
def proxy():
    with ToxiproxyServer(port=0) as server, socket.create_server(("127.0.0.1", 0)) as upstream:
        Toxiproxy().update_api_consumer(server.host, server.port)
        proxy = Toxiproxy().create(upstream=f"127.0.0.1:{upstream.getsockname()[1]}", name="link")
        yield server, proxy


def planned(kind, params):
    spec = FaultSpec.model_validate({"name": "f", "kind": kind, "at": "1s", "duration": "1s", "target": "n",
                                     "params": params})  # fmt: skip
    return PlannedFault(spec, ("n",))


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_network_kind_becomes_the_toxic_and_is_removed(proxy, kind):
    server, link = proxy
    params, attributes = KINDS[kind]
    [injector] = build_injectors(planned(kind, params), Control(link))
    injector.apply()
    [toxic] = requests.get(f"{server.url}/proxies/link/toxics", timeout=5).json()
    assert toxic["type"] == kind
    assert toxic["attributes"] == attributes
    assert toxic["stream"] == params.get("stream", "downstream")
    assert toxic["toxicity"] == params.get("toxicity", 1.0)
    injector.clear()
    injector.clear()  # idempotent: runs again on every exit path
    assert requests.get(f"{server.url}/proxies/link/toxics", timeout=5).json() == []


def test_down_disables_the_link_and_brings_it_back(proxy):
    server, link = proxy
    host, port = link.listen.rsplit(":", 1)
    [injector] = build_injectors(planned("down", {}), Control(link))
    injector.apply()
    assert requests.get(f"{server.url}/proxies/link", timeout=5).json()["enabled"] is False
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, int(port)), timeout=2)
    injector.clear()
    socket.create_connection((host, int(port)), timeout=2).close()

"""Toxiproxy 2.x API parity, driven by the unmodified toxiproxy-python client.

Raw HTTP (``requests``) is used only for what the client cannot express or hides: PATCH, exact status
codes, error bodies, populate and the browser check.
"""

from __future__ import annotations

import socket

import pytest
import requests
from toxiproxy import Toxiproxy
from toxiproxy.exceptions import InvalidToxic, NotFound, ProxyExists

from faults.toxiproxy import ToxiproxyServer
from tests.toxiproxy.toxiproxy_upstreams import TcpServer, dial, round_trip


def refuses(listen: str) -> bool:
    try:
        dial(listen, timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_create_list_show_and_destroy_proxy(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer
):
    proxy = client.create(upstream=echo_upstream.address, name="echo")
    assert proxy.enabled is True
    assert proxy.listen.startswith("127.0.0.1:") and not proxy.listen.endswith(":0")
    assert set(client.proxies()) == {"echo"}
    shown = requests.get(f"{server.url}/proxies/echo").json()
    assert shown == {
        "name": "echo",
        "listen": proxy.listen,
        "upstream": echo_upstream.address,
        "enabled": True,
        "toxics": [],
    }
    with dial(proxy.listen) as sock:
        round_trip(sock)
    assert proxy.destroy() is True
    assert client.get_proxy("echo") is None
    assert requests.get(f"{server.url}/proxies/echo").json() == {"error": "proxy not found", "status": 404}


def test_create_status_codes_and_errors(server: ToxiproxyServer, echo_upstream: TcpServer):
    body = {"name": "p", "upstream": echo_upstream.address, "listen": "127.0.0.1:0"}
    created = requests.post(f"{server.url}/proxies", json=body)
    assert created.status_code == 201
    again = requests.post(f"{server.url}/proxies", json=body)
    assert (again.status_code, again.json()) == (409, {"error": "proxy already exists", "status": 409})
    missing = requests.post(f"{server.url}/proxies", json={"name": "q"})
    assert missing.json() == {"error": "missing required field: upstream", "status": 400}
    disabled = requests.post(f"{server.url}/proxies", json={**body, "name": "off", "enabled": False})
    assert disabled.status_code == 201
    assert (disabled.json()["enabled"], disabled.json()["listen"]) == (False, "127.0.0.1:0")
    assert requests.delete(f"{server.url}/proxies/p").status_code == 204
    assert requests.delete(f"{server.url}/proxies/p").status_code == 404


def test_client_create_refuses_existing_name(client: Toxiproxy, echo_upstream: TcpServer):
    client.create(upstream=echo_upstream.address, name="dup")
    with pytest.raises(ProxyExists):
        client.create(upstream=echo_upstream.address, name="dup")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "bad request body: EOF"),
        (b"{not json", "bad request body"),
        (b"[1, 2]", "bad request body: json: cannot unmarshal array"),
        (
            b'{"name": 5, "upstream": "127.0.0.1:1"}',
            "cannot unmarshal number into Go struct field Proxy.name",
        ),
        (b'{"name": "x", "upstream": "127.0.0.1:1", "enabled": "yes"}', "Proxy.enabled of type bool"),
    ],
)
def test_malformed_proxy_bodies_are_400_with_a_message(server: ToxiproxyServer, body: bytes, fragment: str):
    response = requests.post(f"{server.url}/proxies", data=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"] and response.json()["status"] == 400


def test_listen_port_in_use_is_500_with_reason(server: ToxiproxyServer, echo_upstream: TcpServer):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        listen = f"127.0.0.1:{taken.getsockname()[1]}"
        response = requests.post(
            f"{server.url}/proxies",
            json={"name": "busy", "upstream": echo_upstream.address, "listen": listen},
        )
    assert response.status_code == 500
    assert response.json()["error"] == f"listen tcp {listen}: bind: address already in use"


def test_toxic_defaults_and_status_codes(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer
):
    proxy = client.create(upstream=echo_upstream.address, name="t")
    raw = requests.post(
        f"{server.url}/proxies/t/toxics", json={"type": "latency", "attributes": {"latency": 5}}
    )
    assert raw.status_code == 200
    assert raw.json() == {
        "attributes": {"latency": 5, "jitter": 0},
        "name": "latency_downstream",
        "type": "latency",
        "stream": "downstream",
        "toxicity": 1.0,
    }
    proxy.add_toxic(type="bandwidth", stream="upstream", attributes={"rate": 100}, toxicity=0.5, name="bw")
    toxics = proxy.toxics()
    assert set(toxics) == {"latency_downstream", "bw"}
    assert (toxics["bw"].stream, toxics["bw"].toxicity, toxics["bw"].attributes) == (
        "upstream",
        0.5,
        {"rate": 100},
    )
    listed = requests.get(f"{server.url}/proxies/t").json()["toxics"]
    assert [t["name"] for t in listed] == ["bw", "latency_downstream"]  # upstream chain first, as Toxiproxy
    assert requests.get(f"{server.url}/proxies/t/toxics/bw").json()["type"] == "bandwidth"
    assert proxy.destroy_toxic("bw") is True
    missing = requests.get(f"{server.url}/proxies/t/toxics/bw")
    assert (missing.status_code, missing.json()) == (404, {"error": "toxic not found", "status": 404})
    assert requests.delete(f"{server.url}/proxies/t/toxics/bw").status_code == 404


def test_toxic_errors_map_to_client_exceptions(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer
):
    proxy = client.create(upstream=echo_upstream.address, name="e")
    proxy.add_toxic(type="latency", name="same", stream="downstream", attributes={"latency": 1})
    with pytest.raises(ProxyExists):  # names are unique across both streams
        proxy.add_toxic(type="timeout", name="same", stream="upstream")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="no_such_toxic")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="latency", stream="sideways")
    with pytest.raises(InvalidToxic):
        proxy.add_toxic(type="latency", name="frac", attributes={"latency": 1.5})
    with pytest.raises(NotFound):
        proxy.destroy_toxic("absent")
    ghost = requests.post(f"{server.url}/proxies/ghost/toxics", json={"type": "latency"})
    assert ghost.json() == {"error": "proxy not found", "status": 404}
    stream = requests.post(f"{server.url}/proxies/e/toxics", json={"type": "latency", "stream": "x"})
    assert stream.json()["error"] == "stream was invalid, can be either upstream or downstream"
    kind = requests.post(f"{server.url}/proxies/e/toxics", json={"type": "nope"})
    assert kind.json() == {"error": "invalid toxic type", "status": 400}


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_toxic_update_merges_attributes(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer, method: str
):
    proxy = client.create(upstream=echo_upstream.address, name="u")
    proxy.add_toxic(type="latency", attributes={"latency": 100, "jitter": 10})
    url = f"{server.url}/proxies/u/toxics/latency_downstream"
    updated = requests.request(method, url, json={"attributes": {"latency": 300}})
    assert updated.status_code == 200
    assert updated.json()["attributes"] == {"latency": 300, "jitter": 10}
    assert requests.request(method, url, json={"toxicity": 0.25}).json()["toxicity"] == 0.25
    assert requests.request(method, f"{server.url}/proxies/u/toxics/nope", json={}).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_proxy_update_restarts_on_new_listen_and_keeps_omitted_fields(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer, method: str
):
    proxy = client.create(upstream=echo_upstream.address, name="m")
    old_listen = proxy.listen
    with socket.create_server(("127.0.0.1", 0)) as probe:
        new_listen = f"127.0.0.1:{probe.getsockname()[1]}"
    response = requests.request(method, f"{server.url}/proxies/m", json={"listen": new_listen})
    assert response.status_code == 200
    assert response.json() == {
        "name": "m",
        "listen": new_listen,
        "upstream": echo_upstream.address,
        "enabled": True,
        "toxics": [],
    }
    assert refuses(old_listen)
    with dial(new_listen) as sock:
        round_trip(sock)


def test_disable_and_enable_through_the_client(client: Toxiproxy, echo_upstream: TcpServer):
    proxy = client.create(upstream=echo_upstream.address, name="d")
    with dial(proxy.listen) as sock:
        round_trip(sock)
        proxy.disable()
        assert client.get_proxy("d").enabled is False
        assert sock.recv(10) == b""  # the live connection was closed
    assert refuses(proxy.listen)
    proxy.enable()
    assert client.get_proxy("d").enabled is True
    with dial(client.get_proxy("d").listen) as sock:
        round_trip(sock)
    with proxy.down():
        assert refuses(proxy.listen)


def test_reset_enables_proxies_and_removes_toxics(
    client: Toxiproxy, server: ToxiproxyServer, echo_upstream: TcpServer
):
    proxy = client.create(upstream=echo_upstream.address, name="r")
    proxy.add_toxic(type="timeout", attributes={"timeout": 0})
    proxy.disable()
    raw = requests.post(f"{server.url}/reset")
    assert raw.status_code == 204 and raw.content == b""
    assert client.reset() is True
    after = client.get_proxy("r")
    assert after.enabled is True and proxy.toxics() == {}
    with dial(after.listen) as sock:
        round_trip(sock)


def test_populate_keeps_unchanged_and_replaces_changed(server: ToxiproxyServer, echo_upstream: TcpServer):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        fixed = f"127.0.0.1:{probe.getsockname()[1]}"
    first = requests.post(
        f"{server.url}/populate",
        json=[
            {"name": "a", "upstream": echo_upstream.address, "listen": fixed},
            {"name": "b", "upstream": "x:1"},
        ],
    )
    assert first.status_code == 201
    assert [p["name"] for p in first.json()["proxies"]] == ["a", "b"]
    requests.post(f"{server.url}/proxies/a/toxics", json={"type": "latency"})
    same = requests.post(
        f"{server.url}/populate", json=[{"name": "a", "upstream": echo_upstream.address, "listen": fixed}]
    )
    assert same.json()["proxies"][0]["toxics"] != []  # kept as it was, toxics included
    changed = requests.post(
        f"{server.url}/populate", json=[{"name": "a", "upstream": "127.0.0.1:2", "listen": fixed}]
    )
    assert changed.status_code == 201
    assert changed.json()["proxies"][0]["upstream"] == "127.0.0.1:2"
    assert changed.json()["proxies"][0]["toxics"] == []
    missing = requests.post(f"{server.url}/populate", json=[{"name": "c", "upstream": "y:1"}, {"name": "d"}])
    assert missing.json() == {
        "error": "missing required field: upstream at proxy 2",
        "status": 400,
        "proxies": None,
    }
    assert "c" not in requests.get(f"{server.url}/proxies").json()  # validated before applying anything
    assert requests.post(f"{server.url}/populate", json={"name": "x"}).status_code == 400


def test_client_populate(client: Toxiproxy, echo_upstream: TcpServer):
    created = client.populate([{"name": "p1", "upstream": echo_upstream.address, "listen": "127.0.0.1:0"}])
    assert [p.name for p in created] == ["p1"]
    with dial(client.get_proxy("p1").listen) as sock:
        round_trip(sock)
    client.destroy_all()
    assert client.proxies() == {}


def test_version_browser_refusal_and_unknown_routes(client: Toxiproxy, server: ToxiproxyServer):
    assert client.running() is True
    assert b'"version"' in client.version()
    browser = requests.get(f"{server.url}/proxies", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"})
    assert (browser.status_code, browser.text) == (403, "User agent not allowed\n")
    assert requests.get(f"{server.url}/nowhere").status_code == 404
    assert requests.put(f"{server.url}/proxies").status_code == 405


def test_malformed_http_is_400(server: ToxiproxyServer):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"garbage\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 400")


def test_api_keeps_connections_alive(server: ToxiproxyServer):
    request = b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        answers = b""
        sock.sendall(request + request)
        while answers.count(b"HTTP/1.1 200 OK") < 2:
            chunk = sock.recv(4096)
            assert chunk, "server closed a keep-alive connection"
            answers += chunk

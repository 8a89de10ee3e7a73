"""Toxiproxy 2.x parity, differential: every test runs against the embedded server and the real Go server.

The expected values are what Toxiproxy 2.12 answers (status, Content-Type, nosniff, request id, exact
body bytes, or the JSON with Go's stray ``Logger`` field and ephemeral ports normalised). The
``reference`` run checks them against the real server, so they cannot drift from it; the ``embedded`` run
holds our server to them. Without ``../shared/toxiproxy`` the reference runs skip.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from faults.toxiproxy import ToxiproxyServer
from tests.toxiproxy.toxiproxy_reference import (
    MISSING,
    REFERENCE_CLI,
    REFERENCE_SERVER,
    ReferenceServer,
    observed,
)
from tests.toxiproxy.toxiproxy_upstreams import TcpServer, dial, round_trip

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


@dataclass
class Api:
    url: str
    port: int

    def call(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        return observed(requests.request(method, self.url + path, timeout=10, **kwargs))  # type: ignore[arg-type]

    def create(self, name: str, upstream: str, listen: str = "127.0.0.1:0") -> str:
        """Create a proxy; returns the address it listens on."""
        body = {"name": name, "upstream": upstream, "listen": listen}
        response = requests.post(f"{self.url}/proxies", json=body, timeout=10)
        assert response.status_code == 201, response.text
        return response.json()["listen"]

    def show(self, name: str) -> dict[str, object]:
        return requests.get(f"{self.url}/proxies/{name}", timeout=10).json()


@pytest.fixture(params=["embedded", "reference"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    if request.param == "embedded":
        with ToxiproxyServer(port=0) as server:
            yield Api(server.url, server.port)
    else:
        if not REFERENCE_SERVER.exists():
            pytest.skip(MISSING)
        with ReferenceServer() as reference:
            yield Api(reference.url, reference.port)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        yield taken.getsockname()[1]


def error(status: int, message: str) -> dict[str, object]:
    """A handler error as Go's ``http.Error`` sends it: plain text, nosniff, the JSON document, a newline."""
    body = json.dumps({"error": message, "status": status}, separators=(",", ":")).encode() + b"\n"
    return {"status": status, "content-type": TEXT, "nosniff": "nosniff", "request-id": True, "body": body}


def go_type_error(value: str, field: str, go_type: str) -> str:
    return f"bad request body: json: cannot unmarshal {value} into Go struct field {field} of type {go_type}"


NOT_JSON = "bad request body: invalid character '{}' looking for beginning of value"


# --- request id, error format, browser refusal ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/proxies", {"status": 200, "content-type": JSON, "nosniff": None, "request-id": True}),
        ("POST", "/reset", {"status": 204, "content-type": None, "nosniff": None, "request-id": True}),
        ("GET", "/version", {"status": 200, "content-type": "application/json;charset=utf-8", "nosniff": None,
                             "request-id": True}),
        ("GET", "/nowhere", {"status": 404, "content-type": TEXT, "nosniff": "nosniff", "request-id": False}),
        ("PUT", "/proxies", {"status": 405, "content-type": None, "nosniff": None, "request-id": False}),
    ],
)  # fmt: skip
def test_routed_responses_carry_a_request_id(api: Api, method: str, path: str, expected: dict[str, object]):
    seen = api.call(method, path)
    assert {key: seen[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("GET", "/proxies/absent", None, error(404, "proxy not found")),
        ("DELETE", "/proxies/absent", None, error(404, "proxy not found")),
        ("GET", "/proxies/p/toxics/absent", None, error(404, "toxic not found")),
        ("POST", "/proxies", {"name": "p", "upstream": "127.0.0.1:9"}, error(409, "proxy already exists")),
        ("POST", "/proxies", b"", error(400, "bad request body: EOF")),
        ("POST", "/proxies", {"name": "q"}, error(400, "missing required field: upstream")),
        (
            "POST",
            "/proxies",
            {"name": 5},
            error(400, go_type_error("number", "Proxy.name", "string")),
        ),
        ("POST", "/proxies/p/toxics", {"type": "bogus"}, error(400, "invalid toxic type")),
        (
            "POST",
            "/proxies/p/toxics",
            {"type": "latency", "stream": "sideways"},
            error(400, "stream was invalid, can be either upstream or downstream"),
        ),
    ],
)  # fmt: skip
def test_errors_are_plain_text_carrying_the_json_document(
    api: Api, method: str, path: str, body: object, expected: dict[str, object]
):
    api.create("p", "127.0.0.1:9")
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    assert api.call(method, path, **kwargs) == expected


def test_listen_bind_failure_names_the_resolved_address(api: Api, busy_port: int):
    body = {"name": "busy", "upstream": "127.0.0.1:9", "listen": f"localhost:{busy_port}"}
    assert api.call("POST", "/proxies", json=body) == error(
        500, f"listen tcp 127.0.0.1:{busy_port}: bind: address already in use"
    )


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 404), ("POST", "/nowhere/deeper", 404), ("GET", "/proxies", 403),
     ("POST", "/reset", 403), ("PUT", "/proxies", 405)],
)  # fmt: skip
def test_browsers_are_refused_on_routed_paths_only(api: Api, method: str, path: str, status: int):
    seen = api.call(method, path, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"})
    expected_body = {404: b"404 page not found\n", 403: b"User agent not allowed\n", 405: b""}[status]
    assert (seen["status"], seen["body"], seen["request-id"]) == (status, expected_body, status == 403)


# --- Expect: 100-continue ------------------------------------------------------------------------------


def read_head(sock: socket.socket) -> bytes:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, f"closed after {head!r}"
        head += chunk
    return head


def test_expect_100_continue_is_answered_before_the_body(api: Api):
    body = b'{"name": "c", "upstream": "127.0.0.1:9"}'
    head = (
        f"POST /proxies HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(head)
        assert read_head(sock) == b"HTTP/1.1 100 Continue\r\n\r\n"  # before any byte of the body
        sock.sendall(body)
        assert read_head(sock).startswith(b"HTTP/1.1 201 Created\r\n")


def test_other_expectations_fail_with_417(api: Api):
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as sock:
        sock.sendall(b"POST /proxies HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nContent-Length: 2\r\n\r\n{}")
        assert read_head(sock).startswith(b"HTTP/1.1 417 Expectation Failed\r\n")


# --- updating a proxy's listen address -----------------------------------------------------------------


def test_update_to_an_equivalent_listen_changes_nothing(api: Api, echo_upstream: TcpServer):
    listen = api.create("eq", echo_upstream.address)
    port = listen.rsplit(":", 1)[1]
    with dial(listen) as sock:
        round_trip(sock)
        seen = api.call("PATCH", "/proxies/eq", json={"listen": f"localhost:{port}"})
        round_trip(sock)  # the live connection survived
    assert seen["status"] == 200
    assert seen["body"] == {
        "name": "eq",
        "listen": "127.0.0.1:<port>",
        "upstream": echo_upstream.address,
        "enabled": True,
        "toxics": [],
    }
    assert api.show("eq")["listen"] == listen


@pytest.mark.parametrize(
    ("listen", "message"),
    [
        ("nonsense", "address nonsense: missing port in address"),
        ("127.0.0.1:99999", "address 99999: invalid port"),
        ("127.0.0.1:-1", "address -1: invalid port"),
        ("127.1:0", "lookup 127.1: no such host"),
        ("::1:80", "address ::1:80: too many colons in address"),
        ("[::1:80", "address [::1:80: missing ']' in address"),
        ("a]b:0", "address a]b:0: unexpected ']' in address"),
    ],
)
def test_update_with_an_invalid_listen_is_500_and_keeps_the_proxy(
    api: Api, echo_upstream: TcpServer, listen: str, message: str
):
    old = api.create("bad", echo_upstream.address)
    with dial(old) as sock:
        round_trip(sock)
        assert api.call("PATCH", "/proxies/bad", json={"listen": listen}) == error(500, message)
        round_trip(sock)  # still connected through the proxy
    after = api.show("bad")
    assert (after["listen"], after["enabled"]) == (old, True)
    with dial(old) as sock:
        round_trip(sock)  # and still accepting


# --- populate ------------------------------------------------------------------------------------------


def populate_answer(status: int, message: str | None = None) -> dict[str, object]:
    document = {"error": message, "status": status} if message else {}
    body = json.dumps({**document, "proxies": None}, separators=(",", ":")).encode()
    return {"status": status, "content-type": JSON, "nosniff": None, "request-id": True, "body": body}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"[]", populate_answer(201)),
        (b"null", populate_answer(201)),
        (b"", populate_answer(400, "bad request body: EOF")),
        (b'[{"name": "a"}]', populate_answer(400, "missing required field: upstream at proxy 1")),
        (
            b'{"name": "a"}',
            populate_answer(400, "bad request body: json: cannot unmarshal object into Go value of type "
                                 '[]struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'),
        ),
        (
            b'[{"name": "a", "upstream": "127.0.0.1:9", "listen": "nonsense"}]',
            populate_answer(500, "listen tcp: address nonsense: missing port in address"),
        ),
        (
            b'[{"name": "a", "upstream": "127.0.0.1:9", "listen": "127.0.0.1:99999"}]',
            populate_answer(500, "listen tcp: address 99999: invalid port"),
        ),
        (
            b'[{"name": "a", "upstream": "127.0.0.1:9", "listen": "127.1:0"}]',
            populate_answer(500, "listen tcp: lookup 127.1: no such host"),
        ),
    ],
)  # fmt: skip
def test_populate_answers(api: Api, body: bytes, expected: dict[str, object]):
    assert api.call("POST", "/populate", data=body) == expected


def test_populate_bind_error_names_the_resolved_address(api: Api, busy_port: int):
    body = [{"name": "a", "upstream": "127.0.0.1:9", "listen": f"localhost:{busy_port}"}]
    assert api.call("POST", "/populate", json=body) == populate_answer(
        500, f"listen tcp 127.0.0.1:{busy_port}: bind: address already in use"
    )


def test_populate_error_lists_the_proxies_created_before_it(api: Api):
    body = [
        {"name": "ok", "upstream": "127.0.0.1:9", "listen": "127.0.0.1:0"},
        {"name": "bad", "upstream": "127.0.0.1:9", "listen": "nonsense"},
    ]
    seen = api.call("POST", "/populate", json=body)
    assert (seen["status"], seen["content-type"]) == (500, JSON)
    assert seen["body"] == {
        "error": "listen tcp: address nonsense: missing port in address",
        "status": 500,
        "proxies": [
            {
                "name": "ok",
                "listen": "127.0.0.1:<port>",
                "upstream": "127.0.0.1:9",
                "enabled": True,
                "toxics": [],
            }
        ],
    }


# --- toxics --------------------------------------------------------------------------------------------


def test_noop_toxic_exists_and_passes_traffic(api: Api, echo_upstream: TcpServer):
    listen = api.create("n", echo_upstream.address)
    seen = api.call("POST", "/proxies/n/toxics", json={"type": "noop", "attributes": {"ignored": 1}})
    assert seen == {
        "status": 200,
        "content-type": JSON,
        "nosniff": None,
        "request-id": True,
        "body": b'{"attributes":{},"name":"noop_downstream","type":"noop","stream":"downstream",'
        b'"toxicity":1}',
    }
    with dial(listen) as sock:
        round_trip(sock)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"type": "latency", "toxicity": NaN}', NOT_JSON.format("N")),
        (b'{"type": "latency", "toxicity": Infinity}', NOT_JSON.format("I")),
        (b'{"type": "latency", "toxicity": -Infinity}',
         "bad request body: invalid character 'I' in numeric literal"),
        (b'{"type": "latency", "toxicity": 1e39}',
         go_type_error("number 1e39", "ToxicWrapper.toxicity", "float32")),
        (b'{"type": "latency", "toxicity": "a"}',
         go_type_error("string", "ToxicWrapper.toxicity", "float32")),
        (b'{"type": "latency", "attributes": {"latency": 1e30}}',
         go_type_error("number 1e30", "LatencyToxic.attributes.latency", "int64")),
        (b'{"type": "latency", "attributes": {"latency": 9223372036854775808}}',
         go_type_error("number 9223372036854775808", "LatencyToxic.attributes.latency", "int64")),
        (b'{"type": "latency", "attributes": {"jitter": 1.0}}',
         go_type_error("number 1.0", "LatencyToxic.attributes.jitter", "int64")),
        (b'{"type": "bandwidth", "attributes": {"rate": true}}',
         go_type_error("bool", "BandwidthToxic.attributes.rate", "int64")),
        (b'{"type": "slicer", "attributes": {"delay": 1.5}}',
         go_type_error("number 1.5", "SlicerToxic.attributes.delay", "int")),
        (b'{"type": "latency", "attributes": [1]}',
         go_type_error("array", "ToxicWrapper.attributes", "toxics.NoopToxic")),
    ],
)  # fmt: skip
def test_bad_numbers_in_a_new_toxic_are_400(api: Api, body: bytes, message: str):
    api.create("t", "127.0.0.1:9")
    assert api.call("POST", "/proxies/t/toxics", data=body) == error(400, message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"toxicity": NaN}', NOT_JSON.format("N")),
        (b'{"toxicity": 3.5e38}', go_type_error("number 3.5e38", ".toxicity", "float32")),
        (b'{"toxicity": true}', go_type_error("bool", ".toxicity", "float32")),
        (b'{"attributes": [1]}', go_type_error("array", ".attributes", "toxics.LatencyToxic")),
        (b'{"attributes": {"latency": 99999999999999999999}}',
         go_type_error("number 99999999999999999999", "LatencyToxic.attributes.latency", "int64")),
        (b"[1]", "bad request body: json: cannot unmarshal array into Go value of type struct { Attributes "
                 'interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }'),
    ],
)  # fmt: skip
def test_bad_numbers_in_a_toxic_update_are_400(api: Api, body: bytes, message: str):
    api.create("t", "127.0.0.1:9")
    requests.post(f"{api.url}/proxies/t/toxics", json={"type": "latency", "name": "l"}, timeout=10)
    assert api.call("PATCH", "/proxies/t/toxics/l", data=body) == error(400, message)


# --- the official CLI ----------------------------------------------------------------------------------

CLI_SESSION = [
    (["create", "-l", "127.0.0.1:0", "-u", "127.0.0.1:9", "web"], "Created new proxy web\n"),
    (["toxic", "add", "-t", "latency", "-a", "latency=100", "-a", "jitter=5", "web"],
     "Added downstream latency toxic 'latency_downstream' on proxy 'web'\n"),
    (["toxic", "add", "-t", "noop", "-n", "nn", "web"], "Added downstream noop toxic 'nn' on proxy 'web'\n"),
    (["toxic", "update", "-n", "latency_downstream", "-a", "latency=7", "web"],
     "Updated toxic 'latency_downstream' on proxy 'web'\n"),
    (["inspect", "web"], "latency_downstream\ttype=latency\tstream=downstream\ttoxicity=1.00\tattributes=[\t"
                         "jitter=5\tlatency=7\t]\nnn\ttype=noop\tstream=downstream\ttoxicity=1.00\tattributes=[\t]\n"),
    (["toxic", "add", "-t", "bogus", "web"],
     "Failed to add toxic: failed to add toxic to proxy web: AddToxic: HTTP 400: invalid toxic type\n\n"),
    (["toggle", "web"], "Proxy web is now disabled\n"),
    (["toxic", "delete", "-n", "nn", "web"], "Removed toxic 'nn' on proxy 'web'\n"),
    (["delete", "web"], "Deleted proxy web\n"),
    (["inspect", "web"], "Failed to retrieve proxy web: HTTP 404: proxy not found\n\n"),
]  # fmt: skip


def test_official_cli_session(api: Api):
    if not REFERENCE_CLI.exists():
        pytest.skip(MISSING)
    for argv, expected in CLI_SESSION:
        done = subprocess.run(
            [str(REFERENCE_CLI), "-h", api.url, *argv], capture_output=True, text=True, timeout=30
        )
        assert done.stdout + done.stderr == expected, argv

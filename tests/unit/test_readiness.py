"""Readiness failures say what the endpoint answered, and a 4xx ends the wait at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from harness.backends.readiness import wait_until_ready
from harness.errors import HarnessError


class _Endpoint:
    """A real HTTP server on 127.0.0.1 that answers each GET with the next (status, body) of a script;
    the last entry repeats."""

    def __init__(self, script: list[tuple[int, str]]):
        self.script = script
        self.requests = 0
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = endpoint.script[min(endpoint.requests, len(endpoint.script) - 1)]
                endpoint.requests += 1
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/readyz"

    def __enter__(self) -> _Endpoint:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint(request: pytest.FixtureRequest) -> Iterator[_Endpoint]:
    with _Endpoint(request.param) as server:
        yield server


def _wait(url: str, limit_s: float, **kwargs: object) -> None:
    wait_until_ready(
        "gateway", url, time.monotonic() + limit_s, limit_s, fail_fast=lambda: None,
        log_tail=lambda: "last line", interval_s=0.01, **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize("endpoint", [[(404, '{"detail": "Not Found"}')]], indirect=True)
def test_a_404_stops_the_wait_at_once_and_says_what_answered(endpoint: _Endpoint) -> None:
    with pytest.raises(HarnessError) as raised:
        _wait(endpoint.url, 20.0, setting="stack.compose.entrypoint.ready_path")
    message = str(raised.value)
    assert endpoint.requests == 1
    assert 'answered 404 Not Found: {"detail": "Not Found"}' in message
    assert "(check stack.compose.entrypoint.ready_path)" in message
    assert "stack.startup_timeout" not in message and "\n" not in message


@pytest.mark.parametrize("endpoint", [[(503, "warming up"), (503, "warming up"), (200, "ok")]], indirect=True)
def test_a_503_is_waited_out_until_the_200(endpoint: _Endpoint) -> None:
    _wait(endpoint.url, 300.0)
    assert endpoint.requests == 3


@pytest.mark.parametrize("endpoint", [[(429, "slow down"), (200, "ok")]], indirect=True)
def test_a_429_is_waited_out_like_a_5xx(endpoint: _Endpoint) -> None:
    _wait(endpoint.url, 300.0)
    assert endpoint.requests == 2


@pytest.mark.parametrize("endpoint", [[(503, "no healthy replica " + "x" * 500)]], indirect=True)
def test_a_timeout_names_the_last_answer_with_a_short_excerpt(endpoint: _Endpoint) -> None:
    with pytest.raises(HarnessError) as raised:
        _wait(endpoint.url, 0.2)
    message = str(raised.value)
    assert (
        "within stack.startup_timeout (0.2s): last answered 503 Service Unavailable: no healthy replica"
        in message
    )
    assert message.endswith("...; last log lines: last line")
    assert len(message) < 400


def test_a_timeout_with_nothing_listening_says_so() -> None:
    with _Endpoint([(200, "")]) as gone:
        url = gone.url
    with pytest.raises(HarnessError, match=r"last no answer \(ConnectError"):
        _wait(url, 0.2)

"""The real Toxiproxy 2.12 server and CLI from ``../shared/toxiproxy``, an oracle for differential tests.

They exist only where ``../shared`` sits beside the project (developers' machines and CI); tests that
need them skip with ``MISSING`` as the reason elsewhere.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
from pathlib import Path
from types import TracebackType

import requests

from tests.toxiproxy.toxiproxy_upstreams import wait_until

REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "toxiproxy"
REFERENCE_SERVER = REFERENCE_DIR / "toxiproxy-server"
REFERENCE_CLI = REFERENCE_DIR / "toxiproxy-cli"
MISSING = f"the reference Toxiproxy server is not installed at {REFERENCE_SERVER} (only beside a checkout)"

REQUEST_ID = re.compile(r"[0-9a-v]{20}")


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


class ReferenceServer:
    """``toxiproxy-server`` on a free loopback port, stopped on exit."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._process = subprocess.Popen(
            [str(REFERENCE_SERVER), "-host", "127.0.0.1", "-port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def __enter__(self) -> ReferenceServer:
        if not wait_until(self._answers, timeout=10):
            self._stop()
            raise RuntimeError(f"{REFERENCE_SERVER} did not answer on {self.url}")
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop()

    def _answers(self) -> bool:
        try:
            return requests.get(f"{self.url}/version", timeout=1).ok
        except requests.ConnectionError:
            return False

    def _stop(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)


def _normalised(value: object) -> object:
    """Drop what legitimately differs: Go's leaked ``Logger`` field and the ephemeral ports of listeners."""
    if isinstance(value, dict):
        return {
            key: re.sub(r":\d+$", ":<port>", item) if key == "listen" else _normalised(item)
            for key, item in value.items()
            if key != "Logger"
        }
    if isinstance(value, list):
        return [_normalised(item) for item in value]
    return value


def body_view(content: bytes) -> object:
    """The exact bytes where they can match, else the JSON document normalised."""
    try:
        value = json.loads(content)
    except ValueError:
        return content
    clean = _normalised(value)
    return content if clean == value else clean


def observed(response: requests.Response) -> dict[str, object]:
    """What a client can see of a response, minus what differs by nature (date, request id value)."""
    return {
        "status": response.status_code,
        "content-type": response.headers.get("Content-Type"),
        "nosniff": response.headers.get("X-Content-Type-Options"),
        "request-id": bool(REQUEST_ID.fullmatch(response.headers.get("X-Toxiproxy-Request-Id", ""))),
        "body": body_view(response.content),
    }

"""Test doubles that speak real HTTP: a scripted gateway and load configs aimed at it."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.load.config import LoadConfig
from harness.load.observation import PRESETS, Observation
from harness.load.request_spec import ReferenceRequest

FEATURES: list[dict[str, Any]] = [
    {"name": "age", "type": "numeric", "mean": 40.0, "std": 12.0, "min": 18.0, "max": 90.0},
    {"name": "income", "type": "numeric", "mean": 5.0, "std": 2.0},
    {"name": "segment", "type": "categorical", "categories": ["a", "b", "c"], "probs": [0.5, 0.3, 0.2]},
]


class ScriptedGateway(ThreadingHTTPServer):
    """Answers like the real gateway (headers included) and can be told to fail or to stall.

    Every third response is degraded and another third carries no X-Degraded header; every odd one carries
    `X-Attempts: 2`. The server counts what it sent and keeps what it received, so tests can compare the
    recorded files against the truth.
    """

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _GatewayHandler)
        self.status = 200
        self.stalls: list[tuple[float, float]] = []
        self.lock = threading.Lock()
        self.answered = 0
        self.with_attempts = 0
        self.degraded = 0
        self.instances_per_request: set[int] = set()
        self.instances: list[dict[str, Any]] = []
        """Every instance received, to compare with what the load says it sent."""
        self.bodies: list[Any] = []
        """Every request body of another protocol than the reference stack's (no `instances`)."""
        self.paths: set[str] = set()
        self.error_body = b'{"predictions": [0]}'
        """What answers with a `status` other than 200 carry."""

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that gave up (request timeout) makes the late reply fail; that is expected here."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _GatewayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: ScriptedGateway

    def do_PUT(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        now = time.time()
        for start, end in self.server.stalls:
            if start <= now < end:
                time.sleep(end - now)
        with self.server.lock:
            self.server.answered += 1
            number = self.server.answered
            self.server.with_attempts += number % 2
            self.server.degraded += number % 3 == 0
            self.server.paths.add(self.path)
            if isinstance(body, dict) and "instances" in body:
                self.server.instances_per_request.add(len(body["instances"]))
                self.server.instances.extend(body["instances"])
            else:
                self.server.bodies.append(body)
        payload = b'{"predictions": [0]}' if self.server.status == 200 else self.server.error_body
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-Served-By", f"replica-{number % 2}")
        self.send_header("X-Model-Version", "v7")
        if number % 2:
            self.send_header("X-Attempts", "2")
        if number % 3 != 2:  # every third response carries no X-Degraded header at all
            self.send_header("X-Degraded", "true" if number % 3 == 0 else "false")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging; thousands of lines would only slow the server down."""


def make_config(target_url: str, **overrides: Any) -> LoadConfig:
    settings: dict[str, Any] = {
        "target_url": target_url,
        "path": "/predict",
        "request": ReferenceRequest(),
        "observe": Observation(**PRESETS["reference"]),
        "mode": "closed",
        "users": 2,
        "spawn_rate": 100.0,
        "max_users": 200,
        "duration_s": 1.0,
        "start_at": time.time(),
        "rows_per_request": 2,
        "features": FEATURES,
        "seed": 7,
        "request_timeout_s": 2.0,
        "late_tolerance_s": 0.05,
        "think_time_s": 0.0,
    }
    settings.update(overrides)
    return LoadConfig(**settings)

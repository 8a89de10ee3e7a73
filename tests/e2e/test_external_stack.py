"""`stack.external`: a stack the harness did not start and must not stop, drilled through a declared link.

The "user's" stack runs before the drill and goes on after it: Debian's HAProxy in front of two model
servers, configured to reach `model-a` at the link's listen address (where chaosdrill's proxy will be) and
`model-b` directly. The drill takes the link down for a while: with HAProxy's retries and health checks
the users barely notice (passes); without them a share of requests fails (fails, naming the expectation).
"""

from __future__ import annotations

import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.backends.processes import ManagedProcess, free_port
from tests.e2e.drills import run_drill

pytestmark = pytest.mark.slow

MECHANISMS = """\
    retries 2
    retry-on all-retryable-errors
    option redispatch 1
"""
CHECKS = "check inter 200ms fall 2 rise 2"


def _haproxy_config(port: int, model_a: str, model_b: str, resilient: bool) -> str:
    return textwrap.dedent(
        f"""\
        defaults
            mode http
            timeout connect 300ms
            timeout client 10s
            timeout server 2s
        {MECHANISMS if resilient else "    retries 0"}
        frontend models
            bind 127.0.0.1:{port}
            default_backend replicas
        backend replicas
            balance roundrobin
            {"option httpchk GET /readyz" if resilient else ""}
            server model-a {model_a} {CHECKS if resilient else ""}
            server model-b {model_b} {CHECKS if resilient else ""}
        """
    )


def _wait_for(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1.0):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class UserStack:
    """Two model servers and HAProxy, started by the "user", outside the harness."""

    def __init__(self, work: Path, resilient: bool):
        self.resilient = resilient
        self.link_listen = f"127.0.0.1:{free_port()}"
        self.model_a, self.model_b, self.port = free_port(), free_port(), free_port()
        config = work / "haproxy.cfg"
        model_b = f"127.0.0.1:{self.model_b}"
        config.write_text(_haproxy_config(self.port, self.link_listen, model_b, resilient))
        self.processes = [
            self._model_server(work, "model-a", self.model_a),
            self._model_server(work, "model-b", self.model_b),
            ManagedProcess("haproxy", ["haproxy", "-f", str(config)], work / "haproxy.log"),
        ]

    @staticmethod
    def _model_server(work: Path, name: str, port: int) -> ManagedProcess:
        argv = [sys.executable, "-m", "stack.model_server", "--port", str(port), "--name", name]
        return ManagedProcess(name, argv, work / f"{name}.log")

    def start(self) -> None:
        for process in self.processes:
            process.start()
        for port in (self.model_a, self.model_b):
            _wait_for(f"http://127.0.0.1:{port}/readyz")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop(grace_s=3.0)

    def scenario(self, name: str) -> dict:
        return {
            "name": name,
            "seed": 4,
            "stack": {
                "startup_timeout": "20s",
                "external": {
                    "url": f"http://127.0.0.1:{self.port}",
                    "ready_path": "/readyz",
                    "nodes": [
                        {"name": "model-a", "link": {"listen": self.link_listen,
                                                     "upstream": f"127.0.0.1:{self.model_a}"}},
                        {"name": "model-b"},
                    ],
                },
            },
            "load": {"users": 6, "duration": "14s", "rows": 2, "path": "/predict",
                     "observe": {"preset": "none"}},
            "slo": {"availability": "99%", "latency": "p(99) < 500ms", "window": "1s"},
            "faults": [{"name": "cut-a", "kind": "down", "target": "model-a", "at": "4s", "duration": "6s"}],
            "expectations": {"errors": ["rate < 1%"]},
        }  # fmt: skip


@pytest.fixture(params=[True, False], ids=["with-retries-and-checks", "bare"])
def user_stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UserStack]:
    stack = UserStack(tmp_path, resilient=request.param)
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


def test_a_running_stack_is_drilled_through_its_link_and_left_running(user_stack: UserStack, tmp_path: Path):
    run = run_drill(tmp_path, user_stack.scenario("external-link-down"))
    summary = run.summary
    assert summary["backend"] == "external"
    [fault] = summary["faults"]
    assert fault["applied_at"] is not None and fault["cleared_at"] is not None, run.stdout
    errors = run.expectation("errors: rate < 1%")
    if user_stack.resilient:
        assert (run.code, summary["verdict"], errors["status"]) == (0, "pass", "pass"), run.stdout
    else:
        assert (run.code, summary["verdict"], errors["status"]) == (1, "fail", "fail"), run.stdout
        assert "errors rate was" in errors["explanation"] and "NOT met" in errors["explanation"]
    # The harness stopped nothing of the user's stack, and left no link behind.
    assert all(process.alive for process in user_stack.processes)
    _wait_for(f"http://127.0.0.1:{user_stack.port}/readyz")
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{user_stack.link_listen}/readyz", timeout=1.0)

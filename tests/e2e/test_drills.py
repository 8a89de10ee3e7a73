"""Whole drills through the real CLI: reference stack processes, real Locust, the real proxy.

Each check the harness makes is shown to pass against the resilient stack and to FAIL against a stack
lacking the mechanism it checks.
"""

import subprocess
import sys

import pytest
import requests

from tests.e2e.drills import REPO, run_drill, scenario

pytestmark = pytest.mark.slow

SLOW_LINK = {"name": "slow", "kind": "latency", "at": "2s", "duration": "5s", "target": "gpu-1",
             "params": {"latency": "800ms"}}  # fmt: skip
SLOW_EXPECTATIONS = {"errors{fault:slow}": ["rate < 2%"], "latency{fault:slow}": ["p(95) < 700ms"]}


def test_slow_link_is_routed_around(tmp_path):
    run = run_drill(tmp_path, scenario("slow-resilient", [SLOW_LINK], SLOW_EXPECTATIONS))
    assert run.code == 0, run.stdout + run.stderr


def test_slow_link_hurts_without_retries(tmp_path):
    run = run_drill(tmp_path, scenario("slow-fragile", [SLOW_LINK], SLOW_EXPECTATIONS, profile="fragile"))
    assert run.code == 1, run.stdout + run.stderr
    assert not run.expectation("errors{fault:slow}: rate < 2%")["passed"]


def test_drill_through_an_external_toxiproxy_server(tmp_path):
    """`toxiproxy: {url: ...}` drives a separately running server, and leaves it as it found it."""
    argv = [sys.executable, "-m", "harness.cli", "toxiproxy", "serve", "--port", "0"]
    server = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[-1]
        data = scenario(
            "external-proxy", [SLOW_LINK], {"errors{fault:slow}": ["rate < 2%"]}, toxiproxy={"url": url}
        )
        run = run_drill(tmp_path, data)
        assert run.code == 0, run.stdout + run.stderr
        [fault] = run.summary["faults"]
        assert fault["applied_at"] and fault["cleared_at"]
        assert requests.get(f"{url}/proxies", timeout=5).json() == {}
    finally:
        server.terminate()
        server.wait(timeout=10)


HANG = {"name": "hang", "kind": "gpu-hang", "at": "3s", "duration": "4s", "target": "gpu-0"}


def open_model(name, max_users, **kwargs):
    data = scenario(name, [HANG], {"late": ["rate < 5%"]}, **kwargs)
    data["load"] = {
        "rate": "80/s",
        "duration": "10s",
        "rows": 2,
        "max_users": max_users,
        "late_tolerance": "100ms",
    }
    return data


def test_open_model_keeps_the_arrival_rate_through_a_hang(tmp_path):
    run = run_drill(tmp_path, open_model("open-ok", max_users=100))
    assert run.code == 0, run.stdout + run.stderr
    load = run.summary["load"]
    assert load["sent"] + load["not_sent"] == pytest.approx(800, abs=2)  # rate x duration, whatever happened


def test_open_model_exposes_what_a_closed_loop_would_hide(tmp_path):
    """Two users and a hung node without timeouts to save them: requests cannot leave on time, and the
    open model counts them late (coordinated omission made visible) instead of silently sending less."""
    data = open_model("open-starved", max_users=2, profile="fragile",
                      mechanisms={"timeouts": {"attempt_ms": 3000, "deadline_ms": 3000}})  # fmt: skip
    run = run_drill(tmp_path, data)
    assert run.code == 1, run.stdout + run.stderr
    late = run.expectation("late: rate < 5%")
    assert not late["passed"] and late["observed"] > 5

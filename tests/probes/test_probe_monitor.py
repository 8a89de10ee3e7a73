"""Probes read during a run, by the lifecycle events: from `stack_ready` to `teardown_started`, each in its
own thread, into probes.jsonl; against a real HAProxy whose weight a real command changes meanwhile."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness.errors import HarnessError
from harness.events import EventLog
from harness.journal import read_jsonl
from harness.probe_monitor import PROBES_FILE, watch_probes
from harness.scenario.probes import ProbeSpec
from harness.verify.probes import probe_transitions
from tests.probes.haproxy import SET_WEIGHT, Haproxy

PROBES = [
    {"name": "weight", "every": "100ms",
     "prometheus": {"url": "${CHAOSDRILL_ENTRYPOINT}/metrics", "metric": "haproxy_server_weight",
                    "labels": {"server": "canary"}}},
    {"name": "version", "every": "100ms", "http": {"url": "${CHAOSDRILL_ENTRYPOINT}/state",
                                                   "json_path": "canary.version"}},
    {"name": "slow", "every": "100ms", "timeout": "5s", "command": "sleep 0.6; echo slow"},
]  # fmt: skip


def watched(tmp_path: Path, haproxy_url: str, probes: list[dict]) -> EventLog:
    events = EventLog(tmp_path / "events.jsonl")
    stack = SimpleNamespace(gateway_url=haproxy_url, run_dir=tmp_path)
    watch_probes(events, [ProbeSpec.model_validate(p) for p in probes], stack, tmp_path)
    return events


def test_probes_are_read_from_stack_ready_until_the_teardown(tmp_path: Path, haproxy: Haproxy):
    events = watched(tmp_path, haproxy.url, PROBES)
    assert not (tmp_path / PROBES_FILE).exists()  # nothing before the stack is ready
    events.emit("stack_ready", gateway=haproxy.url)
    time.sleep(0.8)
    subprocess.run([*SET_WEIGHT, str(haproxy.admin_socket), "canary", "0"], check=True, capture_output=True)
    time.sleep(0.8)
    started = time.time()
    events.emit("teardown_started")
    stopped = time.time()
    events.close()
    size = (tmp_path / PROBES_FILE).stat().st_size
    time.sleep(0.3)
    assert (tmp_path / PROBES_FILE).stat().st_size == size  # nothing after the teardown started

    readings = read_jsonl(tmp_path / PROBES_FILE)
    by_probe = {name: [r for r in readings if r["probe"] == name] for name in ("weight", "version", "slow")}
    assert stopped - started < 1.0  # the slow command was killed, not waited for
    assert len(by_probe["weight"]) >= 8 and len(by_probe["version"]) >= 8  # not held up by the slow one
    assert 1 <= len(by_probe["slow"]) <= 3
    assert {r["value"] for r in by_probe["version"]} == {"v2"}
    assert all(r["error"] is None for r in readings)
    assert [r["exit"] for r in by_probe["slow"]] == [0] * len(by_probe["slow"])
    assert all(a["t"] < b["t"] for a, b in zip(by_probe["weight"], by_probe["weight"][1:], strict=False))
    changes = [e["details"] for e in probe_transitions(readings) if e["details"].startswith("weight")]
    assert changes == ["weight: 20", "weight: 20 → 0"]


def test_a_probe_naming_a_variable_the_stack_does_not_set_fails_the_start(tmp_path: Path):
    events = watched(tmp_path, "http://127.0.0.1:9", [{"name": "p", "http": {"url": "${CHAOSDRILL_NOPE}/x"}}])
    with pytest.raises(HarnessError, match=r"^probes\[0\]\.http\.url: \$\{CHAOSDRILL_NOPE\} is not set"):
        events.emit("stack_ready", gateway="http://127.0.0.1:9")
    events.emit("teardown_started")  # nothing started, nothing to stop
    events.close()


def test_a_stack_that_stops_answering_gives_failed_readings(tmp_path: Path):
    probe = {"name": "p", "every": "100ms", "http": {"url": "${CHAOSDRILL_ENTRYPOINT}/x"}}
    events = watched(tmp_path, "http://127.0.0.1:9", [probe])
    events.emit("stack_ready", gateway="http://127.0.0.1:9")
    time.sleep(0.35)
    events.emit("teardown_started")
    events.close()
    readings = read_jsonl(tmp_path / PROBES_FILE)
    assert len(readings) >= 2
    assert all(r["value"] is None and r["error"].startswith("ConnectError") for r in readings)

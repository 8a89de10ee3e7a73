"""One reading of each kind of probe against real endpoints (HAProxy's JSON answers and its Prometheus
exporter) and real commands: the value, or why there is none."""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

import httpx
import pytest

from harness.probe_readers import Reading, resolve_probe
from harness.scenario.probes import ProbeSpec
from tests.probes.haproxy import Haproxy


def read(spec: dict[str, Any], variables: dict[str, str] | None = None) -> Reading:
    probe = resolve_probe(ProbeSpec.model_validate({"name": "p", **spec}), variables or {}, "probes[0]")
    with httpx.Client() as client:
        return probe.read(client)


def test_http_probes_read_a_status_code_or_a_json_value(haproxy: Haproxy):
    entry = {"CHAOSDRILL_ENTRYPOINT": haproxy.url}
    assert read({"http": {"url": "${CHAOSDRILL_ENTRYPOINT}/state"}}, entry) == Reading(200)
    assert read({"http": {"url": f"{haproxy.url}/down"}}) == Reading(503)
    assert read({"http": {"url": f"{haproxy.url}/state", "json_path": "canary.version"}}) == Reading("v2")
    assert read({"http": {"url": f"{haproxy.url}/state", "json_path": "canary.weight"}}) == Reading(20)
    assert read({"http": {"url": f"{haproxy.url}/state", "json_path": "pods"}}) == Reading("[1,2]")
    assert read({"http": {"url": f"{haproxy.url}/state", "json_path": "canary.nope"}}) == Reading(
        error="canary.nope matches nothing in the answer"
    )
    assert read({"http": {"url": f"{haproxy.url}/down", "json_path": "a"}}) == Reading(error="HTTP 503")
    assert read({"http": {"url": f"{haproxy.url}/text", "json_path": "a"}}) == Reading(
        error="HTTP 200: the answer is not JSON"
    )


def test_an_http_probe_of_nothing_listening_is_an_error_not_a_value(haproxy: Haproxy):
    reading = read({"http": {"url": "http://127.0.0.1:9/state"}})
    assert reading.value is None and reading.error is not None and reading.error.startswith("ConnectError")


def test_prometheus_probes_read_one_sample(haproxy: Haproxy):
    metrics = f"{haproxy.url}/metrics"
    weight = {"url": metrics, "metric": "haproxy_server_weight"}
    assert read({"prometheus": {**weight, "labels": {"server": "canary"}}}) == Reading(20.0)
    assert read({"prometheus": {**weight, "labels": {"proxy": "be", "server": "stable"}}}) == Reading(80.0)
    assert read({"prometheus": {**weight, "labels": {"server": "gone"}}}) == Reading(
        error='haproxy_server_weight{server="gone"}: no sample'
    )
    assert read({"prometheus": weight}) == Reading(
        error='haproxy_server_weight: 2 samples match ({proxy="be",server="stable"}, '
        '{proxy="be",server="canary"}): add labels to pick one'
    )
    assert read({"prometheus": {"url": f"{haproxy.url}/down", "metric": "x"}}) == Reading(error="HTTP 503")


def test_command_probes_read_stdout_and_record_the_exit_code():
    assert read({"command": [sys.executable, "-c", "print(' v1 ')"]}) == Reading("v1", None, 0)
    entry = {"CHAOSDRILL_ENTRYPOINT": "e"}
    assert read({"command": "echo $CHAOSDRILL_ENTRYPOINT/x", "timeout": "5s"}, entry) == Reading(
        "e/x", None, 0
    )
    failed = read({"command": [sys.executable, "-c", "import sys; print(3); sys.exit('no pods')"]})
    assert failed == Reading("3", "exited with 1: no pods", 1)
    missing = read({"command": ["/nonexistent/probe"]})
    assert missing.value is None and missing.error is not None and missing.error.startswith("cannot run:")


def test_a_command_probe_is_killed_at_its_timeout_with_what_it_started():
    started = time.monotonic()
    reading = read({"command": "sleep 30 & sleep 30; echo never", "timeout": "300ms"})
    assert time.monotonic() - started < 3
    assert reading.value == "" and reading.exit_code is None
    assert reading.error is not None and reading.error.startswith("killed after 0.")


def test_a_command_probe_stops_when_the_monitor_does():
    spec = ProbeSpec.model_validate({"name": "p", "command": ["sleep", "30"], "timeout": "20s"})
    probe = resolve_probe(spec, {}, "probes[0]")
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    started = time.monotonic()
    with httpx.Client() as client:
        reading = probe.read(client, cancel)
    assert time.monotonic() - started < 3 and reading.exit_code is None


def test_an_unknown_variable_names_the_probe_field():
    with pytest.raises(ValueError, match=r"^probes\[0\]\.http\.url: \$\{CHAOSDRILL_NOPE\} is not set"):
        read({"http": {"url": "${CHAOSDRILL_NOPE}/x"}})
    with pytest.raises(ValueError, match=r"^probes\[0\]\.prometheus\.url: \$\{CHAOSDRILL_NOPE\} is not set"):
        read({"prometheus": {"url": "${CHAOSDRILL_NOPE}/metrics", "metric": "x"}})
    with pytest.raises(ValueError, match=r"^probes\[0\]\.command: \$\{CHAOSDRILL_NOPE\} is not set"):
        read({"command": ["echo", "${CHAOSDRILL_NOPE}"]})

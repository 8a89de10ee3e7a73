"""`runbook:` on a fault: a URL alone or with the signals the on-call expects, checked before the drill and
carried into the fault's record (and so into summary.json and the report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import InputError
from harness.plan import resolve_plan
from harness.scenario.loader import load_scenario
from harness.scenario.runbook import SIGNALS, ProbeSignal, parse_signal

KILL = {"name": "kill", "kind": "node-kill", "target": "gpu-0", "at": "2s", "duration": "3s"}
PROBE = {"name": "down", "every": "250ms", "command": ["true"]}


def load(tmp_path: Path, runbook: Any, probes: list | None = None) -> Any:
    fault = KILL if runbook is None else {**KILL, "runbook": runbook}
    data = {
        "name": "runbook",
        "load": {"users": 1, "duration": "10s"},
        "faults": [fault],
        "probes": probes or [],
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def test_a_bare_url_is_the_runbook_and_the_record_carries_url_and_signals(tmp_path):
    scenario = load(tmp_path, "https://runbooks.example/gpu")
    assert resolve_plan(scenario).faults[0].record().runbook == "https://runbooks.example/gpu"
    signals = ["breaker_open", "probe down >= 1"]
    scenario = load(tmp_path, {"url": "https://runbooks.example/gpu", "signals": signals}, [PROBE])
    record = resolve_plan(scenario).faults[0].record()
    assert (record.runbook, record.runbook_signals) == ("https://runbooks.example/gpu", signals)
    no_runbook = resolve_plan(load(tmp_path, None)).faults[0].record()
    assert (no_runbook.runbook, no_runbook.runbook_signals) == (None, [])


@pytest.mark.parametrize(
    ("runbook", "error"),
    [
        ({"url": "https://x", "signals": ["breaker_open", "breaker_open"]}, "a signal is listed twice"),
        ({"url": "", "signals": []}, "url"),
        ({"signals": ["errors"]}, "url"),
        ({"url": "https://x", "owner": "sre"}, "owner"),
    ],
)
def test_a_malformed_runbook_is_refused_naming_the_field(tmp_path, runbook, error):
    with pytest.raises(InputError) as raised:
        load(tmp_path, runbook)
    assert "faults[0].runbook" in str(raised.value) and error in str(raised.value)


def test_signals_parse_to_a_built_in_name_or_a_probe_condition():
    assert all(parse_signal(name) == name for name in SIGNALS)
    parsed = parse_signal("probe haproxy-down >= 1")
    assert isinstance(parsed, ProbeSignal) and parsed.probe == "haproxy-down" and parsed.condition.holds(2)
    assert parsed.text == "probe haproxy-down >= 1" and not parsed.condition.holds(0)
    with pytest.raises(ValueError, match="unknown signal 'probe'"):
        parse_signal("probe")

"""Scenario files with probes, probe expectations and actions: what validation accepts, and the one-line
error (file and field) for what it refuses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import InputError
from harness.plan import resolve_plan
from harness.scenario.loader import load_scenario

EXTERNAL = {"external": {"url": "http://127.0.0.1:8080", "nodes": [{"name": "web-1"}, {"name": "web-2"}]}}
"""A stack the harness does not run: no gateway state, no capability but what links would add."""
WEIGHT = {
    "name": "weight",
    "prometheus": {"url": "http://127.0.0.1:8404/metrics", "metric": "haproxy_server_weight",
                   "labels": {"server": "canary"}},
}  # fmt: skip
DEPLOY = {"name": "deploy", "kind": "action", "at": "2s", "params": {"run": ["python3", "deploy.py", "v2"]}}


def load(tmp_path: Path, **fields: Any) -> Any:
    data = {"name": "probes", "load": {"users": 1, "duration": "10s"}, **fields}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)


def refusal(tmp_path: Path, **fields: Any) -> str:
    with pytest.raises(InputError) as raised:
        load(tmp_path, **fields)
    message = str(raised.value)
    assert "\n" not in message
    return message.split(": ", 1)[1]


def test_a_drill_of_a_stack_without_gateway_state_with_probes_and_an_action(tmp_path):
    scenario = load(
        tmp_path,
        stack=EXTERNAL,
        load={"users": 1, "duration": "10s", "observe": {"version": {"header": "X-Version"}}},
        probes=[WEIGHT, {"name": "version", "every": "250ms", "timeout": "1s",
                         "http": {"url": "${CHAOSDRILL_ENTRYPOINT}/version", "json_path": "model.version"}},
                {"name": "pods", "command": "kubectl get pods | grep -c Running"}],
        faults=[{**DEPLOY, "duration": "5s", "params": {**DEPLOY["params"], "undo": {"http": {
            "url": "${CHAOSDRILL_ENTRYPOINT}/rollback", "json": {"to": "v1"}}}}},
            {"name": "restart-web", "kind": "action", "at": "3s", "target": "web-1",
             "params": {"run": ["systemctl", "restart", "${CHAOSDRILL_NODE}"], "timeout": "5s"}}],
        expectations={
            "rollback": [{"fault": "deploy", "within": "3s", "probe": "weight", "reads": "== 0"},
                         {"fault": "deploy", "within": "3s", "version": "v2"}],
            "breaker_opened": {"fault": "restart-web", "within": "2s", "probe": "pods", "reads": "< 2"},
            "probes": {"probe": "version", "after": "deploy", "from": "end", "within": "2s", "reads": "== v1",
                       "holds": True},
        },
    )  # fmt: skip
    assert [p.every for p in scenario.probes] == [1.0, 0.25, 1.0]
    assert scenario.probes[2].command == "kubectl get pods | grep -c Running"
    assert scenario.expectations.probes[0].from_ == "end"
    deploy = scenario.faults[0].typed_params()
    assert deploy.undo.http.method == "POST" and deploy.undo.http.body == {"to": "v1"}
    plan = resolve_plan(scenario)
    assert plan.faults[1].targets == ("web-1",)
    text = plan.describe()
    assert "inject deploy: action on the stack, by the scenario's own command" in text
    assert "run the undo (deploy)" in text
    assert "inject restart-web: action on web-1" in text


@pytest.mark.parametrize(
    ("probes", "error"),
    [
        ([{"name": "p"}], "probes[0]: give one of 'http', 'prometheus' or 'command'"),
        ([{"name": "p", "command": ["true"], "http": {"url": "http://127.0.0.1:1"}}],
         "probes[0]: give one of 'http', 'prometheus' or 'command', not http and command"),
        ([{"name": "p", "every": "10ms", "command": ["true"]}],
         "probes[0].every: at least 50ms: a probe must not load the stack itself"),
        ([{"name": "p", "command": []}], "probes[0].command: empty command"),
        ([{"name": "p", "command": "  "}], "probes[0].command: empty command"),
        ([{"name": "p", "http": {"url": "127.0.0.1:80/x"}}],
         "probes[0].http.url: '127.0.0.1:80/x' is not an http:// or https:// URL"),
        ([{"name": "p", "http": {"url": "http://h:1", "json_path": "a[?"}}],
         "probes[0].http.json_path: invalid JSON path 'a[?'"),
        ([{"name": "p", "prometheus": {"url": "http://h:1/metrics", "metric": "9lives"}}],
         "probes[0].prometheus.metric: String should match pattern"),
        ([{"name": "P Q", "command": ["true"]}], "probes[0].name: invalid name 'P Q'"),
        ([{"name": "p", "command": ["true"]}, {"name": "p", "command": ["false"]}],
         "probes[1].name: duplicate probe name 'p'"),
        ([{"name": "p", "command": ["sh", "-c", "curl -H 'X-Token: ${CHAOSDRILL_ADMIN_TOKEN}' h"]}],
         "probes[0].command: ${CHAOSDRILL_ADMIN_TOKEN} would show on the command line (ps): commands get "
         'CHAOSDRILL_ADMIN_TOKEN in their environment, read it there ("$CHAOSDRILL_ADMIN_TOKEN" in a shell '
         "command)"),
    ],
)  # fmt: skip
def test_a_probe_that_cannot_be_read_is_refused(tmp_path, probes, error):
    assert refusal(tmp_path, probes=probes).startswith(error)


def test_the_admin_token_may_be_read_from_the_environment_or_sent_in_a_header(tmp_path):
    load(tmp_path, probes=[
        {"name": "shell", "command": 'curl -H "X-Token: $CHAOSDRILL_ADMIN_TOKEN" http://127.0.0.1:1/'},
        {"name": "http",
         "http": {"url": "http://127.0.0.1:1/", "headers": {"X": "${CHAOSDRILL_ADMIN_TOKEN}"}}},
    ])  # fmt: skip


PROBE = [{"name": "version", "command": ["cat", "VERSION"]}]


@pytest.mark.parametrize(
    ("expectation", "faults", "error"),
    [
        ({"probe": "nope", "within": "1s", "reads": "== v1"}, [],
         "expectations.probes[0].probe: no probe named 'nope' (probes: version)"),
        ({"probe": "version", "within": "1s", "reads": "== v1", "after": "x"}, [DEPLOY],
         "expectations.probes[0].after: no fault named 'x' (faults: deploy)"),
        ({"probe": "version", "within": "1s", "reads": "== v1", "from": "end"}, [],
         "expectations.probes[0]: 'from: end' measures from the end of a fault: name it in 'after'"),
        ({"probe": "version", "within": "1s", "reads": "== v1", "after": "deploy", "from": "end"}, [DEPLOY],
         "expectations.probes[0].from: deploy has no duration, it ends with the load: measure from its "
         "start"),
        ({"probe": "version", "within": "1s", "reads": "v1"}, [],
         "expectations.probes[0].reads: invalid condition 'v1'"),
        ({"probe": "version", "within": "1s", "reads": "> high"}, [],
         "expectations.probes[0].reads: '> high': > compares numbers"),
        ({"probe": "version", "reads": "== v1"}, [],
         "expectations.probes[0].within: required field is missing"),
        ({"probe": "version", "within": "1s", "reads": "== v1", "from": "middle"}, [],
         "expectations.probes[0].from: Input should be 'start' or 'end'"),
    ],
)  # fmt: skip
def test_a_probe_expectation_that_could_never_be_checked_is_refused(tmp_path, expectation, faults, error):
    message = refusal(tmp_path, probes=PROBE, faults=faults, expectations={"probes": [expectation]})
    assert message.startswith(error)


STATE = ("reads the reference gateway's state, which the external backend does not offer: give 'probe' and "
         "'reads'")  # fmt: skip


@pytest.mark.parametrize(
    ("key", "expectation", "faults", "load_fields", "error"),
    [
        ("rollback", {"fault": "deploy", "within": "5s"}, [DEPLOY], {},
         f"expectations.rollback[0].probe: rollback {STATE} (a probe of the canary), or 'version' (the "
         "canary's, as answers name it)"),
        ("breaker_opened", {"fault": "deploy", "within": "5s"}, [DEPLOY], {},
         f"expectations.breaker_opened[0].probe: breaker_opened {STATE}"),
        ("drift_detected", {"fault": "deploy", "within": "5s"}, [DEPLOY], {},
         f"expectations.drift_detected[0].probe: drift_detected {STATE}"),
        ("rollback", {"fault": "deploy", "within": "5s", "probe": "nope", "reads": "== 0"}, [DEPLOY], {},
         "expectations.rollback[0].probe: no probe named 'nope' (probes: version)"),
        ("rollback", {"fault": "deploy", "within": "5s", "probe": "version"}, [DEPLOY], {},
         "expectations.rollback[0]: give 'reads' too: a probe is evidence with the reading it turns to"),
        ("rollback", {"fault": "deploy", "within": "5s", "reads": "== v1"}, [DEPLOY], {},
         "expectations.rollback[0]: give 'probe' too"),
        ("rollback", {"fault": "deploy", "within": "5s", "version": "v2"}, [DEPLOY], {},
         "expectations.rollback[0].version: the answers' model version is not read: say where in "
         "load.observe.version"),
        ("rollback", {"fault": "deploy", "within": "5s", "probe": "version", "reads": "== v1",
                      "max_canary_requests": 10}, [DEPLOY], {},
         "expectations.rollback[0].max_canary_requests: counting the canary's answers needs its 'version' "
         "(action does not say which it deploys)"),
    ],
)  # fmt: skip
def test_a_mechanism_expectation_needs_evidence_the_stack_can_give(tmp_path, key, expectation, faults,
                                                                   load_fields, error):  # fmt: skip
    load = {"users": 1, "duration": "10s", "request": {"protocol": "mlflow"}, **load_fields}
    expectations = {key: [expectation]}
    message = refusal(
        tmp_path, stack=EXTERNAL, probes=PROBE, faults=faults, expectations=expectations, load=load
    )
    assert message.startswith(error), message


def test_on_the_reference_stack_a_mechanism_expectation_about_an_action_reads_the_gateway_state(tmp_path):
    rollback = {"rollback": [{"fault": "deploy", "within": "5s"}]}
    scenario = load(tmp_path, faults=[DEPLOY], expectations=rollback)
    assert scenario.expectations.rollback[0].probe is None


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"params": {}}, "faults[0].params: give either 'run' (a command) or 'http' (a request)"),
        ({"params": {"run": ["a"], "http": {"url": "http://h:1"}}}, "faults[0].params: give either 'run'"),
        ({"params": {"run": ["a"], "undo": {}}}, "faults[0].params.undo: give either 'run'"),
        ({"params": {"run": ["a"], "timeout": "0s"}},
         "faults[0].params.timeout: duration must be greater than"),
        ({"params": {"run": ["a"], "retries": 2}},
         "faults[0].params.retries: unknown parameter for action (known: run, http, undo, timeout)"),
        ({"params": {"http": {"url": "http://h:1", "method": "BREW"}}}, "faults[0].params.http.method: Input "
         "should be 'GET', 'HEAD', 'POST', 'PUT', 'PATCH' or 'DELETE'"),
        ({"duration": "3s"},
         "faults[0] (deploy).params.undo: an action with a duration needs an undo, run when its window ends "
         "(leave 'duration' out for an action that stays)"),
        ({"params": {"run": "deploy --token=${CHAOSDRILL_ADMIN_TOKEN:-none}"}},
         "faults[0].params.run: ${CHAOSDRILL_ADMIN_TOKEN} would show on the command line"),
        ({"target": "nowhere"}, "faults[0] (deploy).target: unknown node 'nowhere'"),
    ],
)  # fmt: skip
def test_an_action_that_cannot_run_as_planned_is_refused(tmp_path, fault, error):
    message = refusal(tmp_path, faults=[{**DEPLOY, **fault}])
    assert message.startswith(error), message

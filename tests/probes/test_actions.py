"""The `action` fault kind against a real HAProxy: a command changes a server's weight through the runtime
API (as a user's deploy script would, without socat), its undo changes it back; failures, timeouts and
error answers are not applied; what each printed is kept in the run directory."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from faults.kind import FaultOrder
from faults.kinds import FAULT_KINDS
from faults.kinds.action import ActionFailed, ActionParams, ActionRun
from tests.probes.haproxy import SET_WEIGHT, Haproxy

TOKEN = "7c0ffee7c0ffee7c0ffee7c0ffee7c0f"


def stack(tmp_path: Path, haproxy: Haproxy | None = None, **variables: str) -> SimpleNamespace:
    """What an action sees of a started stack: where the load goes, the run directory, its variables."""
    url = haproxy.url if haproxy else "http://127.0.0.1:9"
    return SimpleNamespace(gateway_url=url, run_dir=tmp_path, variables=variables, admin_token=TOKEN)


def action(tmp_path: Path, params: dict[str, Any], haproxy: Haproxy | None = None, node: str | None = None,
           **variables: str) -> ActionRun:  # fmt: skip
    return ActionRun(
        "deploy", ActionParams.model_validate(params), stack(tmp_path, haproxy, **variables), node
    )


def set_weight(weight: int) -> list[str]:
    return [*SET_WEIGHT, "${LB_SOCKET}", "canary", str(weight)]


@pytest.fixture
def lb_socket(haproxy: Haproxy, monkeypatch: pytest.MonkeyPatch) -> Haproxy:
    """The socket's path in the harness's environment: placeholders fall back to it."""
    monkeypatch.setenv("LB_SOCKET", str(haproxy.admin_socket))
    return haproxy


def test_a_command_action_and_its_undo(tmp_path, lb_socket):
    run = action(tmp_path, {"run": set_weight(0), "undo": {"run": set_weight(20)}}, lb_socket)
    details = run.apply()
    assert lb_socket.weight("canary") == "0 (initial 20)"
    assert details["exit"] == 0 and details["log"] == "logs/actions/deploy.log"
    assert details["run"].endswith("${LB_SOCKET} canary 0")  # as written: a value never lands in a record
    log = (tmp_path / "logs" / "actions" / "deploy.log").read_text()
    assert "exit: 0" in log and "--- stdout\ndone" in log
    run.clear()
    assert lb_socket.weight("canary") == "20 (initial 20)"
    assert "exit: 0" in (tmp_path / "logs" / "actions" / "deploy.undo.log").read_text()
    run.clear()  # idempotent: the undo ran once
    assert (tmp_path / "logs" / "actions" / "deploy.undo.log").stat().st_size > 0


def test_a_failed_action_is_not_applied_and_its_undo_still_runs(tmp_path, lb_socket):
    """The runtime API refuses weight 999; the undo restores what a half-done action might have changed."""
    run = action(tmp_path, {"run": set_weight(999), "undo": {"run": set_weight(20)}}, lb_socket)
    with pytest.raises(ActionFailed, match=r"exited with 1 \(output in logs/actions/deploy\.log\)$"):
        run.apply()
    log = (tmp_path / "logs" / "actions" / "deploy.log").read_text()
    assert "Absolute weight can only be between 0 and 256" in log  # HAProxy's own answer
    run.clear()
    assert lb_socket.weight("canary") == "20 (initial 20)"


def test_an_action_is_killed_at_its_timeout(tmp_path):
    run = action(tmp_path, {"run": "sleep 20", "timeout": "300ms"})
    with pytest.raises(ActionFailed, match=r"^sleep 20 killed after 0\.\d+s \(timeout 0\.3s\)"):
        run.apply()


def test_an_action_that_cannot_start(tmp_path):
    with pytest.raises(ActionFailed, match=r"^/nonexistent/deploy: cannot run: "):
        action(tmp_path, {"run": ["/nonexistent/deploy"]}).apply()


def test_an_http_action_succeeds_below_400_and_fails_from_it(tmp_path, haproxy):
    ok = action(tmp_path, {"http": {"method": "GET", "url": "${CHAOSDRILL_ENTRYPOINT}/state"}}, haproxy)
    details = ok.apply()
    assert (details["http"], details["status"]) == ("GET ${CHAOSDRILL_ENTRYPOINT}/state", 200)
    refused = action(tmp_path, {"http": {"url": "${CHAOSDRILL_ENTRYPOINT}/down", "json": {"v": 2}}}, haproxy)
    with pytest.raises(ActionFailed, match=r"^POST \$\{CHAOSDRILL_ENTRYPOINT\}/down answered 503: down"):
        refused.apply()
    unreachable = action(tmp_path, {"http": {"url": "http://127.0.0.1:9/deploy"}})
    with pytest.raises(ActionFailed, match=r"^POST http://127.0.0.1:9/deploy: ConnectError"):
        unreachable.apply()


def test_the_admin_token_reaches_a_request_header_and_a_command_environment_but_no_record(tmp_path, haproxy):
    request = action(
        tmp_path,
        {
            "http": {
                "method": "GET",
                "url": "${CHAOSDRILL_ENTRYPOINT}/state",
                "headers": {"X-Admin-Token": "${CHAOSDRILL_ADMIN_TOKEN}"},
            }
        },
        haproxy,
    )
    details = request.apply()
    command = action(tmp_path, {"run": f"test ${{#CHAOSDRILL_ADMIN_TOKEN}} -eq {len(TOKEN)}"})  # the shell's
    details2 = command.apply()
    written = [p.read_text() for p in (tmp_path / "logs" / "actions").iterdir()]
    assert not [text for text in [*written, json.dumps(details)] if TOKEN in text]
    assert details2["exit"] == 0


def test_an_action_on_a_node_knows_the_node(tmp_path):
    script = "import os; e = os.environ; print(e['CHAOSDRILL_NODE'], e['CHAOSDRILL_NODE_PORT'], "
    script += "e.get('CHAOSDRILL_NODE_LINK'))"
    run = action(tmp_path, {"run": [sys.executable, "-c", script, "${CHAOSDRILL_NODE}"]}, node="web-1",
                 CHAOSDRILL_PORT_WEB_1="8081")  # fmt: skip
    run.apply()
    log = (tmp_path / "logs" / "actions" / "deploy.web-1.log").read_text()
    assert "--- stdout\nweb-1 8081 None" in log


def test_the_kind_runs_once_per_target_and_once_without_one(tmp_path):
    kind = FAULT_KINDS["action"]
    params = ActionParams.model_validate({"run": ["true"]})
    per_node = kind.injectors(FaultOrder("deploy", params, ("web-1", "web-2"), None), stack(tmp_path))
    assert [i.description for i in per_node] == ["action deploy on web-1", "action deploy on web-2"]
    [single] = kind.injectors(FaultOrder("deploy", params, (), None), stack(tmp_path))
    assert single.description == "action deploy" and kind.needs == frozenset()

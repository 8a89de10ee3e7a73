"""The run's variables a user's stack is configured with: one naming rule, compose's braced syntax, and an
unknown name an error naming where it was used (never an empty string)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends.variables import interpolate, link_variable, port_variable, run_variables

VARIABLES = {"CHAOSDRILL_LINK_GPU_0": "127.0.0.1:4001", "EMPTY": "", "CHAOSDRILL_HOST": "127.0.0.1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("server a ${CHAOSDRILL_LINK_GPU_0} check", "server a 127.0.0.1:4001 check"),
        ("${CHAOSDRILL_HOST}:${CHAOSDRILL_LINK_GPU_0}", "127.0.0.1:127.0.0.1:4001"),
        ("${MISSING:-/ping}", "/ping"),
        ("${EMPTY:-fallback}", "fallback"),  # compose: `:-` also replaces an empty value
        ("[${EMPTY}]", "[]"),  # set but empty: empty, not an error
        ("${CHAOSDRILL_HOST:-unused}", "127.0.0.1"),
        ("${MISSING:-}", ""),
        ("literal $${CHAOSDRILL_HOST}", "literal ${CHAOSDRILL_HOST}"),
        ("nginx $host and $remote_addr; shell $1", "nginx $host and $remote_addr; shell $1"),
        ("$", "$"),
        ("${not closed", "${not closed"),
    ],
)
def test_placeholders_are_replaced_compose_style(text: str, expected: str) -> None:
    assert interpolate(text, VARIABLES, "here") == expected


def test_an_unknown_variable_names_where_and_what_the_run_sets() -> None:
    with pytest.raises(ValueError) as caught:
        interpolate("server b ${CHAOSDRILL_LINK_GPU_1}", VARIABLES, "stack.processes.nodes[2].command")
    assert str(caught.value) == (
        "stack.processes.nodes[2].command: ${CHAOSDRILL_LINK_GPU_1} is not set "
        "(chaosdrill sets: CHAOSDRILL_HOST, CHAOSDRILL_LINK_GPU_0)"
    )


def test_node_names_become_one_variable_name_each() -> None:
    assert link_variable("gpu-0") == "CHAOSDRILL_LINK_GPU_0"
    assert port_variable("model.a") == "CHAOSDRILL_PORT_MODEL_A"


def test_a_run_sets_its_folders_links_and_ports(tmp_path: Path) -> None:
    variables = run_variables(tmp_path, {"model-a": "127.0.0.1:4001"}, {"model-a": 5001, "lb": 5002})
    assert variables == {
        "CHAOSDRILL_HOST": "127.0.0.1",
        "CHAOSDRILL_RUN_DIR": str(tmp_path),
        "CHAOSDRILL_CONFIG_DIR": str(tmp_path / "config"),
        "CHAOSDRILL_LINK_MODEL_A": "127.0.0.1:4001",
        "CHAOSDRILL_PORT_MODEL_A": "5001",
        "CHAOSDRILL_PORT_LB": "5002",
    }


def test_folders_are_absolute_since_nodes_run_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Regression: `chaosdrill run` without --out makes a relative run dir (reports/...), which a node
    running in the scenario's folder could not find its templated config in."""
    monkeypatch.chdir(tmp_path)
    variables = run_variables(Path("reports/run"), {}, {})
    assert variables["CHAOSDRILL_RUN_DIR"] == str(tmp_path / "reports" / "run")
    assert variables["CHAOSDRILL_CONFIG_DIR"] == str(tmp_path / "reports" / "run" / "config")

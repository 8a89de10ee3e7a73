"""The processes backend with real processes: the user's commands started in order behind real links and
a real HAProxy, faulted as process groups, stopped in reverse with their own signals, and every way a
start-up goes wrong reported at once, naming the field."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
import yaml

from harness.backends.user_processes import ProcessesBackend
from harness.errors import HarnessError, InputError
from harness.scenario.loader import load_scenario

NODE = [sys.executable, str(Path(__file__).with_name("node_server.py"))]
HAPROXY_CFG = """\
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    retries 0
frontend lb
    bind ${CHAOSDRILL_HOST}:${CHAOSDRILL_PORT_LB}
    default_backend nodes
backend nodes
    server a ${CHAOSDRILL_LINK_A}
"""
Start = Callable[..., ProcessesBackend]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """`start(nodes, **processes)`: a backend for those nodes, started; stopped after the test."""
    started: list[ProcessesBackend] = []

    def make(nodes: list[dict[str, Any]], entry: str | None = None, **processes: Any) -> ProcessesBackend:
        (tmp_path / "haproxy.cfg").write_text(HAPROXY_CFG)
        stack = {"nodes": nodes, "entrypoint": {"node": entry or nodes[-1]["name"]}, **processes}
        scenario = {"name": "procs", "load": {"users": 1, "duration": "5s"},
                    "stack": {"startup_timeout": "20s", "processes": stack}}  # fmt: skip
        path = tmp_path / "procs.yaml"
        path.write_text(yaml.safe_dump(scenario))
        backend = ProcessesBackend(load_scenario(path), tmp_path / "run")
        started.append(backend)
        backend.start()
        return backend

    yield make
    for backend in started:
        backend.stop()


def node(name: str, *flags: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "command": [*NODE, *flags], **fields}


def get(url: str, timeout: float = 2.0) -> dict[str, Any]:
    return json.loads(httpx.get(url, timeout=timeout).raise_for_status().text)


def group(pid: int) -> list[int]:
    """The live (not zombie) processes of a process group."""
    alive = []
    for process in psutil.process_iter(["status"]):
        try:
            if process.info["status"] != psutil.STATUS_ZOMBIE and psutil.os.getpgid(process.pid) == pid:
                alive.append(process.pid)
        except (psutil.NoSuchProcess, ProcessLookupError):
            continue
    return alive


def eventually(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=0.5)
    except httpx.HTTPError:
        return False
    return True


def test_links_ports_and_templates_exist_before_the_first_node_starts(start: Start, tmp_path: Path) -> None:
    """HAProxy, started last from a rendered template, reaches node a through a's link."""
    lb = {"name": "lb", "command": "haproxy -db -f ${CHAOSDRILL_CONFIG_DIR}/haproxy.cfg", "ready_path": None}
    backend = start([node("a", link=True), node("b"), lb], templates=[{"template": "haproxy.cfg"}])
    link = backend.link_proxy("a")
    assert link.upstream == f"127.0.0.1:{backend.ports['a']}"
    assert backend.variables["CHAOSDRILL_LINK_A"] == link.listen
    assert backend.variables["CHAOSDRILL_PORT_B"] == str(backend.ports["b"])
    config = (tmp_path / "run" / "config" / "haproxy.cfg").read_text()
    assert f"server a {link.listen}\n" in config and f"bind 127.0.0.1:{backend.ports['lb']}\n" in config
    assert get(backend.gateway_url)["pid"] == backend.pids()["a"]
    logs = {p.name for p in (tmp_path / "run" / "logs").iterdir()}
    assert logs == {"a.log", "b.log", "lb.log", "toxiproxy.log"}
    backend.disconnect_node("a")
    assert httpx.get(backend.gateway_url, timeout=2.0).status_code == 503  # HAProxy: no server reachable
    backend.reconnect_node("a")
    assert get(backend.gateway_url)["pid"] == backend.pids()["a"]


def test_a_kill_takes_the_whole_group_and_a_start_brings_it_back_on_its_port(start: Start) -> None:
    backend = start([node("a", "--worker")])
    leader = backend.pids()["a"]
    worker = get(backend.gateway_url)["pid"]
    assert worker != leader and sorted(group(leader)) == sorted([leader, worker])
    assert backend.kill_node("a") == {"node": "a", "pid": leader, "signal": "SIGKILL"}
    assert group(leader) == [] and not answers(backend.gateway_url)  # the worker died with its leader
    started = backend.start_node("a")
    eventually(lambda: answers(backend.gateway_url))
    assert started["pid"] != leader and backend.gateway_url.endswith(f":{backend.ports['a']}")


def test_a_pause_freezes_every_process_of_the_node_until_unpaused(start: Start) -> None:
    backend = start([node("a", "--worker")])
    assert backend.pause_node("a")["signal"] == "SIGSTOP"
    statuses = {psutil.Process(pid).status() for pid in group(backend.pids()["a"])}
    assert statuses == {psutil.STATUS_STOPPED} and not answers(backend.gateway_url)
    backend.unpause_node("a")
    assert get(backend.gateway_url)["pid"]


def test_stop_goes_in_reverse_order_with_each_nodes_signal_then_sigkill(start: Start, tmp_path: Path) -> None:
    backend = start(
        [
            node("a", "--worker", "--linger", "0.5", stop_signal="SIGUSR1"),
            node("b", "--ignore", stop_timeout="1s"),
        ],
        entry="a",
    )
    pids = backend.pids()
    began = time.time()
    backend.stop()
    logs = tmp_path / "run" / "logs"
    assert group(pids["a"]) == [] and group(pids["b"]) == []
    got = [line.split() for line in (logs / "a.log").read_text().splitlines() if line.startswith("got")]
    # leader and worker: the whole group, and the worker's graceful stop is waited for, not cut short
    assert [words[1] for words in got] == ["SIGUSR1", "SIGUSR1"]
    assert min(float(words[3]) for words in got) >= began + 1.0  # after b's 1 s stop_timeout ran out
    assert "got" not in (logs / "b.log").read_text()  # b ignored SIGTERM: SIGKILLed


def test_a_node_that_exits_during_start_up_fails_at_once_with_its_log(start: Start) -> None:
    began = time.monotonic()
    with pytest.raises(HarnessError, match=r"b exited with code 3 during start-up; last log lines: boom"):
        start([node("a"), node("b", "--exit", "3")])
    assert time.monotonic() - began < 10  # not the 20 s start-up timeout


def test_a_ready_path_that_answers_404_fails_at_once_naming_it(start: Start) -> None:
    with pytest.raises(HarnessError, match=r"\(check stack.processes.nodes\[0\].ready_path\) answered 404"):
        start([node("a", ready_path="/missing")])


def test_a_missing_program_is_bad_input_before_anything_starts(start: Start, tmp_path: Path) -> None:
    missing = r"^stack.processes.nodes\[1\].command: no program 'chaosdrill-nope' on PATH$"
    with pytest.raises(InputError, match=missing):
        start([node("a", link=True), {"name": "b", "command": "chaosdrill-nope --serve"}])
    assert not (tmp_path / "run" / "logs").exists()  # not even the link's proxy server started


def test_a_busy_fixed_port_is_bad_input_naming_the_node(start: Start) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        busy_port = rf"^stack.processes.nodes\[0\].port: 127.0.0.1:{port} is already in use$"
        with pytest.raises(InputError, match=busy_port):
            start([node("a", port=port)])

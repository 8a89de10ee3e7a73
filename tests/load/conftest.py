"""Fixtures: scripted gateways on free 127.0.0.1 ports and load workers, all cleaned up after each test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.load.config import LoadConfig
from harness.load.process import LoadProcess
from tests.load.load_helpers import ScriptedGateway


@pytest.fixture
def gateway_factory() -> Iterator[Callable[[], ScriptedGateway]]:
    servers: list[ScriptedGateway] = []

    def start() -> ScriptedGateway:
        server = ScriptedGateway()
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def gateway(gateway_factory: Callable[[], ScriptedGateway]) -> ScriptedGateway:
    return gateway_factory()


@pytest.fixture
def load_factory(tmp_path: Path) -> Iterator[Callable[[LoadConfig, str], LoadProcess]]:
    processes: list[LoadProcess] = []

    def create(config: LoadConfig, name: str = "load") -> LoadProcess:
        process = LoadProcess(config, tmp_path / name)
        processes.append(process)
        return process

    yield create
    for process in processes:
        process.stop(grace_s=2)

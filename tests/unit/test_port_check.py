"""`stack.port` is busy only while something listens on it, not while a closed run's connections linger."""

from __future__ import annotations

import socket

import pytest

from harness.backends.processes import requested_port
from harness.errors import InputError


def _port_in_time_wait() -> int:
    """A port whose listener is gone but whose server side closed first, leaving it in TIME_WAIT."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the active closer keeps (127.0.0.1:port, client) in TIME_WAIT for ~60 s
            client.recv(1)  # sees the FIN, so the client side closes cleanly next
    return port


def _in_time_wait(port: int) -> bool:
    with open("/proc/net/tcp") as table:
        rows = [line.split() for line in table.read().splitlines()[1:]]
    return any(int(row[1].split(":")[1], 16) == port and row[3] == "06" for row in rows)


def test_a_port_left_in_time_wait_by_a_closed_run_is_free() -> None:
    port = _port_in_time_wait()
    assert _in_time_wait(port)  # the state a killed run leaves behind, which used to read as busy
    assert requested_port(port) == port


def test_a_port_something_listens_on_is_busy() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        with pytest.raises(InputError, match=rf"stack.port: 127.0.0.1:{port} is already in use"):
            requested_port(port)


def test_no_port_requested_checks_nothing() -> None:
    assert requested_port(None) is None

"""Child processes that can never outlive the harness.

Children run in their own session (so the terminal's Ctrl-C reaches only the harness, which then tears
down in order) and with PR_SET_PDEATHSIG, so even a SIGKILLed harness leaves no orphans behind.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError, InputError
from harness.interrupts import check_interrupted

_PR_SET_PDEATHSIG = 1
# Resolved before any fork: the child between fork and exec must not take locks (dlopen would).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def _die_with_parent() -> None:
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ManagedProcess:
    """A named subprocess with its output in a log file, stopped gracefully then forcefully."""

    def __init__(self, name: str, argv: Sequence[str], log_path: Path, env: dict[str, str] | None = None):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(self.env or {})},
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        check_interrupted()  # a Ctrl-C during the spawn lands in an at-fork hook, which swallows it

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait(self, timeout: float) -> int:
        """Exit code; raises `subprocess.TimeoutExpired` if still running after `timeout`."""
        assert self.popen is not None
        return self.popen.wait(timeout)

    def kill(self) -> None:
        """SIGKILL, the way a node dies: no chance to drain or say goodbye."""
        if self.alive:
            assert self.popen is not None
            self.popen.kill()
            self.popen.wait(timeout=10)

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace_s`; idempotent."""
        if not self.alive:
            return
        assert self.popen is not None
        self.popen.terminate()
        try:
            self.popen.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(line for line in text.strip().splitlines()[-lines:])

    def exited_error(self, what: str, lines: int = 5) -> HarnessError:
        code = self.popen.returncode if self.popen else None
        tail = self.log_tail(lines)
        return HarnessError(
            f"{self.name} exited with code {code} {what}" + (f"; last log lines: {tail}" if tail else "")
        )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def requested_port(port: int | None, host: str = "127.0.0.1") -> int | None:
    """The scenario's fixed `stack.port`, checked free before anything starts; None when none is set."""
    if port is not None and port_in_use(port, host):
        raise InputError(f"stack.port: {host}:{port} is already in use")
    return port


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something listens on the port. SO_REUSEADDR, as every server sets it (uvicorn, the engine's
    port proxy), so connections of a run that just ended, left in TIME_WAIT for a minute, do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False

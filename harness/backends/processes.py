"""Child processes that can never outlive the harness.

Children run in their own session (so the terminal's Ctrl-C reaches only the harness, which then tears
down in order) and with PR_SET_PDEATHSIG, so even a SIGKILLed harness leaves no orphans behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from harness.errors import HarnessError, InputError
from harness.interrupts import check_interrupted

_PR_SET_PDEATHSIG = 1
# Resolved before any fork: the child between fork and exec must not take locks (dlopen would).
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None


def die_with_parent() -> None:
    """In a child between fork and exec: SIGKILL it when the harness dies, however the harness dies."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class ManagedProcess:
    """A named subprocess with its output in a log file, stopped gracefully then forcefully."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ):
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.cwd = cwd
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
                cwd=self.cwd,
                start_new_session=True,
                preexec_fn=die_with_parent,
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

    def kill_node(self, node: str) -> dict[str, Any]:
        """`kill` as a node-kill fault records it."""
        pid = self.pid
        self.kill()
        return {"node": node, "pid": pid, "signal": "SIGKILL"}

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

    def check_alive(self) -> None:
        """Raise its exit as a `HarnessError` if it has ended: readiness waits fail fast with it."""
        if not self.alive:
            raise self.exited_error("during start-up")

    def exited_error(self, what: str, lines: int = 5) -> HarnessError:
        code = self.popen.returncode if self.popen else None
        tail = self.log_tail(lines)
        return HarnessError(
            f"{self.name} exited with code {code} {what}" + (f"; last log lines: {tail}" if tail else "")
        )


class ProcessGroup(ManagedProcess):
    """A managed process with everything it starts (a server's workers, the server a CLI runs): signals go
    to its whole process group, so a kill leaves no worker serving on, and a pause freezes them all.

    The leader is reaped only after its group has been SIGKILLed: until then an exited leader stays a
    zombie that keeps its id, so the group id never names anyone else's processes.
    """

    @property
    def alive(self) -> bool:
        """Whether the leader runs; its exit is seen without reaping it."""
        if self.popen is None or self.popen.returncode is not None:
            return False
        try:
            changed = os.waitid(os.P_PID, self.popen.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return False
        return changed is None

    def send(self, sig: signal.Signals) -> None:
        """`sig` to every process of the group, while it is still ours (the leader not reaped)."""
        if self.popen is not None and self.popen.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """SIGKILL the whole group, then reap the leader."""
        if self.popen is not None and self.popen.returncode is None:
            self.send(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, grace_s: float = 5.0, stop_signal: signal.Signals = signal.SIGTERM) -> None:
        """`stop_signal` to the group (and SIGCONT, should it be paused); SIGKILL to whatever of it is left
        once every process of it has exited (workers finish their own graceful stop, not only the leader)
        or `grace_s` has passed; idempotent."""
        if self.alive:
            members = self._members()
            self.send(stop_signal)
            self.send(signal.SIGCONT)
            deadline = time.monotonic() + grace_s
            while any(_running(p) for p in members) and time.monotonic() < deadline:
                time.sleep(0.05)
        self.kill()

    def _members(self) -> list[psutil.Process]:
        """The processes in the group now (the leader and what it started)."""
        assert self.popen is not None  # only called while alive
        group = self.popen.pid
        members = []
        for process in psutil.process_iter():
            with contextlib.suppress(psutil.Error, ProcessLookupError):
                if os.getpgid(process.pid) == group:
                    members.append(process)
        return members

    def check_alive(self) -> None:
        """An exited leader's group is killed (workers it left) and the exit raised as a `HarnessError`."""
        if not self.alive:
            self.kill()
            raise self.exited_error("during start-up")


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def requested_port(port: int | None, host: str = "127.0.0.1", field: str = "stack.port") -> int | None:
    """A fixed port the scenario sets (in `field`), checked free before anything starts; None when none is
    set."""
    if port is not None and port_in_use(port, host):
        raise InputError(f"{field}: {host}:{port} is already in use")
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

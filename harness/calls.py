"""The scenario's own commands and HTTP requests: how probes read a stack and actions change it.

Both are written with `${VAR}` placeholders for the run's addresses (`harness.backends.variables`:
`${CHAOSDRILL_ENTRYPOINT}`, `${CHAOSDRILL_LINK_GPU_0}`, ...), resolved once the stack runs: the run's
variables first, the harness's environment after them. A command is a list of words, run as they are, or
one string, run by `/bin/sh -c` (pipes, `&&`). It also finds the run's variables in its environment, so a
script reads `$CHAOSDRILL_ENTRYPOINT` without templating; secrets (the admin token) travel only that way,
never on a command line, which every local user can read with `ps`.

Commands run like every other child of the harness: in their own session, killed with a harness that
dies (PR_SET_PDEATHSIG), and with their whole process group killed at their timeout.

This module must not import `harness.scenario`: fault kinds (`faults/kinds/action.py`) use it, and the
scenario schema imports the fault kinds.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import httpx
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from harness.backends.processes import die_with_parent
from harness.backends.variables import SECRET_VARIABLES, interpolate

MAX_OUTPUT_CHARS = 65_536
"""What is kept of a command's stdout and of its stderr (the end of each)."""
_TICK_S = 0.05
_SECRET = re.compile(r"\$\{(" + "|".join(sorted(SECRET_VARIABLES)) + r")[}:]")


def _check_command(command: list[str] | str) -> list[str] | str:
    words = [command] if isinstance(command, str) else command
    if not words or not words[0].strip():
        raise ValueError("empty command: give the program and its arguments, e.g. [python3, deploy.py]")
    for word in words:
        if secret := _SECRET.search(word):
            name = secret.group(1)
            raise ValueError(
                f"${{{name}}} would show on the command line (ps): commands get {name} in their "
                f'environment, read it there ("${name}" in a shell command)'
            )
    return command


Command = Annotated[list[str] | str, AfterValidator(_check_command)]
"""`[python3, deploy.py, v2]` (run as is) or `"curl -sf ... | grep ok"` (run by /bin/sh -c)."""


def command_words(command: list[str] | str) -> list[str]:
    return ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)


def resolve_command(command: list[str] | str, variables: Mapping[str, str], where: str) -> list[str]:
    """The command's words with their placeholders replaced; ValueError naming `where` for an unknown one."""
    return [interpolate(word, variables, where) for word in command_words(command)]


def describe_command(command: list[str] | str) -> str:
    """As written (placeholders unresolved): what a record or a log may show without leaking a value."""
    return command if isinstance(command, str) else " ".join(command)


def check_http_url(url: str) -> str:
    """A pydantic validator: an http(s) URL, or one that starts with a placeholder (`${CHAOSDRILL_...}`)."""
    if not re.match(r"^(https?://|\$\{)", url):
        raise ValueError(f"{url!r} is not an http:// or https:// URL (or a ${{VARIABLE}} that gives one)")
    return url


class HttpCall(BaseModel):
    """`{method: POST, url: "${CHAOSDRILL_ENTRYPOINT}/admin/canary", headers: {...}, json: {...}}`."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    url: str
    method: Literal["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(None, alias="json")
    """Sent as a JSON body when given; strings in it may hold placeholders too."""

    _url = field_validator("url")(check_http_url)

    def resolved(self, variables: Mapping[str, str], where: str) -> HttpCall:
        """The call with every placeholder replaced (URL, header values, strings in the JSON body)."""
        return self.model_copy(
            update={
                "url": interpolate(self.url, variables, f"{where}.url"),
                "headers": {
                    k: interpolate(v, variables, f"{where}.headers.{k}") for k, v in self.headers.items()
                },
                "body": _resolve_json(self.body, variables, f"{where}.json"),
            }
        )

    def describe(self) -> str:
        return f"{self.method} {self.url}"

    def send(self, client: httpx.Client, timeout_s: float) -> httpx.Response:
        """One request; httpx's errors (refused, timed out) are the caller's."""
        return client.request(self.method, self.url, headers=self.headers, json=self.body, timeout=timeout_s)


def _resolve_json(value: Any, variables: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        return interpolate(value, variables, where)
    if isinstance(value, list):
        return [_resolve_json(item, variables, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: _resolve_json(item, variables, f"{where}.{key}") for key, item in value.items()}
    return value


def call_environment(variables: Mapping[str, str]) -> dict[str, str]:
    """What placeholders may name and commands find in their environment: the harness's environment, the
    run's variables over it."""
    return {**os.environ, **variables}


@dataclass(frozen=True)
class CommandResult:
    exit_code: int | None
    """None: killed at its timeout (or when the caller gave up on it)."""
    stdout: str
    stderr: str
    seconds: float

    def failure(self, timeout_s: float) -> str | None:
        """Why the command did not succeed, in one line; None when it exited 0."""
        if self.exit_code is None:
            return f"killed after {self.seconds:.1f}s (timeout {timeout_s:g}s)"
        if self.exit_code != 0:
            last = next((line for line in reversed(self.stderr.splitlines()) if line.strip()), "")
            return f"exited with {self.exit_code}" + (f": {last.strip()}" if last else "")
        return None


def run_command(
    argv: list[str],
    env: Mapping[str, str],
    timeout_s: float,
    cancel: threading.Event | None = None,
) -> CommandResult:
    """Run to its end, or kill its process group at `timeout_s` or once `cancel` is set. OSError when it
    cannot start (no such program)."""
    started = time.monotonic()
    popen = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env),
        start_new_session=True,
        preexec_fn=die_with_parent,
    )
    killed = False
    try:
        while True:
            try:
                stdout, stderr = popen.communicate(timeout=_TICK_S)
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() - started >= timeout_s or (cancel is not None and cancel.is_set()):
                    killed = True
                    _kill_group(popen)
                    stdout, stderr = _leftover_output(popen)
                    break
    finally:
        if popen.poll() is None:  # an interrupt cut the wait short
            _kill_group(popen)
    return CommandResult(
        None if killed else popen.returncode,
        _tail(stdout),
        _tail(stderr),
        time.monotonic() - started,
    )


def _kill_group(popen: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(popen.pid, signal.SIGKILL)


def _leftover_output(popen: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """What a killed command wrote; nothing if something it started outside its group holds the pipes."""
    try:
        return popen.communicate(timeout=2)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait(timeout=5)
        return b"", b""


def _tail(output: bytes | None) -> str:
    text = (output or b"").decode("utf-8", errors="replace")
    return text[-MAX_OUTPUT_CHARS:]

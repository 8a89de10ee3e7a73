"""Running the user's compose tool on one project, failing with one line the user can act on.

The compose tool, not the Docker SDK, brings a user's stack up and down: only it understands every
corner of their compose file (anchors, `depends_on`, env files, profiles), and whichever of
`docker-compose` (v1) or the `docker compose` plugin (v2) they use is what their stack is tested with.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import HarnessError, InputError

_PORT_BUSY = ("port is already allocated", "address already in use")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def compose_command() -> list[str]:
    """`docker-compose` if installed, else the `docker compose` plugin."""
    standalone = shutil.which("docker-compose")
    if standalone is not None:
        return [standalone]
    docker = shutil.which("docker")
    if docker is not None:
        probe = subprocess.run([docker, "compose", "version"], capture_output=True, stdin=subprocess.DEVNULL)
        if probe.returncode == 0:
            return [docker, "compose"]
    raise HarnessError(
        "stack.compose needs docker-compose or the docker compose plugin, and neither is installed"
    )


@dataclass(frozen=True)
class ComposeProject:
    command: list[str]
    name: str
    files: list[Path]
    directory: Path
    """Relative paths in the user's file (bind mounts, env files) resolve against it."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """The run's variables, added to the harness's environment: compose's own interpolation fills them in."""

    def run(self, *args: str, timeout_s: float, log: Path | None = None, setting: str = "") -> str:
        """Stdout of `<compose> -p NAME -f ... ARGS`; HarnessError (InputError for a busy port) on failure,
        naming `setting`, the scenario field that set the time limit, if any. With `log`, everything the
        tool printed is also appended there (finished, failed or timed out)."""
        files = [part for file in self.files for part in ("-f", str(file))]
        argv = [*self.command, "-p", self.name, "--project-directory", str(self.directory), *files, *args]
        what = f"`{' '.join(['compose', *args])}`"
        try:
            result = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL,
                env={**os.environ, **self.environment},
            )  # fmt: skip
        except subprocess.TimeoutExpired as expired:
            _append(log, expired.stdout, expired.stderr)
            limit = f" (raise {setting})" if setting else ""
            raise HarnessError(f"{what} did not finish within {timeout_s:.0f}s{limit}") from None
        _append(log, result.stdout, result.stderr)
        if result.returncode != 0:
            reason = error_line(result.stderr)
            if any(busy in reason for busy in _PORT_BUSY):
                raise InputError(f"port in use: {reason}")
            logged = f" (all its output is in {log})" if log else ""
            raise HarnessError(f"{what} failed: {reason}{logged}")
        return result.stdout


def error_line(stderr: str) -> str:
    """The line that says what went wrong: compose prints progress lines before its `ERROR:` lines. Without
    one (a failed build), its last two lines: what failed, then which service it failed."""
    lines = [line.strip() for line in _ANSI.sub("", stderr).splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if "error" in line.lower()]
    return errors[-1] if errors else "; ".join(lines[-2:]) or "no error output"


def _append(log: Path | None, *outputs: str | bytes | None) -> None:
    """The tool's output, without the colours it gives a build's output (terminal escapes)."""
    if log is None:
        return
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as file:
        for output in outputs:
            text = output.decode(errors="replace") if isinstance(output, bytes) else output or ""
            file.write(_ANSI.sub("", text))

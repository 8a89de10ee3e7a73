"""Running the user's compose tool on one project, failing with one line the user can act on.

The compose tool, not the Docker SDK, brings a user's stack up and down: only it understands every
corner of their compose file (anchors, `depends_on`, env files, profiles), and whichever of
`docker-compose` (v1) or the `docker compose` plugin (v2) they use is what their stack is tested with.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, InputError

_PORT_BUSY = ("port is already allocated", "address already in use")


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

    def run(self, *args: str, timeout_s: float) -> str:
        """Stdout of `<compose> -p NAME -f ... ARGS`; HarnessError (InputError for a busy port) on failure."""
        files = [part for file in self.files for part in ("-f", str(file))]
        argv = [*self.command, "-p", self.name, "--project-directory", str(self.directory), *files, *args]
        what = f"`{' '.join(['compose', *args])}`"
        try:
            result = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL
            )
        except subprocess.TimeoutExpired:
            raise HarnessError(f"{what} did not finish within {timeout_s:.0f}s") from None
        if result.returncode != 0:
            reason = error_line(result.stderr)
            if any(busy in reason for busy in _PORT_BUSY):
                raise InputError(f"port in use: {reason}")
            raise HarnessError(f"{what} failed: {reason}")
        return result.stdout


def error_line(stderr: str) -> str:
    """The line that says what went wrong: compose prints progress lines before its `ERROR:` lines."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line.removeprefix("ERROR:").strip() for line in lines if "error" in line.lower()]
    return (errors or lines or ["no error output"])[-1]

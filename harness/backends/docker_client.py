"""One way to reach the Docker Engine, failing with a sentence the user can act on."""

from __future__ import annotations

import docker
from docker.errors import DockerException
from docker.models.containers import Container

from harness.errors import HarnessError
from harness.run_identity import RunIdentity

RUN_LABEL = "chaosdrill.run_id"
OWNER_LABEL = "chaosdrill"
HARNESS_PID_LABEL = "chaosdrill.harness_pid"
HARNESS_STARTED_LABEL = "chaosdrill.harness_started"
HOST_LABEL = "chaosdrill.host"


def docker_client(timeout_s: float = 30.0) -> docker.DockerClient:
    """A client whose engine has answered a ping, so later calls fail for their own reasons only."""
    try:
        client = docker.from_env(timeout=int(timeout_s))
        client.ping()
    except DockerException as exc:
        raise HarnessError(f"Docker is not reachable (is the engine running? DOCKER_HOST?): {exc}") from None
    return client


def log_tail(container: Container, lines: int = 5) -> str:
    """A container's last log lines on one line, for error messages; empty if the engine can't say."""
    try:
        text = container.logs(tail=lines).decode(errors="replace")
    except DockerException:
        return ""
    return " | ".join(text.strip().splitlines())


def run_labels(identity: RunIdentity) -> dict[str, str]:
    """Every container, network and volume of a run carries these, which is what `cleanup` finds; the
    harness's pid, start time and host let `cleanup` leave a run alone while its harness still lives."""
    return {
        OWNER_LABEL: "1",
        RUN_LABEL: identity.run_id,
        HARNESS_PID_LABEL: str(identity.pid),
        HARNESS_STARTED_LABEL: repr(identity.pid_started_at),
        HOST_LABEL: identity.host,
    }


def labelled_identity(labels: dict[str, str]) -> RunIdentity | None:
    """The run identity an object's labels carry; None for objects of older versions (no harness labels)."""
    try:
        return RunIdentity(
            labels[RUN_LABEL], int(labels[HARNESS_PID_LABEL]), float(labels[HARNESS_STARTED_LABEL]),
            labels[HOST_LABEL],
        )  # fmt: skip
    except (KeyError, ValueError):
        return None

"""The user's own stacks besides a compose file: their commands run as local processes (`stack.processes`),
or an endpoint that already runs (`stack.external`).

The harness assumes nothing of what runs inside. It knows the nodes the scenario names (labels for
targeting, a port, a readiness path) and the links it declares: a link puts chaosdrill's fault proxy
between the user's stack and a node, and the stack learns the link's address through the variables of
`harness.backends.variables` (`${CHAOSDRILL_LINK_GPU_0}` in a command, an environment value or a templated
config file), so the user's load balancer talks to its replicas through chaosdrill's links.
"""

from __future__ import annotations

import shlex
import signal
from pathlib import Path
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator, model_validator

from harness.durations import PositiveDuration
from harness.scenario.strict import Strict, check_name, check_unique


def _split_command(value: object) -> object:
    """`command: "mlflow models serve -m m"` as a shell would split it, or a list of words as given."""
    if isinstance(value, str):
        try:
            return shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split the command into words: {exc}") from None
    return value


def _signal_name(value: str) -> str:
    name = value.upper() if value.upper().startswith("SIG") else f"SIG{value.upper()}"
    if not isinstance(getattr(signal, name, None), signal.Signals):
        raise ValueError(f"unknown signal {value!r} (e.g. SIGTERM, SIGINT, SIGQUIT)")
    return name


Command = Annotated[list[str], BeforeValidator(_split_command), Field(min_length=1)]
SignalName = Annotated[str, BeforeValidator(lambda v: _signal_name(str(v)))]


class ProcessNodeSpec(Strict):
    """One of the user's processes: a model server, their load balancer, anything with a port."""

    name: str
    command: Command
    """Words (or one string, split like a shell would; no shell runs it). `${VAR}` interpolated."""
    env: dict[str, str] = Field(default_factory=dict)
    """Added to the harness's environment; values `${VAR}` interpolated."""
    cwd: Path | None = None
    """Relative to the scenario file; default: the scenario file's folder."""
    port: int | None = Field(None, ge=1, le=65535)
    """Where the process listens on 127.0.0.1; default: a free port, given to it as `${CHAOSDRILL_PORT}`."""
    ready_path: str | None = Field("/", pattern=r"^/")
    """Answers < 400 once the node can take traffic; null: ready once its port accepts connections."""
    labels: dict[str, str] = Field(default_factory=dict)
    """For targeting faults (`accelerator: gpu` makes it a GPU node)."""
    link: bool = False
    """Put a chaosdrill link in front of it: network faults and partitions then apply to it."""
    stop_signal: SignalName = "SIGTERM"
    stop_timeout: PositiveDuration = 10.0
    """Between the stop signal and SIGKILL (`3s`; a bare number is refused, as for every duration)."""

    _name = field_validator("name")(check_name)


class TemplateSpec(Strict):
    """A config file of the user's with `${VAR}` placeholders (an HAProxy or nginx config, say), written
    with the run's addresses into the run dir before any node starts: `${CHAOSDRILL_CONFIG_DIR}/<path>`."""

    template: Path
    """Relative to the scenario file."""
    path: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-][A-Za-z0-9_./-]*$")
    """Where it is written, relative to the run's config folder; default: the template's name."""

    @model_validator(mode="after")
    def _inside(self) -> TemplateSpec:
        if self.path is None:
            self.path = self.template.name
        if ".." in Path(self.path).parts:
            raise ValueError(f"path {self.path!r} must stay inside the run's config folder")
        return self


class ProcessEntrypoint(Strict):
    """Which node the load goes to (its port on 127.0.0.1) and what says it can take load."""

    node: str
    ready_path: str = Field("/", pattern=r"^/")


class ProcessesSpec(Strict):
    """A stack of the user's own commands, run as local processes: no Docker needed (a CI runner, say)."""

    nodes: list[ProcessNodeSpec] = Field(min_length=1)
    """Started in this order, each ready before the next starts (load balancers last); stopped in reverse."""
    entrypoint: ProcessEntrypoint
    templates: list[TemplateSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _names(self) -> ProcessesSpec:
        names = [n.name for n in self.nodes]
        check_unique(names, "node")
        if self.entrypoint.node not in names:
            raise ValueError(f"entrypoint.node: no node {self.entrypoint.node!r} (nodes: {', '.join(names)})")
        return self


class ExternalNodeSpec(Strict):
    """A node of a stack the harness does not run: named for targeting `action` faults and, with a link,
    network faults."""

    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    link: ExternalLinkSpec | None = None

    _name = field_validator("name")(check_name)


class ExternalLinkSpec(Strict):
    """A proxy the harness opens at `listen` (the address the user's stack was configured to reach the node
    at) forwarding to `upstream` (where the node really is)."""

    listen: str = Field(pattern=r"^[^\s:]+:\d{1,5}$")
    upstream: str = Field(pattern=r"^[^\s:]+:\d{1,5}$")


class ExternalSpec(Strict):
    """A stack that already runs (a staging cluster): the harness only sends load to `url`, runs the
    scenario's actions and probes, and opens the declared links; it starts and stops nothing."""

    url: str = Field(pattern=r"^https?://[^/\s]+(/.*)?$")
    ready_path: str = Field("/", pattern=r"^/")
    nodes: list[ExternalNodeSpec] = Field(default_factory=list)

    @field_validator("nodes")
    @classmethod
    def _unique(cls, nodes: list[ExternalNodeSpec]) -> list[ExternalNodeSpec]:
        check_unique([n.name for n in nodes], "node")
        return nodes


ExternalNodeSpec.model_rebuild()

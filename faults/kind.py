"""What a fault kind is: everything the harness needs to know about one, owned by its module in
`faults/kinds/`.

A kind says which parameters it takes (a strict pydantic model: a typo is an error naming the field), what
it acts on (nodes, GPU nodes only, or one untargeted subject), whether it may stay until the load ends,
which backend capabilities it needs (`faults.capabilities`), what it touches on a node (for the overlap
check), how it is carried out and undone (its injectors), and how plans describe it. The scenario schema,
its checks, the plan, the overlap rules and the scheduler ask the kind; none of them names one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from faults.capabilities import Capability
from faults.injector import Injector


class FaultParams(BaseModel):
    """A kind's `params:`; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class NoParams(FaultParams):
    pass


P = TypeVar("P", bound=FaultParams)

Category = Literal["network", "node", "deploy", "data", "action"]
"""Which structured expectations may refer to a fault (breaker_opened: network or node faults, ...); an
`action` is whatever the scenario's own command does, so any of them may."""


@dataclass(frozen=True)
class Overlap:
    """What a fault touches, for `harness.scenario.overlaps`: each fault is undone on its own when its
    window ends, so two may overlap only where neither's undo wipes the other's effect."""

    whole_node: bool = False
    """Changes the whole node (a kill, a restart, a pause, a partition): layers with network toxics only."""
    sets: str | None = None
    """The one setting it changes on a node ("model server's error rate"): never two such at once."""
    exclusive: str | None = None
    """Why two faults with this same reason may not overlap at all, on any node (one canary at a time)."""


WHOLE_NODE = Overlap(whole_node=True)


@dataclass(frozen=True)
class FaultOrder(Generic[P]):
    """One planned fault, as its kind builds the injectors that carry it out."""

    name: str
    params: P
    targets: tuple[str, ...]
    duration: float | None
    """None: it stays until the load ends (open-ended kinds only)."""


@dataclass(frozen=True)
class CheckContext:
    """What a kind may check its fault against, beyond its own parameters (see `FaultKind.check`)."""

    canary_slots: int
    request_features: Sequence[Mapping[str, Any]]
    """The feature schema the load's requests carry."""
    duration: float | None = None
    """The fault's own `duration` (None: it stays until the load ends)."""


@dataclass(frozen=True, kw_only=True)
class FaultKind(ABC, Generic[P]):
    name: str
    """What scenario files write as `kind:`."""
    params: type[P]
    category: Category
    needs: frozenset[Capability]
    """Backend capabilities the injectors use; validation refuses the kind on a backend lacking one."""
    subject: str | None = None
    """What an untargeted kind acts on, in words ("the gateway's canary"); None: it targets nodes."""
    gpu_only: bool = False
    """Targets must be GPU nodes; default target: one of them."""
    open_ended: bool = False
    """May omit `duration` (a node killed for good, a deploy or drift that stays)."""
    may_target: bool = False
    """A kind with a `subject` that may still be given a `target` (an action run once per node)."""
    overlap: Overlap = Overlap()

    @property
    def targeted(self) -> bool:
        return self.subject is None

    def parse(self, params: Mapping[str, Any]) -> P:
        return self.params.model_validate(params)

    @abstractmethod
    def injectors(self, order: FaultOrder[P], stack: Any) -> list[Injector]:
        """The injectors carrying out `order` on `stack`, which offers every capability in `needs`."""

    def check(self, params: P, context: CheckContext) -> tuple[str, str] | None:
        """(field, problem) where the fault could not work in this scenario, e.g. ("kind", "... needs
        stack.canary_replicas >= 1"); the field is relative to the fault. None: fine."""
        return None

    def undo_words(self, targets: str) -> str:
        """How `chaosdrill plan` words the end of the fault's window."""
        return "clear"

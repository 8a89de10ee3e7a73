"""Deploys: a canary (possibly a broken one) or a blue-green switch rolled out through the gateway's control
API, as a CD pipeline would, so what a drill verifies is the stack's own canary analysis and rollback (for
a blue-green switch: switching back to blue).

They act on the gateway's one canary, not on nodes: two may never overlap, and the stack needs a canary
slot (`stack.canary_replicas`, which are green in a blue-green switch). Each kind says which model version
it puts on the canary, for the rollback check and the report's model versions section.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from faults.capabilities import DeployControl
from faults.deploy import BlueGreenSwitch, CanaryDeploy
from faults.injector import Injector
from faults.kind import CheckContext, FaultKind, FaultOrder, FaultParams, Overlap
from stack.model import VERSION_NAMES

BAD_VERSION = "v2-bad"
"""The reference model's broken version: NaN logits on 30% of rows, four times slower."""


class VersionParams(FaultParams):
    version: Literal[VERSION_NAMES] = "v2"


class CanaryDeployParams(VersionParams):
    weight: float = Field(0.2, gt=0, le=1)


class BadDeployParams(FaultParams):
    weight: float = Field(0.2, gt=0, le=1)


ONE_CANARY = Overlap(exclusive="the gateway runs one canary at a time")


@dataclass(frozen=True, kw_only=True)
class Deploy(FaultKind[Any]):
    category: Literal["deploy"] = "deploy"
    needs: frozenset[Any] = frozenset({DeployControl})
    subject: str = "the gateway's canary"
    open_ended: bool = True
    overlap: Overlap = ONE_CANARY

    def canary_version(self, params: VersionParams | BadDeployParams) -> str:
        """The model version this deploy puts on the canary."""
        return params.version if isinstance(params, VersionParams) else BAD_VERSION

    def injectors(self, order: FaultOrder[Any], stack: DeployControl) -> list[Injector]:
        version = self.canary_version(order.params)
        return [CanaryDeploy(stack.gateway_url, stack.admin_token, version, order.params.weight)]

    def check(self, params: Any, context: CheckContext) -> tuple[str, str] | None:
        if context.canary_slots == 0:
            return "kind", f"{self.name} needs stack.canary_replicas >= 1"
        return None


@dataclass(frozen=True, kw_only=True)
class BlueGreenDeploy(Deploy):
    """All traffic at once to the idle colour, once it is ready; the canary's one slot, so never beside a
    canary deploy."""

    subject: str = "the gateway's idle colour (its canary replicas)"

    def injectors(self, order: FaultOrder[Any], stack: DeployControl) -> list[Injector]:
        return [BlueGreenSwitch(stack.gateway_url, stack.admin_token, order.params.version)]

    def undo_words(self, targets: str) -> str:
        return "switch back to blue if still on green"


KINDS = (
    Deploy(name="canary-deploy", params=CanaryDeployParams),
    Deploy(name="bad-deploy", params=BadDeployParams),
    BlueGreenDeploy(name="blue-green-deploy", params=VersionParams),
)

"""Shadow deploys: a candidate version mirrored a share of the answered requests through the gateway's
control API, its answers compared with the users' and never shown to them.

The shadow runs on the gateway's canary replicas, so it needs a canary slot (`stack.canary_replicas`) and
never overlaps a canary deploy (the same exclusive reason as theirs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field

from faults.capabilities import DeployControl
from faults.injector import Injector
from faults.kind import CheckContext, FaultKind, FaultOrder, FaultParams, Overlap
from faults.kinds.deploy import ONE_CANARY
from faults.shadow import ShadowDeploy
from stack.model import VERSION_NAMES


class ShadowParams(FaultParams):
    version: Literal[VERSION_NAMES] = "v2"
    share: float = Field(0.1, gt=0, le=1)
    """Share of the answered requests copied to the shadow."""


@dataclass(frozen=True, kw_only=True)
class Shadow(FaultKind[ShadowParams]):
    category: Literal["deploy"] = "deploy"
    needs: frozenset[Any] = frozenset({DeployControl})
    subject: str = "the gateway's shadow (on the canary replicas)"
    open_ended: bool = True
    overlap: Overlap = ONE_CANARY

    def injectors(self, order: FaultOrder[ShadowParams], stack: DeployControl) -> list[Injector]:
        params = order.params
        return [ShadowDeploy(stack.gateway_url, stack.admin_token, params.version, params.share)]

    def check(self, params: ShadowParams, context: CheckContext) -> tuple[str, str] | None:
        if context.canary_slots == 0:
            return "kind", f"{self.name} needs stack.canary_replicas >= 1 (the shadow runs there)"
        return None

    def undo_words(self, targets: str) -> str:
        return "stop the shadow"


KINDS = (Shadow(name="shadow-deploy", params=ShadowParams),)

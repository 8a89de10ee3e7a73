"""From a planned fault to the injectors that carry it out on the running stack: its kind builds them."""

from __future__ import annotations

from faults.capabilities import in_words
from faults.injector import Injector
from harness.backends.base import StackControl
from harness.errors import HarnessError
from harness.plan import PlannedFault


def build_injectors(planned: PlannedFault, stack: StackControl) -> list[Injector]:
    """The kind's injectors for `planned` (one per target node, or one for an untargeted kind); refused
    plainly if the stack lacks a capability the kind needs (validation refuses such a scenario first)."""
    spec = planned.spec
    kind = spec.fault_kind
    missing = kind.needs - stack.capabilities
    if missing:
        raise HarnessError(
            f"{spec.kind} needs {in_words(missing)}; this stack offers {in_words(stack.capabilities)}"
        )
    return kind.injectors(planned.order, stack)

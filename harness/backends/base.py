"""The interface every stack backend offers, so nothing above the backends asks which one it drives.

The core is small on purpose: a backend starts and stops a stack and says where its load goes. What faults
can be done to the stack is declared separately, as capabilities (`faults.capabilities`) that the backend
class takes from its entry in `harness.backend_offers` and implements as methods: the reference stack's
admin hooks and fault proxy are capabilities among others, which a user's own stack does not offer.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from faults.capabilities import Capability


class StackControl(Protocol):
    """What every running stack offers fault injectors and the runner."""

    capabilities: ClassVar[frozenset[Capability]]
    """What fault kinds may ask of it (`harness.backend_offers`)."""
    gateway_url: str
    """Where the load goes."""


class StackBackend(StackControl, Protocol):
    """A backend's lifecycle on top of the controls; `stop` never raises (it runs on every exit path)."""

    name: ClassVar[str]

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def pids(self) -> dict[str, Any]:
        """What runs where (pids, container ids), for events.jsonl."""
        ...

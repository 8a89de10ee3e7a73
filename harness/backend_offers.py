"""What each stack backend offers fault kinds: its capabilities (`faults.capabilities`), declared as data.

Each backend class takes its `name` and `capabilities` from its entry here, and validation reads the same
entries, before anything is constructed and without importing a backend (the docker SDK, the backends'
own imports of the scenario schema). A refusal says what the backend offers and which one would do:
"latency needs the reference stack's internals for network links; the compose backend offers ...".
"""

from __future__ import annotations

from dataclasses import dataclass

from faults.capabilities import (
    Capability,
    ContainerControl,
    DeployControl,
    ModelServerFaults,
    NetworkIsolation,
    NetworkLinks,
    ProcessControl,
    StateProbe,
    in_words,
)


@dataclass(frozen=True)
class BackendOffer:
    name: str
    runs: str
    """Which stack it runs, in words: backends running the same one are chosen with `stack.backend`."""
    capabilities: frozenset[Capability]


_REFERENCE = frozenset(
    {ProcessControl, NetworkIsolation, NetworkLinks, ModelServerFaults, DeployControl, StateProbe}
)

LOCAL = BackendOffer("local", "the reference stack", _REFERENCE)
"""Local processes: no container runtime, so no graceful stop, cgroup limits or OOM kill."""
DOCKER = BackendOffer("docker", "the reference stack", _REFERENCE | {ContainerControl})
COMPOSE = BackendOffer(
    "compose", "your compose stack", frozenset({ProcessControl, NetworkIsolation, ContainerControl})
)
"""A user's own stack: its containers only; nothing is assumed of its inside."""
BACKENDS = (LOCAL, DOCKER, COMPOSE)


def backend_offer(backend: str, compose: bool) -> BackendOffer:
    """The backend a scenario's `stack.backend` names; a compose file (`stack.compose`) means the user's
    own stack, run by the compose backend."""
    if compose:
        return COMPOSE
    return DOCKER if backend == DOCKER.name else LOCAL


def refusal(kind: str, needs: frozenset[Capability], offer: BackendOffer) -> str | None:
    """Why `offer`'s backend cannot do a fault of `kind`, naming a backend (or stack) that would and what
    this one offers; None if it can."""
    missing = needs - offer.capabilities
    if not missing:
        return None
    offering = [b for b in BACKENDS if needs <= b.capabilities]
    same_stack = [b.name for b in offering if b.runs == offer.runs]
    if same_stack:
        who = f"the {' or '.join(same_stack)} backend (stack.backend)"
    elif offering:
        who = f"{offering[0].runs}'s internals"
    else:
        who = "what no backend offers"
    offered = in_words(offer.capabilities)
    return f"{kind} needs {who} for {in_words(missing)}; the {offer.name} backend offers {offered}"

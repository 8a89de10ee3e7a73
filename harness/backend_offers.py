"""What each stack backend offers fault kinds: its capabilities (`faults.capabilities`), declared as data.

Each backend class takes its `name` and `capabilities` from its entry here, and validation reads the same
entries, before anything is constructed and without importing a backend (the docker SDK, the backends'
own imports of the scenario schema). A refusal says what the backend offers and which one would do:
"latency needs the reference stack's internals for network links; the compose backend offers ...".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from harness.scenario.model import StackSpec


@dataclass(frozen=True)
class BackendOffer:
    name: str
    runs: str
    """Which stack it runs, in words: backends running the same one are chosen with `stack.backend`."""
    capabilities: frozenset[Capability]
    linked: frozenset[Capability] = frozenset()
    """Those of `capabilities` a node has only behind a link the scenario declared (`links`)."""
    links: frozenset[str] = frozenset()
    link_field: str = ""
    """Where the scenario declares a link, for messages."""


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
PROCESSES = BackendOffer("processes", "your processes", frozenset({ProcessControl}))
"""The user's own commands as local processes: signals, and links where declared."""
EXTERNAL = BackendOffer("external", "your running stack", frozenset())
"""A stack the harness does not run: only links where declared (and actions, which need nothing)."""
BACKENDS = (LOCAL, DOCKER, COMPOSE, PROCESSES, EXTERNAL)

_LINKS = frozenset({NetworkLinks, NetworkIsolation})
"""A link is a proxy the node's traffic goes through: toxics, and taking it down, cut the node off."""


def backend_offer(stack: StackSpec) -> BackendOffer:
    """What the scenario's stack offers: the reference stack on `stack.backend`, or the user's own stack,
    which offers network faults on the nodes it declares links for."""
    if stack.compose is not None:
        links, field = frozenset(stack.compose.links), "stack.compose.links"
        offer, linked = COMPOSE, frozenset({NetworkLinks})  # partitions: the engine disconnects any node
    elif stack.processes is not None:
        links = frozenset(n.name for n in stack.processes.nodes if n.link)
        offer, linked, field = PROCESSES, _LINKS, "stack.processes.nodes[].link"
    elif stack.external is not None:
        links = frozenset(n.name for n in stack.external.nodes if n.link is not None)
        offer, linked, field = EXTERNAL, _LINKS, "stack.external.nodes[].link"
    else:
        return DOCKER if stack.backend == DOCKER.name else LOCAL
    if not links:
        return replace(offer, link_field=field)  # a refusal then says where a link would be declared
    capabilities = offer.capabilities | linked
    return replace(offer, capabilities=capabilities, linked=linked, links=links, link_field=field)


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
    elif offering and all(b.runs == LOCAL.runs for b in offering):
        who = f"{LOCAL.runs}'s internals"
    elif offering:
        stacks = dict.fromkeys(b.runs for b in offering)  # in order, once each
        who = f"a stack the harness runs ({', '.join(stacks)})"
    else:
        who = "what no backend offers"
    offered = in_words(offer.capabilities)
    if missing <= _LINKS and offer.link_field and not offer.links:
        return f"{kind} needs a link to its target: declare one in {offer.link_field}"
    refused = f"{kind} needs {who} for {in_words(missing)}; the {offer.name} backend offers {offered}"
    if offer.name == EXTERNAL.name:
        return f"{refused} (an `action` fault runs your own command instead)"
    return refused


def unlinked_refusal(kind: str, needs: frozenset[Capability], offer: BackendOffer, node: str) -> str | None:
    """Why `node` cannot take a fault of `kind` although the stack offers what it needs: the capability
    comes with a link and the node has none; None if it can."""
    if needs & offer.linked and node not in offer.links:
        return f"{kind} needs a link to {node}: declare one in {offer.link_field}"
    return None

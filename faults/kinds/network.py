"""Network faults on a gateway→node link: one Toxiproxy toxic per kind, plus the link taken down.

Each toxic kind is one row of `TOXICS`: its parameters (in scenario units: durations in seconds) and how
they become the toxic's attributes (Toxiproxy's units: ms, KB/s, µs, bytes). A toxic's kind name is its
Toxiproxy type. Toxics layer on one node (each has its own name), so they overlap with anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, PositiveInt

from faults.capabilities import NetworkLinks
from faults.injector import Injector
from faults.kind import FaultKind, FaultOrder, FaultParams, NoParams, Overlap
from faults.network import LinkDown, ToxicFault
from harness.durations import Duration


class ToxicParams(FaultParams):
    stream: Literal["downstream", "upstream"] = "downstream"
    toxicity: float = Field(1.0, ge=0, le=1)


class LatencyParams(ToxicParams):
    latency: Duration
    jitter: Duration = 0.0


class BandwidthParams(ToxicParams):
    rate_kbps: PositiveInt


class SlowCloseParams(ToxicParams):
    delay: Duration


class TimeoutParams(ToxicParams):
    timeout: Duration = 0.0
    """0 keeps the connection open but silent, as in Toxiproxy."""


class ResetPeerParams(ToxicParams):
    timeout: Duration = 0.0


class SlicerParams(ToxicParams):
    average_size: PositiveInt
    size_variation: int = Field(0, ge=0)
    delay: Duration = 0.0


class LimitDataParams(ToxicParams):
    bytes: PositiveInt


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


@dataclass(frozen=True, kw_only=True)
class Toxic(FaultKind[Any]):
    category: Literal["network"] = "network"
    needs: frozenset[Any] = frozenset({NetworkLinks})
    attributes: Callable[[Any], dict[str, Any]]
    """Scenario parameters → the toxic's attributes."""

    def injectors(self, order: FaultOrder[Any], stack: NetworkLinks) -> list[Injector]:
        params, attributes = order.params, self.attributes(order.params)
        return [
            ToxicFault(
                stack.link_proxy(node),
                self.name,
                attributes,
                name=f"chaosdrill-{order.name}",
                stream=params.stream,
                toxicity=params.toxicity,
            )
            for node in order.targets
        ]


TOXICS = (
    Toxic(name="latency", params=LatencyParams,
          attributes=lambda p: {"latency": _ms(p.latency), "jitter": _ms(p.jitter)}),
    Toxic(name="bandwidth", params=BandwidthParams, attributes=lambda p: {"rate": p.rate_kbps}),
    Toxic(name="slow_close", params=SlowCloseParams, attributes=lambda p: {"delay": _ms(p.delay)}),
    Toxic(name="timeout", params=TimeoutParams, attributes=lambda p: {"timeout": _ms(p.timeout)}),
    Toxic(name="reset_peer", params=ResetPeerParams, attributes=lambda p: {"timeout": _ms(p.timeout)}),
    Toxic(name="slicer", params=SlicerParams, attributes=lambda p: {
        "average_size": p.average_size, "size_variation": p.size_variation, "delay": round(p.delay * 1e6)}),
    Toxic(name="limit_data", params=LimitDataParams, attributes=lambda p: {"bytes": p.bytes}),
)  # fmt: skip


_LINK_STATE = Overlap(sets="link's up/down state")


@dataclass(frozen=True, kw_only=True)
class Down(FaultKind[NoParams]):
    """The link disabled: a full outage of the node as the gateway sees it."""

    name: str = "down"
    params: type[NoParams] = NoParams
    category: Literal["network"] = "network"
    needs: frozenset[Any] = frozenset({NetworkLinks})
    overlap: Overlap = _LINK_STATE

    def injectors(self, order: FaultOrder[NoParams], stack: NetworkLinks) -> list[Injector]:
        return [LinkDown(stack.link_proxy(node)) for node in order.targets]


KINDS = (*TOXICS, Down())

"""The fault kinds a scenario may put on its timeline, with their parameters.

Each kind has its own strict parameter model so that `params: {latnecy: 200ms}` is a validation error naming
the field, not a silently ignored key. Network kinds map one-to-one onto Toxiproxy toxics.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from harness.durations import Duration


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ToxicParams(_Params):
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


class NoParams(_Params):
    pass


class ErrorBurstParams(_Params):
    rate: float = Field(1.0, gt=0, le=1)
    status: int = Field(503, ge=500, le=599)
    message: str = "CUDA error: an illegal memory access was encountered (Xid 79)"


class SlowdownParams(_Params):
    factor: float = Field(gt=1)


class OomParams(_Params):
    batch_size: PositiveInt
    """Batches with more rows than this fail like a CUDA out-of-memory error."""


NETWORK_KINDS: dict[str, type[_Params]] = {
    "latency": LatencyParams,
    "bandwidth": BandwidthParams,
    "slow_close": SlowCloseParams,
    "timeout": TimeoutParams,
    "reset_peer": ResetPeerParams,
    "slicer": SlicerParams,
    "limit_data": LimitDataParams,
    "down": NoParams,
}
"""Faults on the link between the gateway and a replica, applied through the Toxiproxy API."""

NODE_KINDS: dict[str, type[_Params]] = {
    "node-kill": NoParams,
    "node-hang": NoParams,
    "error-burst": ErrorBurstParams,
    "slowdown": SlowdownParams,
    "gpu-oom": OomParams,
}
"""Faults on a replica process itself: killed by the backend, or produced by its admin fault hook."""

FAULT_KINDS: dict[str, type[_Params]] = {**NETWORK_KINDS, **NODE_KINDS}

OPEN_ENDED_KINDS = frozenset({"node-kill"})
"""Kinds that may omit `duration`: a node killed for good is a valid drill (no restart)."""

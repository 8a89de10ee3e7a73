"""The fault kinds a scenario may put on its timeline, with their parameters and what they target.

Each kind has its own strict parameter model so that `params: {latnecy: 200ms}` is a validation error naming
the field, not a silently ignored key. Network kinds map one-to-one onto Toxiproxy toxics; node kinds act on
replicas; deploy kinds act on the gateway's canary; `data-drift` acts on the requests the load sends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PositiveInt, model_validator

from harness.durations import Duration
from harness.load.drift import DriftTransform


class FaultParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class NoParams(FaultParams):
    pass


class ErrorBurstParams(FaultParams):
    rate: float = Field(1.0, gt=0, le=1)
    status: int = Field(500, ge=500, le=599)
    message: str = "CUDA error: an illegal memory access was encountered (Xid 79)"


class SlowdownParams(FaultParams):
    factor: float = Field(gt=1)


class OomParams(FaultParams):
    batch_size: PositiveInt
    """Batches with more rows than this fail like a CUDA out-of-memory error."""


class CpuSqueezeParams(FaultParams):
    cpus: float = Field(gt=0)
    """CPU quota in cores, e.g. 0.2."""


_SIZE = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _parse_size(value: object) -> int:
    """`256m`-style sizes, as docker writes them, or plain bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*([kmg]?)b?\s*", str(value).lower())
    if not match:
        raise ValueError(f"invalid size {value!r}: use bytes or e.g. '256m', '1g'")
    return int(match.group(1)) * _SIZE[match.group(2)]


class MemorySqueezeParams(FaultParams):
    memory: Annotated[int, BeforeValidator(_parse_size), Field(ge=6 << 20)]
    """Memory limit; docker refuses less than 6 MiB."""


class CanaryDeployParams(FaultParams):
    version: Literal["v1", "v2", "v2-bad"] = "v2"
    weight: float = Field(0.2, gt=0, le=1)


class BadDeployParams(FaultParams):
    weight: float = Field(0.2, gt=0, le=1)


class DataDriftParams(FaultParams):
    """How the requests the load sends drift from the baseline during the fault window."""

    transform: DriftTransform
    features: list[str] = Field(min_length=1)
    sigma: float = 2.0
    """mean-shift: shift in baseline standard deviations."""
    factor: float = Field(3.0, gt=0)
    """scale: multiply the spread around the mean."""
    rate: float = Field(0.2, gt=0, le=1)
    """missing / out-of-range: fraction of rows affected."""
    ramp: Duration = 0.0
    """Time to reach full strength; 0 is a sudden change."""

    @model_validator(mode="after")
    def _unique_features(self) -> DataDriftParams:
        if len(set(self.features)) != len(self.features):
            raise ValueError("features: each feature once")
        return self


Category = Literal["network", "node", "deploy", "data"]

UNTARGETED_SUBJECT = {"deploy": "the gateway's canary", "data": "the requests sent"}
"""What the untargeted categories act on, in words for plans and errors."""


@dataclass(frozen=True)
class KindSpec:
    params: type[FaultParams]
    category: Category
    open_ended: bool = False
    """May omit `duration` (a node killed for good, a deploy or drift that stays)."""
    gpu_only: bool = False
    """Targets must be GPU nodes; default target: one of them."""
    action: str = ""
    """For node kinds: what is done to the replica (see `harness.injection`)."""
    backends: frozenset[str] = frozenset({"local", "docker"})
    """Backends that can produce it: cgroup squeezes and OOM kills need containers."""

    @property
    def targeted(self) -> bool:
        return self.category in ("network", "node")


_DOCKER = frozenset({"docker"})
_NETWORK = {
    "latency": LatencyParams, "bandwidth": BandwidthParams, "slow_close": SlowCloseParams,
    "timeout": TimeoutParams, "reset_peer": ResetPeerParams, "slicer": SlicerParams,
    "limit_data": LimitDataParams, "down": NoParams,
}  # fmt: skip

FAULT_KINDS: dict[str, KindSpec] = {
    **{kind: KindSpec(params, "network") for kind, params in _NETWORK.items()},
    "node-kill": KindSpec(NoParams, "node", open_ended=True, action="kill"),
    "node-hang": KindSpec(NoParams, "node", action="hang"),
    "error-burst": KindSpec(ErrorBurstParams, "node", action="errors"),
    "slowdown": KindSpec(SlowdownParams, "node", action="slowdown"),
    "node-pause": KindSpec(NoParams, "node", action="pause"),
    "node-restart": KindSpec(NoParams, "node", open_ended=True, action="restart"),
    "node-stop": KindSpec(NoParams, "node", action="stop", backends=_DOCKER),
    "partition": KindSpec(NoParams, "node", action="partition"),
    "cpu-squeeze": KindSpec(CpuSqueezeParams, "node", action="squeeze", backends=_DOCKER),
    "memory-squeeze": KindSpec(MemorySqueezeParams, "node", action="squeeze", backends=_DOCKER),
    "oom-kill": KindSpec(NoParams, "node", open_ended=True, action="oom", backends=_DOCKER),
    "gpu-node-kill": KindSpec(NoParams, "node", open_ended=True, gpu_only=True, action="kill"),
    "gpu-hang": KindSpec(NoParams, "node", gpu_only=True, action="hang"),
    "gpu-xid": KindSpec(ErrorBurstParams, "node", gpu_only=True, action="errors"),
    "gpu-throttle": KindSpec(SlowdownParams, "node", gpu_only=True, action="slowdown"),
    "gpu-oom": KindSpec(OomParams, "node", gpu_only=True, action="oom"),
    "canary-deploy": KindSpec(CanaryDeployParams, "deploy", open_ended=True),
    "bad-deploy": KindSpec(BadDeployParams, "deploy", open_ended=True),
    "data-drift": KindSpec(DataDriftParams, "data", open_ended=True),
}

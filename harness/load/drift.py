"""When and how the load's input data drifts: one `DriftWindow` per injected `data-drift` fault.

Windows are in epoch seconds, like `LoadConfig.start_at`, so the runner can place them on the same clock
as the fault timeline; a row drifts according to its request's intended send time (open model: the slot
time; closed model: the send time), never according to when its body happened to be generated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

DriftTransform = Literal[
    "mean-shift", "scale", "category-swap", "missing", "out-of-range",
    "schema-rename", "schema-missing", "schema-extra",
]  # fmt: skip
"""What the load can do to its rows; the scenario's `data-drift` params take their choices from here.

Defined in the load package (which the worker imports) rather than in `harness.scenario`, whose import
pulls in the scenario loader and trains the reference model: start-up time the worker should not pay.
"""

NUMERIC_TRANSFORMS = frozenset({"mean-shift", "scale", "out-of-range"})
CATEGORICAL_TRANSFORMS = frozenset({"category-swap"})


class DriftWindow(BaseModel):
    """One drift: `transform` applied to `features` during [start_at, end_at), ramping up over `ramp_s`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    start_at: float
    end_at: float | None = None
    """None: the drift stays until the load ends."""
    transform: DriftTransform
    features: list[str] = Field(min_length=1)
    sigma: float = 2.0
    """mean-shift: shift in baseline standard deviations."""
    factor: float = Field(3.0, gt=0)
    """scale: multiplier of the spread around the baseline mean."""
    rate: float = Field(0.2, gt=0, le=1)
    """missing / out-of-range: fraction of rows affected at full strength."""
    ramp_s: float = Field(0.0, ge=0)
    """Seconds from zero to full strength; 0 is a sudden change."""

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.end_at is not None and self.end_at <= self.start_at:
            raise ValueError(f"drift {self.name!r}: end_at must be after start_at")
        return self

    def check_features(self, features: Sequence[Mapping[str, Any]]) -> None:
        try:
            check_drift_features(self.transform, self.features, features)
        except ValueError as exc:
            raise ValueError(f"drift {self.name!r}: {exc}") from None

    def strength(self, t: float) -> float:
        """0 outside the window; inside it rises linearly from 0 at `start_at` to 1 after `ramp_s`."""
        if t < self.start_at or (self.end_at is not None and t >= self.end_at):
            return 0.0
        if self.ramp_s == 0:
            return 1.0
        return min(1.0, (t - self.start_at) / self.ramp_s)


def check_drift_features(
    transform: DriftTransform, names: Sequence[str], features: Sequence[Mapping[str, Any]]
) -> None:
    """Drifted features must be schema features of a type the transform can change (ValueError otherwise).

    Shared by the scenario checks (validate, plan, run) and the load worker's config: one rule, one place."""
    types = {feature.get("name"): feature.get("type") for feature in features}
    for name in names:
        if name not in types:
            known = ", ".join(str(n) for n in types)
            raise ValueError(f"feature {name!r} is not in the feature schema (features: {known})")
        if transform in NUMERIC_TRANSFORMS and types[name] != "numeric":
            raise ValueError(f"{transform} needs a numeric feature, not {name!r}")
        if transform in CATEGORICAL_TRANSFORMS and types[name] != "categorical":
            raise ValueError(f"{transform} needs a categorical feature, not {name!r}")

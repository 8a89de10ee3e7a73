"""Data drift: the requests the load sends drift from the training baseline during the fault window.

The drift itself is done by the load worker to the rows it sends (`harness/load/drift.py`), because only the
client knows each request's intended send time; the injector gives the timeline its record of when the drift
started and ended, like every other fault. It needs nothing of the stack, so it works on any backend, and
it layers with every other fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, model_validator

from faults.data import RequestDrift
from faults.injector import Injector
from faults.kind import CheckContext, FaultKind, FaultOrder, FaultParams
from harness.durations import Duration
from harness.load.drift import DriftTransform, DriftWindow, check_drift_features

_WINDOW = DriftWindow.model_fields


class DataDriftParams(FaultParams):
    """How the requests the load sends drift from the baseline during the fault window.

    The strengths' defaults and bounds are the load worker's (`DriftWindow`), so the two cannot drift apart;
    `ramp` is written as a duration here and is `ramp_s` there."""

    transform: DriftTransform
    features: list[str] = Field(min_length=1)
    sigma: float = Field(_WINDOW["sigma"].default)
    """mean-shift: shift in baseline standard deviations."""
    factor: float = Field(_WINDOW["factor"].default, gt=0)
    """scale: multiply the spread around the mean."""
    rate: float = Field(_WINDOW["rate"].default, gt=0, le=1)
    """missing / out-of-range: fraction of rows affected."""
    ramp: Duration = _WINDOW["ramp_s"].default
    """Time to reach full strength; 0 is a sudden change."""

    @model_validator(mode="after")
    def _unique_features(self) -> DataDriftParams:
        if len(set(self.features)) != len(self.features):
            raise ValueError("features: each feature once")
        return self


@dataclass(frozen=True, kw_only=True)
class DataDrift(FaultKind[DataDriftParams]):
    name: str = "data-drift"
    params: type[DataDriftParams] = DataDriftParams
    category: Literal["data"] = "data"
    needs: frozenset[Any] = frozenset()
    subject: str = "the requests sent"
    open_ended: bool = True

    def injectors(self, order: FaultOrder[DataDriftParams], stack: Any) -> list[Injector]:
        return [RequestDrift(order.name, order.params.model_dump(mode="json"))]

    def check(self, params: DataDriftParams, context: CheckContext) -> tuple[str, str] | None:
        try:
            check_drift_features(params.transform, params.features, context.request_features)
        except ValueError as exc:
            return "params.features", str(exc)
        return None

    def drift_window(self, order: FaultOrder[DataDriftParams], starts_at: float) -> DriftWindow:
        """What the load worker is told to do, on its clock: `starts_at` is the epoch the drift starts."""
        params = order.params
        return DriftWindow(
            name=order.name,
            start_at=starts_at,
            end_at=None if order.duration is None else starts_at + order.duration,
            transform=params.transform,
            features=params.features,
            sigma=params.sigma,
            factor=params.factor,
            rate=params.rate,
            ramp_s=params.ramp,
        )


KINDS = (DataDrift(),)

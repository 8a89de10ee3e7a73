"""Regression gates in a scenario: this run compared with the history of earlier runs of the same drill.

    expectations:
      regression:
        - {metric: recovery_time, fault: kill-gpu, runs: 5, max_increase: 20%, max_delta: 1s}
        - {metric: error_rate, runs: 1, max_delta: 2%}     # at most 2 points above the last run's

The baseline is the median of the figure over the last `runs` earlier runs of the scenario that held (ran
as planned and met every expectation but their gates); the gate is met when this run's figure is at most
`baseline × (1 + max_increase) + max_delta`. Evaluated by `harness.verify.regression`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from harness.durations import parse_duration

GateMetric = Literal["recovery_time", "error_rate", "latency_p99", "mean_attempts", "error_budget_burn"]
GATE_UNITS: dict[str, str] = {
    "recovery_time": "s",
    "error_rate": "%",
    "latency_p99": "ms",
    "mean_attempts": "",
    "error_budget_burn": "%",
}
"""The unit a gate's figures are reported in; `max_delta` is written in it (a duration for times)."""


def parse_share(value: object) -> float:
    """`20%` or 0.2; 0 allowed, and above 100% too (an increase may be a doubling)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a share such as '20%' or 0.2, got {value!r}")
    text = str(value).strip()
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ValueError(f"expected a share such as '20%' or 0.2, got {value!r}") from None
    if not share >= 0 or share == float("inf"):
        raise ValueError(f"must be zero or more, got {value!r}")
    return share


def _field_error(field: str, reason: str) -> PydanticCustomError:
    """An error the scenario loader reports at `field` (`expectations.regression[0].fault: ...`)."""
    return PydanticCustomError("regression_gate", "{reason}", {"reason": reason, "inner_loc": (field,)})


class RegressionExpectation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    metric: GateMetric
    fault: str | None = None
    """Required for (and only for) recovery_time."""
    runs: PositiveInt = Field(5, le=1000)
    """Baseline: the median of this many earlier runs that held. Fewer in history: not measured."""
    max_increase: float = 0.0
    """Relative to the baseline: `20%`."""
    max_delta: float = 0.0
    """Absolute, in the metric's unit: `1s` (recovery_time), `50ms` (latency_p99), `2%` (points of error
    rate or burn), `0.2` (mean_attempts). Stored in seconds, ms, a 0..1 fraction or a number."""

    @field_validator("max_increase", mode="before")
    @classmethod
    def _share(cls, value: object) -> float:
        return parse_share(value)

    @model_validator(mode="before")
    @classmethod
    def _delta_in_unit(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "max_delta" not in data:
            return data
        metric, delta = data.get("metric"), data["max_delta"]
        if metric not in GATE_UNITS:
            return data  # the metric's own error says more
        try:
            if metric in ("recovery_time", "latency_p99"):
                value = parse_duration(delta) * (1000 if metric == "latency_p99" else 1)
            elif metric == "mean_attempts" and isinstance(delta, str) and delta.strip().endswith("%"):
                raise ValueError(f"mean_attempts takes a number of attempts, not a percentage: {delta!r}")
            else:
                value = parse_share(delta)
        except ValueError as exc:
            raise _field_error("max_delta", str(exc)) from None
        return {**data, "max_delta": value}

    @model_validator(mode="after")
    def _fault_for_recovery(self) -> RegressionExpectation:
        if self.metric == "recovery_time" and self.fault is None:
            raise _field_error(
                "fault", "required for metric recovery_time (which fault's recovery to compare)"
            )
        if self.metric != "recovery_time" and self.fault is not None:
            raise _field_error("fault", f"only recovery_time is per fault; {self.metric} is run-wide")
        return self


def check_gate_faults(gates: list[RegressionExpectation], fault_names: list[str]) -> None:
    """A gate on a fault the scenario does not have could never be measured: refuse it up front."""
    for index, gate in enumerate(gates):
        if gate.fault is not None and gate.fault not in fault_names:
            known = ", ".join(sorted(fault_names)) or "none"
            raise ValueError(
                f"expectations.regression[{index}].fault: no fault named {gate.fault!r} (faults: {known})"
            )

"""Load shapes: the load's level over time as a list of stages — steps, ramps, spikes — for either model.

A stage holds a level (`users` for the closed model, `rate` for the open one) for its duration, or, with
`ramp`, moves linearly to it from the previous stage's level (from zero for the first stage). A constant
load is one stage.

Open model: the intended send time of the k-th request is where the cumulative arrivals reach k, the
integral of the rate, so arrivals follow the schedule however the stack answers — a stalled stack shows up
as latency and lateness, never as fewer requests (coordinated omission). With one constant stage that is
t0 + k/rate, as before stages existed. Closed model: the number of users at each second (Locust's
LoadTestShape ticks once a second, harness/load/users.py).

Pure arithmetic, no Locust: the harness validates and describes shapes without importing the load engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator


class StageConfig(BaseModel):
    """One stage as the worker runs it: `users` or `rate` (never both), held or ramped to."""

    model_config = ConfigDict(extra="forbid")

    duration_s: float = Field(gt=0)
    users: int | None = Field(default=None, ge=0)
    rate: float | None = Field(default=None, ge=0)
    ramp: bool = False

    @model_validator(mode="after")
    def _one_level(self) -> StageConfig:
        if (self.users is None) == (self.rate is None):
            raise ValueError("a stage sets exactly one of 'users' or 'rate'")
        return self

    @property
    def level(self) -> float:
        return float(self.rate if self.rate is not None else self.users or 0)


@dataclass(frozen=True)
class _Segment:
    start: float
    end: float
    begin_level: float
    end_level: float
    arrivals_before: float

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def slope(self) -> float:
        return (self.end_level - self.begin_level) / self.duration

    def level_at(self, t: float) -> float:
        return self.begin_level + self.slope * (t - self.start)

    def arrivals(self, t: float) -> float:
        """Arrivals in this segment from its start until `t` (within it): the integral of the rate."""
        dt = min(max(t - self.start, 0.0), self.duration)
        return self.begin_level * dt + self.slope * dt * dt / 2

    def time_of(self, arrivals: float) -> float:
        """When `arrivals` (no more than the segment holds) have arrived since its start. The root of
        slope/2·dt² + begin·dt = n written as 2n / (begin + √(begin² + 2·slope·n)): stable for ramps up,
        down and flat alike."""
        root = math.sqrt(max(self.begin_level**2 + 2 * self.slope * arrivals, 0.0))
        denominator = self.begin_level + root
        return self.start + (2 * arrivals / denominator if denominator > 0 else 0.0)


def _segments(t0: float, stages: Sequence[StageConfig]) -> list[_Segment]:
    segments: list[_Segment] = []
    start, previous, arrivals = t0, 0.0, 0.0
    for stage in stages:
        level = stage.level
        begin = previous if stage.ramp else level
        segment = _Segment(start, start + stage.duration_s, begin, level, arrivals)
        segments.append(segment)
        arrivals += segment.arrivals(segment.end)
        start, previous = segment.end, level
    return segments


class RateSchedule:
    """Intended arrival times of an open-model load whose rate follows `stages` from `t0`."""

    def __init__(self, t0: float, stages: Sequence[StageConfig]) -> None:
        self.t0 = t0
        self._segments = _segments(t0, stages)
        self.t_end = self._segments[-1].end

    def arrivals_by(self, t: float) -> float:
        """Expected arrivals from t0 until `t` (0 before t0, all of them after the end)."""
        return sum(segment.arrivals(t) for segment in self._segments if segment.start < t)

    def time_of(self, k: int) -> float | None:
        """Intended send time of the k-th request (from 0), or None if it falls at or after the end."""
        for segment in self._segments:
            held = segment.arrivals(segment.end)
            if k < segment.arrivals_before + held:
                t = segment.time_of(k - segment.arrivals_before)
                return t if t < self.t_end else None
        return None

    def rate_at(self, t: float) -> float:
        segment = next((s for s in self._segments if s.start <= t < s.end), self._segments[-1])
        return segment.level_at(min(max(t, segment.start), segment.end))


def users_at(stages: Sequence[StageConfig], elapsed_s: float) -> int:
    """The closed model's user count `elapsed_s` into the load (the last stage's after the end)."""
    segments = _segments(0.0, stages)
    segment = next((s for s in segments if s.start <= elapsed_s < s.end), segments[-1])
    return round(segment.level_at(min(max(elapsed_s, segment.start), segment.end)))


def describe_stages(stages: Sequence[dict[str, object]]) -> str:
    """`20/s for 5s, ramp to 100/s over 10s, 8 users for 5s`, from stages as summary.json holds them."""
    parts = []
    for stage in stages:
        rate, users = stage.get("rate"), stage.get("users")
        level = f"{rate:g}/s" if isinstance(rate, int | float) else f"{users} users"
        duration = stage.get("duration_s")
        span = f"{duration:g}s" if isinstance(duration, int | float) else "?"
        parts.append(f"ramp to {level} over {span}" if stage.get("ramp") else f"{level} for {span}")
    return ", ".join(parts)

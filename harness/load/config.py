"""What the load worker is asked to do, passed from the harness to the worker process as a JSON file."""

from __future__ import annotations

import math
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from harness.load.drift import DriftWindow
from harness.load.observation import Observation
from harness.load.request_spec import RequestSpec
from harness.load.shapes import StageConfig


class FeedbackConfig(BaseModel):
    """Where and when the labels go: `path` on the load target, `delay_s` after each answer."""

    model_config = ConfigDict(extra="forbid")

    path: str
    delay_s: float = Field(ge=0)
    id_header: str


class LoadConfig(BaseModel):
    """One load run: a closed model (N looping users) or an open model (a target arrival rate).

    Times are epoch seconds so that the runner can line faults up with `start_at` across processes. Nothing
    the scenario sets has a default here: the worker runs what the scenario resolved (harness/runner.py
    load_config), so the scenario's defaults and the worker's can never drift apart.
    """

    model_config = ConfigDict(extra="forbid")

    target_url: str
    path: str
    request: RequestSpec
    """The protocol the bodies are encoded in, with its method and extra headers."""
    observe: Observation
    """Where each answer's replica, version, attempts, degraded flag and prediction are read."""
    mode: Literal["closed", "open"]
    users: int | None = Field(default=None, gt=0)
    spawn_rate: float = Field(gt=0)
    rate: float | None = Field(default=None, gt=0)
    max_users: int = Field(gt=0)
    duration_s: float = Field(gt=0)
    start_at: float
    rows_per_request: int = Field(gt=0)
    features: list[dict[str, Any]]
    seed: int
    request_timeout_s: float = Field(gt=0)
    late_tolerance_s: float = Field(ge=0)
    think_time_s: float = Field(ge=0)
    stages: list[StageConfig] = Field(default_factory=list)
    """The load's shape (harness/load/shapes.py), their durations adding up to `duration_s`; none: a
    constant `users` or `rate` throughout."""
    drifts: list[DriftWindow] = Field(default_factory=list)
    """Injected data drift, applied to rows by their request's intended send time."""
    log_features: bool = False
    """Write features.csv (every row sent): the ground truth of data-drift drills, and the inputs of the
    quality drills' truth. Off otherwise, since formatting every row costs the worker noticeable CPU per
    request."""
    truth: bool = False
    """Record each request's ground truth (samples.csv `truth`, harness/load/truth.py): for drills that
    ask about the quality of the answers; off otherwise, since it costs the worker CPU per request."""
    replay: str | None = None
    """CSV or Parquet file whose rows are replayed round-robin instead of drawing from `features`;
    `features` still names the columns sent and is the baseline drift is measured against."""
    replay_label: str | None = None
    """The replay file's column holding each row's ground truth: with `truth`, recorded instead of the
    reference data's true function."""
    feedback: FeedbackConfig | None = None
    """Post each answered request's ground truth back to the stack, late (needs `truth`)."""
    locustfile: str | None = None
    """The scenario's own Locust user classes, sending instead of chaosdrill's users (closed model)."""

    @model_validator(mode="after")
    def _mode_has_its_parameter(self) -> Self:
        """A closed run without a user count or an open run without a rate has no defined load."""
        if self.stages:
            level = "users" if self.mode == "closed" else "rate"
            if any(getattr(stage, level) is None for stage in self.stages):
                raise ValueError(f"every stage of the {self.mode}-model load sets '{level}'")
            if not math.isclose(sum(s.duration_s for s in self.stages), self.duration_s):
                raise ValueError("the stages' durations must add up to duration_s")
        elif self.mode == "closed" and self.users is None:
            raise ValueError("closed load model needs 'users'")
        elif self.mode == "open" and self.rate is None:
            raise ValueError("open load model needs 'rate' (requests per second)")
        return self

    def rate_stages(self) -> list[StageConfig]:
        """The open model's schedule: its stages, or its one rate throughout."""
        return self.stages or [StageConfig(duration_s=self.duration_s, rate=self.rate)]

    @model_validator(mode="after")
    def _drifts_fit_the_schema(self) -> Self:
        """A drift on a feature the schema lacks, or of the wrong type, would silently change nothing."""
        for drift in self.drifts:
            drift.check_features(self.features)
        return self

    @model_validator(mode="after")
    def _locustfile_sends_alone(self) -> Self:
        """A locustfile's users pace and build their own requests: no schedule or drift reaches them."""
        if self.locustfile is not None and (self.mode == "open" or self.drifts):
            raise ValueError("a locustfile's users run the closed model, without data drift")
        return self

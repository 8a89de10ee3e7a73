"""The scenario's say on what requests look like and what their answers are read for.

`load.request` (harness/load/request_spec.py: the protocol presets and the body template), `load.observe`
(harness/load/observation.py: where each answer's replica, version, attempts, degraded flag and prediction
are read) and `load.locustfile` (the user's own Locust user classes), mixed into `LoadSpec`, with the
checks that relate them to the rest of the load and of the scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from harness.load.observation import Observation, ObserveSpec, Preset
from harness.load.request_spec import ReferenceRequest, RequestSpec, TemplateRequest

_OWN_PRESET: dict[str, Preset] = {
    "reference": "reference",
    "open-inference-v2": "open-inference-v2",
    "kserve-v1": "kserve-v1",
    "mlflow": "mlflow",
    "template": "none",
}
"""`load.observe` reads by default what the request protocol's servers answer with."""
_NOT_WITH_LOCUSTFILE = {
    "request": "the locustfile's tasks build their own requests",
    "path": "the locustfile's tasks choose their own paths",
    "rate": "the locustfile's users pace themselves (closed model: set 'users')",
    "think_time": "the locustfile's users wait as their wait_time says",
}


def _field_error(field: str, reason: str) -> PydanticCustomError:
    """An error the scenario loader reports at `load.<field>`."""
    return PydanticCustomError("load_request", "{reason}", {"reason": reason, "inner_loc": (field,)})


class RequestFields(BaseModel):
    """The request side of `load`; LoadSpec inherits these fields."""

    path: str | None = Field(None, pattern=r"^/")
    """Where requests go; default: the protocol's own (`/predict`, `/v2/models/NAME/infer`, ...)."""
    request: RequestSpec = Field(default_factory=ReferenceRequest)
    observe: ObserveSpec = Field(default_factory=ObserveSpec)
    locustfile: Path | None = None
    """Relative to the scenario file: Locust user classes that send instead of chaosdrill's users."""

    @model_validator(mode="after")
    def _request_fits_the_load(self) -> Self:
        fields = self.model_fields_set
        if self.locustfile is not None:
            for field, why in _NOT_WITH_LOCUSTFILE.items():
                if field in fields and getattr(self, field) is not None:
                    raise _field_error(field, f"not with load.locustfile: {why}")
        request = self.request
        if isinstance(request, TemplateRequest) and request.uses_record() and getattr(self, "rows", 1) != 1:
            raise _field_error("request", "the template's {{record}} sends one row: set load.rows: 1")
        return self

    def target_path(self) -> str:
        return self.path or self.request.default_path()

    def observation(self, predictions: bool = False) -> Observation:
        """Where answers are read, the preset resolved (a locustfile's: the reference stack's headers);
        `predictions`: the drill judges their quality (Scenario.observation)."""
        default = "reference" if self.locustfile is not None else _OWN_PRESET[self.request.protocol]
        return self.observe.resolve(default, predictions)


def resolve_locustfile(load: RequestFields, base: Path) -> None:
    """A locustfile is relative to the scenario file, and must exist (checked before anything starts)."""
    if load.locustfile is not None:
        load.locustfile = base / load.locustfile
        if not load.locustfile.is_file():
            raise ValueError(f"load.locustfile: no such file {load.locustfile}")

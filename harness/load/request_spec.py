"""`load.request`: which wire protocol the drill's requests speak, as the scenario writes it.

Model servers agree on little: the reference stack takes `{"instances": [{feature: value}]}`, KServe and
TF Serving's V1 protocol `instances` as objects or lists, the Open Inference Protocol (KServe V2, MLServer,
Triton) named tensors, MLflow a pandas DataFrame in `dataframe_split` or `dataframe_records` form. Every
preset here encodes the same rows (drawn from the feature profile or replayed, drifted before encoding),
so data drift reaches any of them. `template` covers the rest: a JSON body with placeholders.

Defined in the load package, which the worker imports, like the drift windows: `harness.scenario` pulls
in the scenario loader and trains the reference model, start-up time the worker should not pay.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_SEGMENT = re.compile(r"^[A-Za-z0-9_.~-]+$")
"""A model name or version must stay one URL path segment."""

PLACEHOLDERS: dict[str, str] = {
    "records": "the rows as objects: [{feature: value}, ...]",
    "record": "the request's only row as an object (needs load.rows: 1)",
    "rows": "the rows as lists in column order: [[value, ...], ...]",
    "columns": "the column names: [feature, ...]",
    "columnar": "one list of values per column: {feature: [value, ...]}",
    "count": "the number of rows",
}
"""What a template's `"{{name}}"` strings stand for: each replaces a whole JSON value."""

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
_DATA_PLACEHOLDERS = frozenset({"records", "record", "rows", "columnar"})
_PLACEHOLDER = re.compile(r"^\{\{\s*([A-Za-z_]+)\s*\}\}$")


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["POST"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra request headers (an ingress Host, a tenant id). Kept in the run directory with the scenario:
    no secrets here."""

    def default_path(self) -> str:
        raise NotImplementedError

    def send_headers(self) -> dict[str, str]:
        """JSON content headers, replaced (whatever their case) or added to by `headers`."""
        chosen = {name.lower() for name in self.headers}
        defaults = {k: v for k, v in _JSON_HEADERS.items() if k.lower() not in chosen}
        return {**defaults, **self.headers}


class ReferenceRequest(_Request):
    """The reference stack's body: `{"instances": [{feature: value}, ...]}` to `load.path`."""

    protocol: Literal["reference"] = "reference"

    def default_path(self) -> str:
        return "/predict"


class OpenInferenceRequest(_Request):
    """Open Inference Protocol (KServe V2): `POST /v2/models/NAME[/versions/V]/infer`, `inputs` tensors.

    `tensors: per-feature` sends one tensor per column (shape [rows], named after the feature; numeric
    features as `datatype`, text categories as BYTES); `matrix` one tensor of shape [rows, columns]
    named `input_name` (every feature numeric), what a scikit-learn model behind MLServer expects."""

    protocol: Literal["open-inference-v2"]
    model: str
    version: str | None = None
    tensors: Literal["per-feature", "matrix"] = "per-feature"
    datatype: Literal["FP64", "FP32"] = "FP64"
    """Of numeric tensors; tensor data is sent flattened in row-major order, as the protocol allows."""
    input_name: str = "input-0"
    """The tensor's name with `tensors: matrix`."""
    parameters: dict[str, str | int | float | bool] | None = None
    """Request parameters, e.g. `{content_type: pd}` for MLServer to decode per-feature tensors as a
    DataFrame."""

    @field_validator("model", "version")
    @classmethod
    def _one_segment(cls, value: str | None) -> str | None:
        return _path_segment(value)

    def default_path(self) -> str:
        version = f"/versions/{self.version}" if self.version else ""
        return f"/v2/models/{self.model}{version}/infer"


class KServeV1Request(_Request):
    """KServe / TF Serving V1: `POST /v1/models/NAME:predict` with `instances` as objects or lists."""

    protocol: Literal["kserve-v1"]
    model: str
    instances: Literal["objects", "lists"] = "objects"

    @field_validator("model")
    @classmethod
    def _one_segment(cls, value: str) -> str | None:
        return _path_segment(value)

    def default_path(self) -> str:
        return f"/v1/models/{self.model}:predict"


class MlflowRequest(_Request):
    """MLflow's scoring server: `POST /invocations` with a `dataframe_split` or `dataframe_records`."""

    protocol: Literal["mlflow"]
    format: Literal["dataframe_split", "dataframe_records"] = "dataframe_split"

    def default_path(self) -> str:
        return "/invocations"


class TemplateRequest(_Request):
    """Any other JSON API: `body` is sent with each `"{{placeholder}}"` string replaced (see PLACEHOLDERS)."""

    protocol: Literal["template"]
    method: Literal["POST", "PUT"] = "POST"  # type: ignore[assignment]
    body: Any

    @field_validator("body")
    @classmethod
    def _placeholders(cls, body: Any) -> Any:
        used = set(template_placeholders(body))
        unknown = sorted(used - PLACEHOLDERS.keys())
        if unknown:
            raise ValueError(f"unknown placeholder {{{{{unknown[0]}}}}} (known: {', '.join(PLACEHOLDERS)})")
        if not used & _DATA_PLACEHOLDERS:
            raise ValueError(
                "the body sends no rows: use {{records}}, {{record}}, {{rows}} or {{columnar}} as a value"
            )
        return body

    def default_path(self) -> str:
        return "/predict"

    def uses_record(self) -> bool:
        return "record" in set(template_placeholders(self.body))


RequestSpec = Annotated[
    ReferenceRequest | OpenInferenceRequest | KServeV1Request | MlflowRequest | TemplateRequest,
    Field(discriminator="protocol"),
]
PROTOCOLS = ("reference", "open-inference-v2", "kserve-v1", "mlflow", "template")


def _path_segment(value: str | None) -> str | None:
    if value is not None and not _SEGMENT.fullmatch(value):
        raise ValueError(f"{value!r} must be one URL path segment (letters, digits, '_', '.', '~', '-')")
    return value


def template_placeholders(body: Any) -> Iterator[str]:
    """Every placeholder name in a template body; raises ValueError for one that is not a whole value."""
    if isinstance(body, dict):
        for key, value in body.items():
            if "{{" in str(key):
                raise ValueError(f"placeholder in the key {key!r}: placeholders stand for values only")
            yield from template_placeholders(value)
    elif isinstance(body, list):
        for value in body:
            yield from template_placeholders(value)
    elif isinstance(body, str) and "{{" in body:
        match = _PLACEHOLDER.match(body)
        if match is None:
            raise ValueError(f"{body!r}: a placeholder must be the whole string (it stands for a JSON value)")
        yield match.group(1)


def split_template(body: Any) -> tuple[list[str], list[str]]:
    """The body's JSON text cut around its placeholders: `parts[0] + value(names[0]) + parts[1] + ...`.

    Serialising the fixed parts once leaves one `json.dumps` per placeholder and request."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    pieces = re.split(r'"\{\{\s*([A-Za-z_]+)\s*\}\}"', text)
    return pieces[0::2], pieces[1::2]

"""Request bodies in each protocol, encoded from the same rows (after drift) the features log records.

A row is a dict {feature: value}; drift may have renamed, dropped or added keys, or set a value to None.
Object layouts (reference, V1 objects, MLflow records, `{{records}}`) send the rows as they are. Column
layouts (V1 lists, V2 tensors, MLflow split, `{{rows}}`, `{{columnar}}`) send the schema's features in
schema order, leaving out one that no row carries, then any other keys in the order first seen; a row
lacking a column sends null there. A missing value is null in every protocol: none of them has another way
to say it, and a server answering it with a 4xx is what a schema-drift drill wants to see.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.load.request_spec import (
    KServeV1Request,
    MlflowRequest,
    OpenInferenceRequest,
    ReferenceRequest,
    RequestSpec,
    TemplateRequest,
    split_template,
)

Row = dict[str, Any]
BodyEncoder = Callable[[list[Row]], bytes]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def table(rows: Sequence[Row], names: Sequence[str]) -> tuple[list[str], list[list[Any]]]:
    """(columns, values per row) for the column layouts: see the module docstring for the order."""
    if all(len(row) == len(names) for row in rows) and all(list(row) == list(names) for row in rows):
        return list(names), [list(row.values()) for row in rows]  # no schema drift: the common case
    known = set(names)
    columns = [name for name in names if any(name in row for row in rows)]
    columns += list(dict.fromkeys(key for row in rows for key in row if key not in known))
    return columns, [[row.get(column) for column in columns] for row in rows]


def reference_body(rows: list[Row]) -> bytes:
    """The reference stack's (and KServe V1's object) body."""
    return _dumps({"instances": rows})


def _text_datatype(features: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """BYTES for categorical features with text categories; the rest are numbers."""
    return {
        feature["name"]: "BYTES"
        for feature in features
        if feature["type"] == "categorical" and any(isinstance(c, str) for c in feature["categories"])
    }


def _open_inference(spec: OpenInferenceRequest, features: Sequence[Mapping[str, Any]]) -> BodyEncoder:
    names = [feature["name"] for feature in features]
    text = _text_datatype(features)
    if spec.tensors == "matrix" and text:
        raise ValueError(
            f"tensors: matrix holds numbers only, and feature {next(iter(text))!r} has text categories "
            "(use tensors: per-feature)"
        )
    extra = {"parameters": spec.parameters} if spec.parameters else {}

    def column_datatype(column: str, values: list[Any]) -> str:
        if column in text:
            return "BYTES"
        if column in names:
            return spec.datatype
        return "BYTES" if any(isinstance(v, str) for v in values) else spec.datatype  # a key drift added

    def per_feature(rows: list[Row]) -> bytes:
        columns, values = table(rows, names)
        inputs = []
        for index, column in enumerate(columns):
            data = [row[index] for row in values]
            datatype = column_datatype(column, data)
            inputs.append({"name": column, "shape": [len(data)], "datatype": datatype, "data": data})
        return _dumps({"inputs": inputs, **extra})

    def matrix(rows: list[Row]) -> bytes:
        columns, values = table(rows, names)
        flat = [value for row in values for value in row]
        tensor = {"name": spec.input_name, "shape": [len(values), len(columns)], "datatype": spec.datatype}
        return _dumps({"inputs": [{**tensor, "data": flat}], **extra})

    return per_feature if spec.tensors == "per-feature" else matrix


def _kserve_v1(spec: KServeV1Request, names: Sequence[str]) -> BodyEncoder:
    if spec.instances == "objects":
        return reference_body
    return lambda rows: _dumps({"instances": table(rows, names)[1]})


def _mlflow(spec: MlflowRequest, names: Sequence[str]) -> BodyEncoder:
    if spec.format == "dataframe_records":
        return lambda rows: _dumps({"dataframe_records": rows})

    def split(rows: list[Row]) -> bytes:
        columns, values = table(rows, names)
        return _dumps({"dataframe_split": {"columns": columns, "data": values}})

    return split


def _template(spec: TemplateRequest, names: Sequence[str]) -> BodyEncoder:
    parts, placeholders = split_template(spec.body)
    fixed = [part.encode() for part in parts]

    def value(name: str, rows: list[Row], layout: list[tuple[list[str], list[list[Any]]]]) -> Any:
        if name == "records":
            return rows
        if name == "record":
            return rows[0]
        if name == "count":
            return len(rows)
        if not layout:  # the column layout, computed once per request
            layout.append(table(rows, names))
        columns, values = layout[0]
        if name == "columns":
            return columns
        if name == "rows":
            return values
        return {column: [row[i] for row in values] for i, column in enumerate(columns)}  # columnar

    def encode(rows: list[Row]) -> bytes:
        out, layout = [fixed[0]], []
        for name, part in zip(placeholders, fixed[1:], strict=True):
            out += (_dumps(value(name, rows, layout)), part)
        return b"".join(out)

    return encode


def body_encoder(spec: RequestSpec, features: Sequence[Mapping[str, Any]]) -> BodyEncoder:
    """The function turning a request's rows into its body; raises ValueError for a request the feature
    schema cannot fill (a matrix tensor of text categories)."""
    names = [feature["name"] for feature in features]
    match spec:
        case ReferenceRequest():
            return reference_body
        case OpenInferenceRequest():
            return _open_inference(spec, features)
        case KServeV1Request():
            return _kserve_v1(spec, names)
        case MlflowRequest():
            return _mlflow(spec, names)
        case TemplateRequest():
            return _template(spec, names)
    raise AssertionError(f"no encoder for {spec!r}")

"""Request bodies in each protocol, checked against the protocols themselves.

Open Inference Protocol (KServe V2): a JSON Schema transcribed from the protocol's `$inference_request`
and `$request_input` definitions (kserve/kserve docs/predict-api/v2/required_api.md), plus its rules the
schema cannot say: data flattened in row-major order, as many elements as the shape says, elements of
the declared datatype. KServe V1 and MLflow: parsed by MLflow's own scoring-server parser (TF Serving's
`instances` row format, pandas' `split` and `records` orients).
"""

from __future__ import annotations

import json
import math
from typing import Any

import jsonschema
import pandas as pd
import pytest
from mlflow.pyfunc.scoring_server import infer_and_parse_data
from pydantic import TypeAdapter, ValidationError

from harness.load.bodies import body_encoder, table
from harness.load.drift import DriftWindow
from harness.load.payloads import PayloadGenerator
from harness.load.request_spec import RequestSpec
from tests.load.load_helpers import FEATURES

NUMERIC = [f for f in FEATURES if f["type"] == "numeric"]
DATATYPES = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
             "FP16", "FP32", "FP64", "BYTES"]  # fmt: skip
_PARAMETERS = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
V2_INFERENCE_REQUEST = {
    "type": "object",
    "required": ["inputs"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "parameters": _PARAMETERS,
        "inputs": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name", "shape", "datatype", "data"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string"},
                    "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
                    "datatype": {"enum": DATATYPES},
                    "parameters": _PARAMETERS,
                    "data": {"type": "array"},
                },
            },
        },
        "outputs": {"type": "array", "items": {"type": "object", "required": ["name"]}},
    },
}
_ELEMENT = {"FP64": float, "FP32": float, "BYTES": str}


def _spec(**fields: Any) -> RequestSpec:
    return TypeAdapter(RequestSpec).validate_python(fields)


def _rows(count: int = 3, features: list[dict[str, Any]] = FEATURES) -> list[dict[str, Any]]:
    generator = PayloadGenerator(features, seed=5, rows_per_request=count)
    return [dict(zip(generator.names, row, strict=True)) for row in generator.next_payload(0.0).rows]


def _check_v2(body: bytes) -> dict[str, Any]:
    request = json.loads(body)
    jsonschema.validate(request, V2_INFERENCE_REQUEST)
    for tensor in request["inputs"]:
        assert all(not isinstance(v, list) for v in tensor["data"]), "flattened, one-dimensional"
        assert len(tensor["data"]) == math.prod(tensor["shape"]), tensor
        assert all(isinstance(v, _ELEMENT[tensor["datatype"]]) for v in tensor["data"]), tensor
    return request


def test_open_inference_per_feature_tensors() -> None:
    rows = _rows()
    spec = _spec(protocol="open-inference-v2", model="risk", parameters={"content_type": "pd"})
    request = _check_v2(body_encoder(spec, FEATURES)(rows))
    assert spec.default_path() == "/v2/models/risk/infer"
    assert request["parameters"] == {"content_type": "pd"}
    assert [(t["name"], t["shape"], t["datatype"]) for t in request["inputs"]] == [
        ("age", [3], "FP64"), ("income", [3], "FP64"), ("segment", [3], "BYTES"),
    ]  # fmt: skip
    assert [t["data"] for t in request["inputs"]] == [[row[f["name"]] for row in rows] for f in FEATURES]


def test_open_inference_matrix_is_row_major() -> None:
    rows = _rows(4, NUMERIC)
    spec = _spec(protocol="open-inference-v2", model="risk", version="7", tensors="matrix", datatype="FP32")
    request = _check_v2(body_encoder(spec, NUMERIC)(rows))
    assert spec.default_path() == "/v2/models/risk/versions/7/infer"
    (tensor,) = request["inputs"]
    assert (tensor["name"], tensor["shape"], tensor["datatype"]) == ("input-0", [4, 2], "FP32")
    assert tensor["data"] == [value for row in rows for value in (row["age"], row["income"])]
    assert "parameters" not in request


def test_a_matrix_of_text_categories_is_refused() -> None:
    spec = _spec(protocol="open-inference-v2", model="risk", tensors="matrix")
    with pytest.raises(ValueError, match="'segment' has text categories"):
        body_encoder(spec, FEATURES)


def test_kserve_v1_instances_parse_as_tf_serving_rows() -> None:
    rows = _rows()
    objects = json.loads(body_encoder(_spec(protocol="kserve-v1", model="risk"), FEATURES)(rows))
    assert objects == {"instances": rows}
    parsed = infer_and_parse_data(objects)
    assert list(parsed) == ["age", "income", "segment"] and list(parsed["age"]) == [r["age"] for r in rows]
    spec = _spec(protocol="kserve-v1", model="risk", instances="lists")
    lists = json.loads(body_encoder(spec, FEATURES)(rows))
    assert spec.default_path() == "/v1/models/risk:predict"
    assert lists == {"instances": [[r["age"], r["income"], r["segment"]] for r in rows]}
    numeric = json.loads(body_encoder(spec, NUMERIC)(_rows(3, NUMERIC)))
    assert infer_and_parse_data(numeric).shape == (3, 2)


@pytest.mark.parametrize("form", ["dataframe_split", "dataframe_records"])
def test_mlflow_bodies_parse_as_the_same_dataframe(form: str) -> None:
    rows = _rows()
    spec = _spec(protocol="mlflow", format=form)
    body = json.loads(body_encoder(spec, FEATURES)(rows))
    assert list(body) == [form] and spec.default_path() == "/invocations"
    pd.testing.assert_frame_equal(infer_and_parse_data(body), pd.DataFrame(rows))


def test_reference_body_is_unchanged() -> None:
    rows = _rows()
    assert (
        body_encoder(_spec(protocol="reference"), FEATURES)(rows)
        == json.dumps({"instances": rows}, separators=(",", ":")).encode()
    )


def test_template_placeholders_stand_for_values() -> None:
    rows = _rows(2)
    spec = _spec(
        protocol="template",
        method="PUT",
        body={"meta": {"n": "{{count}}", "cols": "{{columns}}"}, "x": "{{rows}}", "by": "{{columnar}}",
              "raw": "{{ records }}", "note": "kept"},
    )  # fmt: skip
    body = json.loads(body_encoder(spec, FEATURES)(rows))
    assert spec.method == "PUT"
    assert body == {
        "meta": {"n": 2, "cols": ["age", "income", "segment"]},
        "x": [[r["age"], r["income"], r["segment"]] for r in rows],
        "by": {name: [r[name] for r in rows] for name in ("age", "income", "segment")},
        "raw": rows,
        "note": "kept",
    }
    whole = _spec(protocol="template", body="{{record}}")
    assert json.loads(body_encoder(whole, FEATURES)(rows[:1])) == rows[0]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"x": "{{recrods}}"}, "unknown placeholder {{recrods}}"),
        ({"x": "rows: {{rows}}"}, "must be the whole string"),
        ({"{{rows}}": 1}, "values only"),
        ({"x": "{{count}}"}, "sends no rows"),
    ],
)
def test_bad_templates_are_refused(body: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _spec(protocol="template", body=body)


def test_drifted_rows_keep_the_column_rules() -> None:
    """Renamed keys go after the schema's columns, rows lacking a column send null there."""
    rows = [{"age": 30.0, "income_v2": 2.0, "segment": "a"}, {"age": None, "income": 4.0, "segment": "b"}]
    columns, values = table(rows, ["age", "income", "segment"])
    assert columns == ["age", "income", "segment", "income_v2"]
    assert values == [[30.0, None, "a", 2.0], [None, 4.0, "b", None]]
    spec = _spec(protocol="open-inference-v2", model="risk")
    tensors = json.loads(body_encoder(spec, FEATURES)(rows))["inputs"]
    assert [(t["name"], t["datatype"], t["data"]) for t in tensors] == [
        ("age", "FP64", [30.0, None]), ("income", "FP64", [None, 4.0]),
        ("segment", "BYTES", ["a", "b"]), ("income_v2", "FP64", [2.0, None]),
    ]  # fmt: skip


def test_drift_is_applied_before_encoding() -> None:
    """A mean shift active at send time reaches the V2 tensors, and features.csv's rows are what was sent."""
    drift = DriftWindow(name="shift", start_at=100.0, transform="mean-shift", features=["income"], sigma=5)
    encoder = body_encoder(_spec(protocol="open-inference-v2", model="risk"), FEATURES)
    plain = PayloadGenerator(FEATURES, seed=2, rows_per_request=4, encoder=encoder)
    drifted = PayloadGenerator(FEATURES, seed=2, rows_per_request=4, encoder=encoder, drifts=[drift])
    before, during = plain.next_payload(200.0), drifted.next_payload(200.0)
    income = [json.loads(p.body)["inputs"][1]["data"] for p in (before, during)]
    assert [round(b - a, 9) for a, b in zip(*income, strict=True)] == [5 * 2.0] * 4  # sigma x std
    assert income[1] == [row[1] for row in during.rows]


def test_scenario_headers_replace_or_add_to_the_json_ones() -> None:
    spec = _spec(
        protocol="mlflow", headers={"content-type": "application/json; format=pandas-split", "Host": "m"}
    )
    assert spec.send_headers() == {
        "Accept": "application/json", "content-type": "application/json; format=pandas-split", "Host": "m",
    }  # fmt: skip
    assert _spec(protocol="reference").send_headers() == {
        "Content-Type": "application/json", "Accept": "application/json",
    }  # fmt: skip

"""Reading each answer's signals: headers or JSON paths, absent signals never read as zero or false."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from harness.load.observation import (
    ABSENT,
    MAX_PREDICTION_CHARS,
    PRESETS,
    AnswerReader,
    Observation,
    ObserveSpec,
    SignalSource,
)

REFERENCE = Observation(**PRESETS["reference"])
V2_ANSWER = {
    "model_name": "risk",
    "model_version": "v3",
    "id": "1",
    "outputs": [{"name": "predict", "shape": [2, 1], "datatype": "INT64", "data": [1, 0]}],
}


def _read(observation: Observation, headers: dict[str, Any] | None, body: Any = None) -> tuple:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return AnswerReader(observation).read(headers, raw)


def test_reference_headers() -> None:
    headers = {"X-Served-By": "gpu-0", "X-Model-Version": "v1", "X-Attempts": "2", "X-Degraded": "true"}
    assert _read(REFERENCE, headers, b"not json") == ("gpu-0", "v1", 2, 1, "")
    assert _read(REFERENCE, {"X-Attempts": "0", "X-Degraded": "False"}) == ("", "", 0, 0, "")
    assert _read(REFERENCE, {"X-Served-By": ["a", "b"]})[0] == "b"  # a repeated header: the last one


@pytest.mark.parametrize(
    "headers",
    [None, {}, {"X-Attempts": "", "X-Degraded": ""}, {"X-Attempts": "two", "X-Degraded": "maybe"},
     {"X-Attempts": "-3", "X-Degraded": "2"}],
)  # fmt: skip
def test_absent_or_unusable_signals_are_absent_not_zero(headers: dict[str, Any] | None) -> None:
    assert _read(REFERENCE, headers) == ("", "", ABSENT, ABSENT, "")


def test_open_inference_preset_reads_the_body() -> None:
    observation = ObserveSpec().resolve("open-inference-v2")
    assert _read(observation, {"X-Served-By": "gpu-0"}, V2_ANSWER) == ("", "v3", ABSENT, ABSENT, "[1,0]")
    assert _read(observation, {}, {"error": "bad input"}) == ("", "", ABSENT, ABSENT, "")
    assert _read(observation, {}, b"<html>502</html>") == ("", "", ABSENT, ABSENT, "")


def test_json_paths_and_their_values() -> None:
    observation = Observation(
        replica=SignalSource(json='meta."served-by"'),
        version=SignalSource(json="outputs[0].parameters.version"),
        attempts=SignalSource(json="meta.tries"),
        degraded=SignalSource(json="meta.fallback"),
        prediction=SignalSource(json="outputs[0]"),
    )
    body = {"meta": {"served-by": 7, "tries": 3, "fallback": False},
            "outputs": [{"parameters": {"version": "v2"}, "data": [0.5]}]}  # fmt: skip
    assert _read(observation, None, body) == ("7", "v2", 3, 0, '{"parameters":{"version":"v2"},"data":[0.5]}')
    odd = {"meta": {"served-by": None, "tries": 2.5, "fallback": "yes"}, "outputs": []}
    assert _read(observation, None, odd) == ("", "", ABSENT, ABSENT, "")
    flags = {"meta": {"tries": "4", "fallback": "TRUE"}}
    assert _read(observation, None, flags)[2:4] == (4, 1)


def test_long_predictions_are_cut() -> None:
    observation = Observation(prediction=SignalSource(json="p"))
    prediction = _read(observation, None, {"p": list(range(1000))})[4]
    assert len(prediction) == MAX_PREDICTION_CHARS and prediction.endswith("…")


def test_the_body_is_parsed_only_when_a_signal_reads_it() -> None:
    assert not AnswerReader(REFERENCE).reads_body
    assert AnswerReader(ObserveSpec(prediction={"json": "predictions"}).resolve("reference")).reads_body


def test_observe_spec_merges_over_the_preset() -> None:
    spec = ObserveSpec.model_validate({"replica": {"header": "X-Backend"}, "attempts": None})
    resolved = spec.resolve("reference").sources()
    assert resolved["replica"] == SignalSource(header="X-Backend")
    assert resolved["attempts"] is None  # switched off explicitly
    assert resolved["version"] == SignalSource(header="X-Model-Version")  # kept from the preset
    assert ObserveSpec(preset="none").resolve("reference").sources() == dict.fromkeys(resolved)
    assert ObserveSpec(preset="mlflow").resolve("reference").prediction == SignalSource(json="predictions")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({}, "either 'header'"),
        ({"header": "X-A", "json": "a"}, "either 'header'"),
        ({"json": "outputs[0"}, "invalid JSON path 'outputs\\[0'"),
        ({"json": "meta.served-by"}, "quote keys"),
        ({"jsonpath": "a"}, "Extra inputs"),
    ],
)
def test_bad_sources_are_refused(source: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SignalSource.model_validate(source)

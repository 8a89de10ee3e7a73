"""The report's error-answer and signal sections, read from a run directory the load worker wrote."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from harness.load.error_samples import ErrorSampler
from harness.load.files import CONFIG_FILE, ERROR_SAMPLES_FILE
from harness.load.observation import PRESETS, Observation, ObserveSpec
from harness.report.answers_section import carried, errors_section, run_observation
from tests.load.load_helpers import make_config


def test_error_answers_read_like_the_issue_asked(tmp_path: Path) -> None:
    assert errors_section(tmp_path) is None  # no failed request, no section
    sampler = ErrorSampler(tmp_path / ERROR_SAMPLES_FILE)
    for _ in range(160):
        sampler.add(422, "http_4xx", b'{"detail":[{"loc":["body","inputs"],"msg":"Field required"}]}', 1.0)
    for body in [b'{"error": "decode"}'] * 10 + [b"Traceback (most recent call last):\nValueError: NaN"] * 2:
        sampler.add(400, "http_4xx", body, 2.0)
    sampler.close()
    section = errors_section(tmp_path)
    assert section is not None and section.title == "Error answers"
    assert section.bullets == [
        "422 × 160: body.inputs: Field required",
        "400 × 12: decode (10×); ValueError: NaN (2×)",
    ]


def test_signals_are_read_where_the_run_said(tmp_path: Path) -> None:
    assert run_observation(tmp_path) == Observation(**PRESETS["reference"])  # a run from before load.observe
    observe = ObserveSpec(preset="mlflow").resolve("reference")
    config = make_config("http://127.0.0.1:1", observe=observe)
    (tmp_path / CONFIG_FILE).write_text(config.model_dump_json(), encoding="utf-8")
    assert run_observation(tmp_path) == observe
    assert json.loads((tmp_path / CONFIG_FILE).read_text())["observe"]["prediction"] == {
        "header": None, "json_path": "predictions",
    }  # fmt: skip
    samples = pd.DataFrame({"replica": ["a", ""], "version": ["", ""], "attempts": [0, -1],
                            "degraded": [-1, -1], "prediction": ["[1]", ""]})  # fmt: skip
    assert [carried(samples, s) for s in ("replica", "version", "attempts", "degraded", "prediction")] == [
        1, 0, 1, 0, 1,
    ]  # fmt: skip
    assert carried(samples.drop(columns="prediction"), "prediction") == 0  # samples from before the column

"""Quality as an SLI: each answer's predictions against the ground truth of what was sent, on synthetic
samples whose truth is known by construction (a version wrong on exactly 20% of rows)."""

import numpy as np
import pandas as pd
import pytest

from harness.load.truth import ReferenceTruth, format_truth, has_reference_truth
from harness.scenario.model import Scenario
from harness.thresholds import Scope, parse_metric_key, parse_threshold
from harness.verify.quality import aggregate, score_samples, wrong_answers
from harness.verify.results import FaultRecord
from harness.verify.verifier import verify
from stack.model import FEATURE_SCHEMA, true_probability

T0 = 1_700_000_000.0
RATE = 50


def samples(wrong_share=0.2, wrong_version="v2", wrong_from=10.0, rows=4, seed=0):
    """v1 answers right; from `wrong_from` on half the requests go to `wrong_version`, which gets each
    row wrong with probability `wrong_share` (a score on the other side of 0.5)."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, 30, 1 / RATE)
    truth = rng.uniform(0, 1, (len(t), rows))
    canary = (t >= wrong_from) & (rng.random(len(t)) < 0.5)
    flip = canary[:, None] & (rng.random((len(t), rows)) < wrong_share)
    prediction = np.where(flip, 1 - truth, truth)
    prediction = np.where(flip & (np.abs(truth - 0.5) < 1e-9), 0.0, prediction)
    return pd.DataFrame({
        "t_intended": T0 + t, "t_start": T0 + t, "latency_ms": 10.0, "status": 200, "ok": 1, "error": "",
        "replica": np.where(canary, "canary-0", "gpu-0"), "version": np.where(canary, wrong_version, "v1"),
        "attempts": 1, "degraded": 0, "late": 0,
        "prediction": [format_truth(row) for row in prediction],
        "truth": [format_truth(row) for row in truth],
    }), flip  # fmt: skip


def scenario(slo=None, **expectations):
    return Scenario.model_validate({
        "name": "quality", "load": {"users": 1, "duration": "30s"},
        "slo": {"availability": "99%", "latency": "p(99) < 100ms", "window": "1s", **(slo or {})},
        "faults": [{"name": "deploy", "kind": "canary-deploy", "at": "10s", "duration": "20s"}],
        "expectations": expectations,
    })  # fmt: skip


def results(spec, frame):
    fault = FaultRecord("deploy", "canary-deploy", [], 10.0, 30.0, applied_at=T0 + 10, cleared_at=T0 + 30)
    return {e.name: e for e in verify(spec, frame, T0, [fault]).expectations}


def test_rows_are_right_on_the_same_side_of_a_half_and_unscorable_rows_are_no_evidence():
    frame = pd.DataFrame({
        "prediction": ["[0.9,0.2,0.6]", "[0.4]", "0.7", '["yes"]', "[0.1,0.2]", "", "{", "[0.3,null]",
                       "[0.5]", "[true,false]"],
        "truth": ["[0.8,0.7,0.5]", "[0.1]", "[0.2]", "[1]", "[0.1]", "[1]", "[1]", "[0.1,0.9]", "[0.5]",
                  "[1,1]"],
    }, index=range(10, 20))  # fmt: skip
    scores = score_samples(frame)
    assert scores.index.equals(frame.index)
    assert scores["rows_scored"].tolist() == [3, 1, 1, 0, 0, 0, 0, 1, 1, 2]
    assert scores["rows_correct"].tolist() == [2, 1, 0, 0, 0, 0, 0, 1, 1, 1]  # 0.5 is the positive class
    assert scores["abs_error"].tolist() == pytest.approx([0.1 + 0.5 + 0.1, 0.3, 0.5, 0, 0, 0, 0, 0.2, 0, 1])
    assert aggregate(scores, "accuracy") == pytest.approx(6 / 9)
    assert aggregate(scores, "error_rate") == pytest.approx(3 / 9)
    assert aggregate(scores, "mae") == pytest.approx(2.7 / 9)
    assert aggregate(scores.iloc[3:7], "accuracy") is None
    assert wrong_answers(frame).tolist() == [
        True,
        False,
        True,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]


def test_quality_thresholds_parse_with_their_units_and_scopes():
    metric, scope = parse_metric_key("quality{version:v2}")
    assert (metric, scope) == ("quality", Scope("version", name="v2")) and scope.label() == "{version:v2}"
    assert parse_metric_key("latency{replica:gpu-0}")[1] == Scope("replica", name="gpu-0")
    accuracy = parse_threshold("quality", scope, "accuracy > 90%")
    assert accuracy.value == pytest.approx(0.9) and accuracy.unit == "ratio"
    mae = parse_threshold("quality", scope, "mae < 0.05")
    assert mae.value == 0.05 and mae.unit == ""
    with pytest.raises(ValueError, match="is a number, not a percentage"):
        parse_threshold("quality", scope, "mae < 5%")
    with pytest.raises(ValueError, match="unknown aggregation 'rate' for 'quality'"):
        parse_threshold("quality", scope, "rate < 5%")
    scopes = r"use \{steady\}, \{fault:NAME\}, \{stage:N\}, \{version:V\} or \{replica:R\}"
    with pytest.raises(ValueError, match=scopes):
        parse_metric_key("quality{model:v2}")


def test_a_version_wrong_on_20_percent_of_rows_is_measured_within_2_points():
    frame, flip = samples(wrong_share=0.2)
    spec = scenario(**{
        "quality{version:v2}": ["error_rate < 10%"], "quality{version:v1}": ["accuracy > 99%"],
        "quality": ["accuracy > 95%"], "quality{fault:deploy}": ["mae < 0.5"],
    })  # fmt: skip
    got = results(spec, frame)
    v2 = got["quality{version:v2}: error_rate < 10%"]
    truth = flip[frame["version"] == "v2"].mean()
    assert not v2.passed and v2.observed == pytest.approx(truth * 100, abs=1e-9)
    assert v2.observed == pytest.approx(20, abs=2)
    assert "answered by version v2" in v2.explanation
    assert got["quality{version:v1}: accuracy > 99%"].observed == 100.0
    assert not got["quality: accuracy > 95%"].passed  # 20% of the canary's half of 2/3 of the run
    assert got["quality{fault:deploy}: mae < 0.5"].passed


def test_quality_without_evidence_is_not_measured_and_says_why():
    frame, _ = samples()
    spec = scenario(**{"quality": ["accuracy > 90%"], "quality{version:v9}": ["accuracy > 90%"]})
    unknown = results(spec, frame)["quality{version:v9}: accuracy > 90%"]
    assert unknown.status == "not measured" and "no requests answered by version v9" in unknown.explanation
    for column, words in [
        ("truth", "none of the 1,500 requests carried a ground truth"),
        ("prediction", "no body predictions on any of 1,500 responses"),
    ]:
        missing = results(spec, frame.assign(**{column: ""}))["quality: accuracy > 90%"]
        assert missing.status == "not measured" and words in missing.explanation, missing.explanation
    misaligned = results(spec, frame.assign(prediction="[0.5]"))["quality: accuracy > 90%"]
    assert misaligned.explanation == (
        "not measured: no answer's prediction lined up with its request's rows (1,500 requests: a prediction "
        "per row, as numbers)"
    )


def test_a_wrong_answer_is_bad_service_only_where_the_slo_says_so():
    frame, _ = samples(wrong_share=0.5)
    lenient = verify(scenario(), frame, T0, []).windows
    strict = verify(scenario(slo={"wrong_is_bad": True}), frame, T0, []).windows
    assert lenient["good"].all()
    assert strict["good"].tolist() == [True] * 10 + [False] * 20


def test_the_reference_truth_is_the_true_function_of_the_rows_sent():
    names = [f["name"] for f in FEATURE_SCHEMA]
    row = (41.0, 58.0, 0.32, 6.0, 0.8, 7.5, "unemployed")
    expected = true_probability([dict(zip(names, row, strict=True))])[0]
    assert ReferenceTruth(names)([row, (*row[:6], None)]) == f"[{expected:.6g},null]"
    assert has_reference_truth(FEATURE_SCHEMA)
    assert not has_reference_truth([*FEATURE_SCHEMA[:-1], {"name": "region", "type": "categorical"}])

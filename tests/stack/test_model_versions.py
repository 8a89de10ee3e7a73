"""The reference model's versions against the ground truth: v1 and v2 are good, the silently bad candidates
are clearly wrong while answering like v1 (200 OK, v1's latency), and `true_probability` refuses what it
cannot score."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from stack.model import LITE_MODEL, VERSIONS, row_hash_fraction, sample_rows, true_probability
from tests.stack.conftest import StackLauncher, admin, latency_sum, send_requests

ROWS = sample_rows(np.random.default_rng(2024), 20_000)
TRUTH = np.array(true_probability(ROWS), dtype=float)
SILENTLY_BAD = ("v2-stale", "v2-swapped", "v2-inverted", "v2-miscalibrated", "v2-flip20")


def accuracy_and_mae(scores: list[float]) -> tuple[float, float]:
    """The harness's measures: the class a score implies (>= 0.5) vs the truth's, and |score - truth|."""
    predicted = np.array(scores)
    return float(np.mean((predicted >= 0.5) == (TRUTH >= 0.5))), float(np.mean(np.abs(predicted - TRUTH)))


# Measured on these 20k rows: v1 98.4%, 0.014; v2 98.1%, 0.022; the prior 80.6%, 0.198; v2-stale 79.9%,
# 0.160; v2-swapped 19.8%, 0.718; v2-inverted 1.9%, 0.570; v2-miscalibrated 79.2%, 0.164; v2-flip20 79.1%,
# 0.126. A bad version is worse than the prior on accuracy and at least 5x v1's error.
@pytest.mark.parametrize(
    ("version", "accuracy", "mae"),
    [
        ("v1", (0.97, 1.0), (0.0, 0.02)),
        ("v2", (0.97, 1.0), (0.0, 0.03)),
        ("v2-stale", (0.70, 0.805), (0.12, 0.25)),
        ("v2-swapped", (0.0, 0.30), (0.60, 1.0)),
        ("v2-inverted", (0.0, 0.05), (0.50, 1.0)),
        ("v2-miscalibrated", (0.70, 0.805), (0.12, 0.25)),
        ("v2-flip20", (0.75, 0.805), (0.10, 0.16)),
    ],
)
def test_version_quality_against_the_truth(
    version: str, accuracy: tuple[float, float], mae: tuple[float, float]
) -> None:
    measured_accuracy, measured_mae = accuracy_and_mae(VERSIONS[version].predict(ROWS))
    assert accuracy[0] <= measured_accuracy <= accuracy[1]
    assert mae[0] <= measured_mae <= mae[1]


def test_the_prior_is_the_bar_a_bad_version_falls_below() -> None:
    assert accuracy_and_mae(LITE_MODEL.predict(ROWS)) == (
        pytest.approx(0.806, abs=0.01),
        pytest.approx(0.2, abs=0.01),
    )


def test_miscalibrated_scores_are_too_high_but_ranked_right() -> None:
    v2 = np.array(VERSIONS["v2"].predict(ROWS))
    miscalibrated = np.array(VERSIONS["v2-miscalibrated"].predict(ROWS))
    assert miscalibrated.mean() > TRUTH.mean() + 0.1
    ranks = [np.argsort(np.argsort(scores)) for scores in (v2, miscalibrated)]
    assert np.corrcoef(*ranks)[0, 1] > 0.9999  # not exactly 1: answers are rounded to 6 places


def test_flip20_changes_exactly_the_hashed_fifth_of_the_rows() -> None:
    v1 = np.array(VERSIONS["v1"].predict(ROWS))
    flip = np.array(VERSIONS["v2-flip20"].predict(ROWS))
    hashed = np.array([row_hash_fraction(row) < 0.2 for row in ROWS])
    assert np.allclose(flip[hashed], 1 - v1[hashed], atol=2e-6) and np.array_equal(flip[~hashed], v1[~hashed])
    assert np.array_equal((flip >= 0.5) != (v1 >= 0.5), hashed)
    assert hashed.mean() == pytest.approx(0.2, abs=0.01)
    v1_right = (v1 >= 0.5) == (TRUTH >= 0.5)
    flip_right = (flip >= 0.5) == (TRUTH >= 0.5)
    assert np.array_equal(flip_right, v1_right ^ hashed)


def test_row_hash_survives_json_and_key_order() -> None:
    row = ROWS[0]
    assert row_hash_fraction(json.loads(json.dumps(row))) == row_hash_fraction(dict(reversed(row.items())))
    assert (
        row_hash_fraction(row) == row_hash_fraction(row) != row_hash_fraction({**row, "age": row["age"] + 1})
    )


def test_true_probability_is_none_where_it_cannot_score() -> None:
    row = ROWS[0]
    income = {k: v for k, v in row.items() if k != "income_k"}
    unscorable = [
        income,
        {**income, "income": row["income_k"]},
        {**row, "age": None},
        {**row, "age": "41"},
        {**row, "age": True},
        {**row, "age": math.nan},
        {**row, "age": 10**400},
        {**row, "employment": "student"},
        [row],
    ]
    truth = true_probability([row, *unscorable, {**row, "note": "extra keys are ignored"}])
    assert truth[0] is not None and 0 < truth[0] < 1 and truth[-1] == truth[0]
    assert truth[1:-1] == [None] * len(unscorable)


def test_silently_bad_versions_answer_like_v1(stack: StackLauncher) -> None:
    """Served for real: every answer 200 with the version's own scores, at v1's latency (by the replica's
    metrics); v2-bad is the control the checks must catch."""
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    bodies = [{"instances": ROWS[i : i + 4]} for i in range(0, 120, 4)]
    mean_latency: dict[str, float] = {}
    for version in ("v1", *SILENTLY_BAD, "v2-bad"):
        assert admin(replica.url, "/admin/model", {"version": version}).status_code == 200
        before = latency_sum(replica.url)
        responses = send_requests(replica.url, bodies, concurrency=1)
        mean_latency[version] = (latency_sum(replica.url) - before) / len(bodies)
        if version == "v2-bad":
            assert any(r.status_code == 500 for r in responses)
            continue
        assert [r.status_code for r in responses] == [200] * len(bodies)
        served = [p for r in responses for p in r.json()["predictions"]]
        assert served == VERSIONS[version].predict(ROWS[:120])
        assert {r.headers["X-Model-Version"] for r in responses} == {version}
    for version in SILENTLY_BAD:
        assert mean_latency[version] < 2 * mean_latency["v1"], mean_latency
    assert mean_latency["v2-bad"] > 2 * mean_latency["v1"], mean_latency


def test_an_extreme_row_has_a_truth_instead_of_an_overflow() -> None:
    """The per-row sigmoid is written so that it cannot overflow: a row the load drifted to absurd values
    is scored (the true function is near 0 or 1 there), never a crash in the load worker."""
    row = ROWS[0]
    rich, poor = {**row, "income_k": 1e300}, {**row, "income_k": -1e300}
    assert true_probability([rich, poor]) == [0.0, 1.0]

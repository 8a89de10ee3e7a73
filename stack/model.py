"""The reference model: a credit-default logistic regression trained on synthetic tabular data.

It is trained with numpy at import time from a fixed seed (tens of milliseconds), so every process —
model servers, the gateway's fallback and the harness's load generator — agrees on the same weights and
on the same training baseline (`FEATURE_SCHEMA`) without shipping an artifact.

Versions: `v1` is the stable model; `v2` is a good candidate trained on a different sample with stronger
regularisation (slightly different weights); `v2-bad` is a broken candidate with v2's weights that fails
30% of requests with HTTP 500 AND is 4x slower, so canary analysis can catch it by either signal.
The silently bad candidates answer 200 OK as fast as v1, never fail, and are wrong, each for a reason seen
in real releases (accuracy and mean absolute error against `true_probability`, 20k baseline rows; v1: 98%,
0.014; v2: 98%, 0.022; the `LITE_MODEL` prior: 81%, 0.20):
- `v2-stale`: trained on data from an older regime (`_STALE_RELATIONSHIP`): concept drift (80%, 0.16);
- `v2-swapped`: v2 served with income_k and debt_to_income exchanged, a feature-pipeline bug (20%, 0.72);
- `v2-inverted`: v2 trained with the label polarity inverted, every weight's sign flipped (2%, 0.57);
- `v2-miscalibrated`: v2 trained on a class-balanced resample and shipped without moving the intercept
  back: the ranking is right, the scores far too high (79%, 0.16);
- `v2-flip20`: v1 with the rows whose `row_hash_fraction` is below 0.2 answered 1 - score: a version
  wrong on a known fifth of the answers (79%, 0.13), the ground truth for testing quality measurement.
  Exactly those rows change class relative to v1 (bar a score of exactly 0.5, which keeps its class): about
  20% of any traffic, binomially; against the truth, v1's right answers among them become wrong and its
  ~1.6% wrong ones right.
`LITE_MODEL` is the degradation fallback: the training prior, valid for any validated row.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

FEATURE_SCHEMA: list[dict[str, Any]] = [
    {"name": "age", "type": "numeric", "mean": 41.0, "std": 12.0, "min": 18.0, "max": 90.0},
    {"name": "income_k", "type": "numeric", "mean": 58.0, "std": 22.0, "min": 0.0, "max": None},
    {"name": "debt_to_income", "type": "numeric", "mean": 0.32, "std": 0.14, "min": 0.0, "max": 2.0},
    {"name": "credit_lines", "type": "numeric", "mean": 6.0, "std": 3.0, "min": 0.0, "max": None},
    {"name": "late_payments_12m", "type": "numeric", "mean": 0.8, "std": 1.1, "min": 0.0, "max": None},
    {"name": "account_age_years", "type": "numeric", "mean": 7.5, "std": 4.5, "min": 0.0, "max": None},
    {
        "name": "employment",
        "type": "categorical",
        "categories": ["salaried", "self_employed", "unemployed", "retired"],
        "probs": [0.62, 0.18, 0.07, 0.13],
    },
]

NUMERIC_FEATURES: list[dict[str, Any]] = [f for f in FEATURE_SCHEMA if f["type"] == "numeric"]
CATEGORICAL_FEATURES: list[dict[str, Any]] = [f for f in FEATURE_SCHEMA if f["type"] == "categorical"]
FEATURE_NAMES: frozenset[str] = frozenset(f["name"] for f in FEATURE_SCHEMA)


@dataclass(frozen=True)
class Relationship:
    """A data-generating function: the default log-odds as effects on the standardised features."""

    bias: float
    numeric: dict[str, float]
    categories: dict[str, float]


TRUE_RELATIONSHIP = Relationship(
    bias=-1.6,
    numeric={
        "age": -0.3,
        "income_k": -0.6,
        "debt_to_income": 1.1,
        "credit_lines": 0.2,
        "late_payments_12m": 0.9,
        "account_age_years": -0.4,
    },
    categories={"salaried": 0.0, "self_employed": 0.3, "unemployed": 1.2, "retired": 0.1},
)
"""Labels the training data and is the ground truth the harness scores answers against."""

_STALE_RELATIONSHIP = Relationship(
    bias=-1.2,
    numeric={
        "age": -0.3,
        "income_k": -1.2,
        "debt_to_income": 0.3,
        "credit_lines": 0.2,
        "late_payments_12m": 1.4,
        "account_age_years": -0.4,
    },
    categories={"salaried": 0.0, "self_employed": 0.9, "unemployed": 0.6, "retired": 0.1},
)
"""An older regime (before a change in lending): more defaults, income and late payments mattered more,
debt less, self-employment was riskier than unemployment (e.g. before income support)."""


def sample_rows(rng: np.random.Generator, n: int) -> list[dict[str, Any]]:
    """Draw `n` request rows from the training baseline (clipped normals and categorical frequencies)."""
    columns: dict[str, list[Any]] = {}
    for feature in NUMERIC_FEATURES:
        values = rng.normal(feature["mean"], feature["std"], n)
        low = -np.inf if feature["min"] is None else feature["min"]
        high = np.inf if feature["max"] is None else feature["max"]
        columns[feature["name"]] = np.round(np.clip(values, low, high), 4).tolist()
    for feature in CATEGORICAL_FEATURES:
        columns[feature["name"]] = rng.choice(feature["categories"], size=n, p=feature["probs"]).tolist()
    return [{name: values[i] for name, values in columns.items()} for i in range(n)]


def encode(rows: list[dict[str, Any]]) -> np.ndarray:
    """Standardise numeric features with the baseline moments and one-hot the categoricals."""
    blocks = [
        (np.array([row[f["name"]] for row in rows], dtype=float) - f["mean"]) / f["std"]
        for f in NUMERIC_FEATURES
    ]
    for feature in CATEGORICAL_FEATURES:
        values = np.array([row[feature["name"]] for row in rows], dtype=object)
        blocks.extend((values == category).astype(float) for category in feature["categories"])
    return np.column_stack(blocks)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def finite_number(value: Any) -> float | None:
    """`value` as a float when it is a finite JSON number (booleans are not numbers here), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _scorable(row: Any) -> bool:
    """Every feature present as a finite number or a known category; extra keys do not matter."""
    if not isinstance(row, dict):
        return False
    numbers_ok = all(finite_number(row.get(f["name"])) is not None for f in NUMERIC_FEATURES)
    return numbers_ok and all(row.get(f["name"]) in f["categories"] for f in CATEGORICAL_FEATURES)


def _probability(relationship: Relationship, row: dict[str, Any]) -> float:
    """One row's default probability, in plain Python: the load worker asks for a few rows per request,
    where numpy's per-call overhead costs more than the arithmetic (bench/load_throughput.py --quality)."""
    logit = relationship.bias + relationship.categories[row["employment"]]
    for feature in NUMERIC_FEATURES:
        name = feature["name"]
        logit += relationship.numeric[name] * (float(row[name]) - feature["mean"]) / feature["std"]
    if logit < 0:  # the form that cannot overflow for an extreme row (an income of 1e300)
        return math.exp(logit) / (1.0 + math.exp(logit))
    return 1.0 / (1.0 + math.exp(-logit))


def true_probability(rows: list[Any]) -> list[float | None]:
    """The ground truth per row: the default probability the training labels were drawn with. None for a
    row it cannot score (a feature missing or renamed, not a finite number, an unknown category), so the
    harness can tell "wrong answer" from "no truth to compare with"."""
    return [_probability(TRUE_RELATIONSHIP, row) if _scorable(row) else None for row in rows]


def _labels(rng: np.random.Generator, rows: list[dict[str, Any]], relationship: Relationship) -> np.ndarray:
    probabilities = np.array([_probability(relationship, row) for row in rows])
    return (rng.random(len(rows)) < probabilities).astype(float)


@dataclass(frozen=True)
class TrainedWeights:
    coefficients: np.ndarray
    bias: float
    base_rate: float


def train(
    seed: int,
    n_rows: int = 4000,
    l2: float = 1e-3,
    steps: int = 300,
    lr: float = 0.5,
    relationship: Relationship = TRUE_RELATIONSHIP,
) -> TrainedWeights:
    """Full-batch gradient descent on the log loss; deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    rows = sample_rows(rng, n_rows)
    x = encode(rows)
    y = _labels(rng, rows, relationship)
    coefficients = np.zeros(x.shape[1])
    bias = 0.0
    for _ in range(steps):
        error = _sigmoid(x @ coefficients + bias) - y
        coefficients -= lr * (x.T @ error / n_rows + l2 * coefficients)
        bias -= lr * float(error.mean())
    return TrainedWeights(coefficients=coefficients, bias=bias, base_rate=float(y.mean()))


def row_hash_fraction(row: dict[str, Any]) -> float:
    """A row's deterministic place in [0, 1): the same in every process (unlike `hash`) and independent
    of key order, so a test can tell which rows a version such as `v2-flip20` changes."""
    canonical = json.dumps(row, sort_keys=True, separators=(",", ":")).encode()
    return int.from_bytes(hashlib.blake2b(canonical, digest_size=8).digest(), "big") / 2**64


@dataclass(frozen=True)
class ModelVersion:
    """A servable version: weights plus the failure behaviour a broken release exhibits — loud (errors,
    slowness) or silent (`swapped_features`: two inputs exchanged before scoring; `flipped_share`: the
    rows with `row_hash_fraction` below it answer 1 - score)."""

    name: str
    weights: TrainedWeights
    error_rate: float = 0.0
    latency_factor: float = 1.0
    swapped_features: tuple[str, str] | None = None
    flipped_share: float = 0.0

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        if self.swapped_features:
            a, b = self.swapped_features
            rows = [{**row, a: row[b], b: row[a]} for row in rows]
        scores = _sigmoid(encode(rows) @ self.weights.coefficients + self.weights.bias)
        if self.flipped_share:
            flipped = np.array([row_hash_fraction(row) < self.flipped_share for row in rows])
            scores = np.where(flipped, 1.0 - scores, scores)
        return [round(float(s), 6) for s in scores]


@dataclass(frozen=True)
class LiteModel:
    """Degradation fallback: the training prior. Cheap, always available, never wrong by much on average."""

    name: str
    base_rate: float

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        return [round(self.base_rate, 6)] * len(rows)


_V1_WEIGHTS = train(seed=7)
_V2_WEIGHTS = train(seed=11, l2=1e-2)


def _label_polarity_inverted(weights: TrainedWeights) -> TrainedWeights:
    """What training on 1 - y learns: every sign flipped, the intercept's too."""
    return TrainedWeights(-weights.coefficients, -weights.bias, 1.0 - weights.base_rate)


def _trained_on_balanced_classes(weights: TrainedWeights) -> TrainedWeights:
    """What training on a 50/50 resample learns: the intercept raised by the log of the odds the resample
    removed (case-control sampling moves only the intercept), then shipped without correcting it back."""
    odds = (1.0 - weights.base_rate) / weights.base_rate
    return TrainedWeights(weights.coefficients, weights.bias + math.log(odds), weights.base_rate)


VERSIONS: dict[str, ModelVersion] = {
    version.name: version
    for version in (
        ModelVersion("v1", _V1_WEIGHTS),
        ModelVersion("v2", _V2_WEIGHTS),
        ModelVersion("v2-bad", _V2_WEIGHTS, error_rate=0.3, latency_factor=4.0),
        ModelVersion("v2-stale", train(seed=13, relationship=_STALE_RELATIONSHIP)),
        ModelVersion("v2-swapped", _V2_WEIGHTS, swapped_features=("income_k", "debt_to_income")),
        ModelVersion("v2-inverted", _label_polarity_inverted(_V2_WEIGHTS)),
        ModelVersion("v2-miscalibrated", _trained_on_balanced_classes(_V2_WEIGHTS)),
        ModelVersion("v2-flip20", _V1_WEIGHTS, flipped_share=0.2),
    )
}
VERSION_NAMES: tuple[str, ...] = tuple(VERSIONS)
"""Every servable version, for schemas that accept a version name (`Literal[VERSION_NAMES]`)."""

LITE_MODEL = LiteModel("lite-prior", _V1_WEIGHTS.base_rate)

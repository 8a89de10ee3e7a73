"""The reference model: a credit-default logistic regression trained on synthetic tabular data.

It is trained with numpy at import time from a fixed seed (tens of milliseconds), so every process —
model servers, the gateway's fallback and the harness's load generator — agrees on the same weights and
on the same training baseline (`FEATURE_SCHEMA`) without shipping an artifact.

Versions: `v1` is the stable model; `v2` is a good candidate trained on a different sample with stronger
regularisation (slightly different weights); `v2-bad` is a broken candidate with v2's weights that fails
30% of requests with HTTP 500 AND is 4x slower, so canary analysis can catch it by either signal.
`LITE_MODEL` is the degradation fallback: the training prior, valid for any validated row.
"""

from __future__ import annotations

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

# Ground-truth effects used only to label the synthetic training data (standardised-feature scale).
_TRUE_BIAS = -1.6
_TRUE_NUMERIC_EFFECTS = {
    "age": -0.3,
    "income_k": -0.6,
    "debt_to_income": 1.1,
    "credit_lines": 0.2,
    "late_payments_12m": 0.9,
    "account_age_years": -0.4,
}
_TRUE_CATEGORY_EFFECTS = {"salaried": 0.0, "self_employed": 0.3, "unemployed": 1.2, "retired": 0.1}


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


def _labels(rng: np.random.Generator, rows: list[dict[str, Any]]) -> np.ndarray:
    logit = np.full(len(rows), _TRUE_BIAS)
    for feature in NUMERIC_FEATURES:
        column = np.array([row[feature["name"]] for row in rows], dtype=float)
        logit += _TRUE_NUMERIC_EFFECTS[feature["name"]] * (column - feature["mean"]) / feature["std"]
    logit += np.array([_TRUE_CATEGORY_EFFECTS[row["employment"]] for row in rows])
    return (rng.random(len(rows)) < _sigmoid(logit)).astype(float)


@dataclass(frozen=True)
class TrainedWeights:
    coefficients: np.ndarray
    bias: float
    base_rate: float


def train(
    seed: int, n_rows: int = 4000, l2: float = 1e-3, steps: int = 300, lr: float = 0.5
) -> TrainedWeights:
    """Full-batch gradient descent on the log loss; deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    rows = sample_rows(rng, n_rows)
    x = encode(rows)
    y = _labels(rng, rows)
    coefficients = np.zeros(x.shape[1])
    bias = 0.0
    for _ in range(steps):
        error = _sigmoid(x @ coefficients + bias) - y
        coefficients -= lr * (x.T @ error / n_rows + l2 * coefficients)
        bias -= lr * float(error.mean())
    return TrainedWeights(coefficients=coefficients, bias=bias, base_rate=float(y.mean()))


@dataclass(frozen=True)
class ModelVersion:
    """A servable version: weights plus the failure behaviour a broken release exhibits."""

    name: str
    weights: TrainedWeights
    error_rate: float = 0.0
    latency_factor: float = 1.0

    def predict(self, rows: list[dict[str, Any]]) -> list[float]:
        scores = _sigmoid(encode(rows) @ self.weights.coefficients + self.weights.bias)
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

VERSIONS: dict[str, ModelVersion] = {
    "v1": ModelVersion("v1", _V1_WEIGHTS),
    "v2": ModelVersion("v2", _V2_WEIGHTS),
    "v2-bad": ModelVersion("v2-bad", _V2_WEIGHTS, error_rate=0.3, latency_factor=4.0),
}

LITE_MODEL = LiteModel("lite-prior", _V1_WEIGHTS.base_rate)

"""The quality of the answers: each request's predictions against the ground truth of what it sent.

A model can answer 200 OK, fast and wrong; availability and latency cannot see it. The load records per
request what its rows should be answered (samples.csv `truth`, harness/load/truth.py) beside what the
answer predicted (`prediction`, read by `load.observe`). Per row: right when both sides fall on the same
side of 0.5 (a score's class), and its absolute error. Rows only one side scores (a prediction that is
not a number, a truth the drift made unknowable, lists of different lengths) are not scored: no evidence
either way, never counted as right.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

QUALITY_COLUMNS = ("rows_scored", "rows_correct", "abs_error")
"""Per sample: rows with both a prediction and a truth, those classified right, their summed |error|."""
DECISION = 0.5
"""A score at or above it is the positive class, for predictions and truths alike."""


def _numbers(text: str) -> np.ndarray | None:
    """A JSON number or list of them (NaN where an item is not a number; a class answered as true/false is
    1/0); None if unreadable."""
    if not text:
        return None
    try:
        value: Any = json.loads(text)
    except ValueError:
        return None
    values = value if isinstance(value, list) else [value]
    return np.array(
        [float(v) if isinstance(v, int | float) else math.nan for v in values],
        dtype=float,
    )


def _score(prediction: str, truth: str) -> tuple[int, int, float]:
    predicted, true = _numbers(prediction), _numbers(truth)
    if predicted is None or true is None or len(predicted) != len(true):
        return 0, 0, 0.0
    both = np.isfinite(predicted) & np.isfinite(true)
    predicted, true = predicted[both], true[both]
    correct = (predicted >= DECISION) == (true >= DECISION)
    return int(both.sum()), int(correct.sum()), float(np.abs(predicted - true).sum())


def score_samples(samples: pd.DataFrame) -> pd.DataFrame:
    """QUALITY_COLUMNS for each sample (same index); zeros where nothing could be scored."""
    rows = list(map(_score, samples["prediction"], samples["truth"]))
    return pd.DataFrame(rows or None, index=samples.index, columns=list(QUALITY_COLUMNS))


def aggregate(scores: pd.DataFrame, aggregation: str) -> float | None:
    """`accuracy`, `error_rate` or `mae` over the scored rows; None when no row was scored."""
    scored = int(scores["rows_scored"].sum())
    if not scored:
        return None
    if aggregation == "mae":
        return float(scores["abs_error"].sum()) / scored
    accuracy = int(scores["rows_correct"].sum()) / scored
    return accuracy if aggregation == "accuracy" else 1 - accuracy


def wrong_answers(samples: pd.DataFrame) -> np.ndarray:
    """Per sample: True when its answer was scored and got a row wrong (bad service where the SLO says
    so); an answer that could not be scored is not called wrong."""
    scores = score_samples(samples)
    return np.asarray(scores["rows_correct"] < scores["rows_scored"])


def why_unscored(samples: pd.DataFrame, absent_prediction: str) -> str:
    """Why no row of `samples` was scored, in the words a reader can act on."""
    if not (samples["truth"] != "").any():
        return f"none of the {len(samples):,} requests carried a ground truth (load.truth)"
    if not (samples["prediction"] != "").any():
        return absent_prediction
    return (
        f"no answer's prediction lined up with its request's rows ({len(samples):,} requests: a prediction "
        "per row, as numbers)"
    )

"""Delayed ground truth: the labels of answered requests, posted back after the fact (`POST /feedback`).

Real systems learn whether a prediction was right late — a loan defaults months later, a click happens or
not within the hour — so the gateway remembers what each request that came with an `X-Request-Id` was
answered (only those: a client that never sends labels costs nothing), and scores the answer when its
labels arrive. Canary analysis then compares the accuracy of the candidate's labelled answers with the
reference's: the one signal that catches a candidate whose scores move too little to tell from noise
without labels (v2-stale, v2-flip20; stack/canary.py).

Memory is bounded twice: an answer waits at most `label_ttl_ms` for its labels, and at most
`max_awaiting_labels` answers wait at once (the oldest is forgotten first). Labels for a request the
gateway does not remember — never seen, already labelled, forgotten — are counted as unmatched, never
guessed.

A row is right when the predicted score and the label fall on the same side of 0.5, the rule the harness
scores answers by (harness/verify/quality.py), so the gateway and the report agree on what wrong means.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from stack.answers import prediction_scores
from stack.config import CanaryAnalysisConfig
from stack.model import finite_number

DECISION = 0.5


@dataclass(frozen=True)
class LabelledAnswer:
    """One request's answer scored against its labels: who answered it, rows scored, rows right."""

    canary: bool
    version: str
    rows: int
    correct: int


@dataclass(frozen=True)
class _Answer:
    at: float
    canary: bool
    version: str
    scores: list[float]


class FeedbackRejected(ValueError):
    """A feedback body that is not `{"request_id": str, "labels": [number, ...]}`."""


def parse_feedback(payload: Any) -> tuple[str, list[float | None]]:
    """The request id and its labels (None for an item that is not a number: that row is not scored)."""
    if not isinstance(payload, dict):
        raise FeedbackRejected('feedback must be {"request_id": str, "labels": [number, ...]}')
    request_id, labels = payload.get("request_id"), payload.get("labels")
    if not isinstance(request_id, str) or not request_id:
        raise FeedbackRejected("feedback.request_id must be a non-empty string")
    if not isinstance(labels, list) or not labels:
        raise FeedbackRejected("feedback.labels must be a non-empty list of numbers (one per row)")
    return request_id, [finite_number(label) for label in labels]


class AwaitingLabels:
    """Answers by request id until their labels come, a TTL and a size cap keeping it bounded."""

    def __init__(self, config: CanaryAnalysisConfig) -> None:
        self._config = config
        self._answers: OrderedDict[str, _Answer] = OrderedDict()
        self.labelled = 0
        self.unmatched = 0
        self.forgotten = 0

    @property
    def enabled(self) -> bool:
        return self._config.enabled and self._config.labels

    def remember(self, request_id: str, canary: bool, version: str, body: bytes) -> None:
        """An answer a label may come for; answers without predictions cannot be scored and are skipped."""
        scores = prediction_scores(body)
        if not scores:
            return
        self._expire(time.monotonic())
        self._answers.pop(request_id, None)
        self._answers[request_id] = _Answer(time.monotonic(), canary, version, scores)
        while len(self._answers) > self._config.max_awaiting_labels:
            self._answers.popitem(last=False)
            self.forgotten += 1

    def label(self, request_id: str, labels: list[float | None]) -> LabelledAnswer | None:
        """The remembered answer scored against `labels`, row by row; None if it is not remembered or its
        row count differs (a mismatched label list says nothing about which row was wrong)."""
        self._expire(time.monotonic())
        answer = self._answers.pop(request_id, None)
        if answer is None or len(answer.scores) != len(labels):
            self.unmatched += 1
            return None
        pairs = [(s, label) for s, label in zip(answer.scores, labels, strict=True) if label is not None]
        correct = sum((s >= DECISION) == (label >= DECISION) for s, label in pairs)
        self.labelled += 1
        return LabelledAnswer(answer.canary, answer.version, len(pairs), correct)

    def _expire(self, now: float) -> None:
        horizon = now - self._config.label_ttl_ms / 1000
        while self._answers:
            oldest = next(iter(self._answers.values()))
            if oldest.at >= horizon:
                return
            self._answers.popitem(last=False)
            self.forgotten += 1

    def describe(self) -> dict[str, Any]:
        return {
            "awaiting": len(self._answers),
            "labelled": self.labelled,
            "unmatched": self.unmatched,
            "forgotten": self.forgotten,
        }


def accuracy(answers: list[LabelledAnswer]) -> tuple[float, int]:
    """Share of labelled rows answered right, and how many rows that is (NaN when none)."""
    rows = sum(a.rows for a in answers)
    return (sum(a.correct for a in answers) / rows if rows else math.nan), rows

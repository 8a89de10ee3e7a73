"""Deterministic request bodies drawn from a scenario's feature schema (or replayed from a file).

Rows are drifted, then encoded in the request's protocol (harness/load/bodies.py).

Rows are drawn in vectorised chunks, so that generating payloads costs the load worker next to nothing per
request (the worker's CPU is the measuring instrument). The same seed (and the same send times, when the
data drifts) always yields the same sequence of bodies, which makes drills reproducible.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.load.bodies import BodyEncoder, reference_body
from harness.load.drift import DriftWindow
from harness.load.drift_rows import RowDrifter


class FeatureSchemaError(ValueError):
    """A feature entry that cannot be sampled; the message names the feature."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


_FEATURE_KEYS = {
    "numeric": ("name", "type", "mean", "std", "min", "max"),
    "categorical": ("name", "type", "categories", "probs"),
}


def _check_feature(feature: Mapping[str, Any]) -> None:
    if not isinstance(feature, Mapping):
        raise FeatureSchemaError(f"feature {feature!r} is not a mapping of name, type, ...")
    name = feature.get("name")
    if not isinstance(name, str) or not name:
        raise FeatureSchemaError(f"feature {feature!r} has no 'name'")
    kind = feature.get("type")
    if kind not in _FEATURE_KEYS:
        raise FeatureSchemaError(f"feature {name!r} has unknown type {kind!r} (numeric or categorical)")
    unknown = [str(key) for key in feature if key not in _FEATURE_KEYS[kind]]
    if unknown:  # a misspelt `mim` would otherwise be ignored without a word
        known = ", ".join(_FEATURE_KEYS[kind])
        raise FeatureSchemaError(f"{kind} feature {name!r} has unknown key {unknown[0]!r} (keys: {known})")
    if kind == "numeric":
        for key in ("mean", "std"):
            if not _is_number(feature.get(key)):
                raise FeatureSchemaError(f"numeric feature {name!r} needs a number for {key!r}")
        if feature["std"] < 0:
            raise FeatureSchemaError(f"numeric feature {name!r} has a negative 'std'")
        low, high = feature.get("min"), feature.get("max")
        if any(bound is not None and not _is_number(bound) for bound in (low, high)):
            raise FeatureSchemaError(f"numeric feature {name!r}: 'min' and 'max' must be numbers")
        if low is not None and high is not None and low > high:
            raise FeatureSchemaError(f"numeric feature {name!r} has min > max")
        return
    categories, probs = feature.get("categories"), feature.get("probs")
    if not isinstance(categories, list) or not categories:
        raise FeatureSchemaError(f"categorical feature {name!r} needs a non-empty 'categories' list")
    if not all(isinstance(c, str | int | float) for c in categories):
        raise FeatureSchemaError(f"categorical feature {name!r}: each category is a string or a number")
    if probs is not None:
        if (
            not isinstance(probs, list)
            or len(probs) != len(categories)
            or not all(_is_number(p) and p >= 0 for p in probs)
        ):
            raise FeatureSchemaError(
                f"categorical feature {name!r}: 'probs' must be one non-negative number per category"
            )
        if not math.isclose(sum(probs), 1.0, abs_tol=1e-6):
            raise FeatureSchemaError(f"categorical feature {name!r}: 'probs' must sum to 1")


def check_schema(features: Sequence[Mapping[str, Any]]) -> None:
    """Raise FeatureSchemaError naming the first feature that cannot be sampled (or replayed)."""
    if not features:
        raise FeatureSchemaError("the feature schema is empty")
    names: set[str] = set()
    for feature in features:
        _check_feature(feature)
        if feature["name"] in names:
            raise FeatureSchemaError(f"feature {feature['name']!r} is listed twice")
        names.add(feature["name"])


def sample_columns(
    features: Sequence[Mapping[str, Any]], rng: np.random.Generator, rows: int
) -> dict[str, list[Any]]:
    """Draw `rows` values per feature (column-wise, so numpy does the work in one call each)."""
    columns: dict[str, list[Any]] = {}
    for feature in features:
        if feature["type"] == "numeric":
            values = rng.normal(feature["mean"], feature["std"], size=rows)
            if feature.get("min") is not None or feature.get("max") is not None:
                values = np.clip(values, feature.get("min"), feature.get("max"))
            columns[feature["name"]] = values.tolist()
        else:
            picks = rng.choice(len(feature["categories"]), size=rows, p=feature.get("probs"))
            columns[feature["name"]] = [feature["categories"][i] for i in picks.tolist()]
    return columns


@dataclass(frozen=True, slots=True)
class Payload:
    """One request: the body to send and, for the sent-features log, what each of its rows carried."""

    body: bytes
    rows: list[tuple[Any, ...]]
    """Per row, the values in schema order; None where the row sent no value (null, renamed, dropped)."""
    labels: list[float | None] | None = None
    """Per row, its ground truth from the replayed file's label column (load.profile.label); None where
    drift changed the request's rows (the label was for the row as recorded). None: no label column."""


class PayloadGenerator:
    """Yields bodies (by default the reference stack's `{"instances": [...]}`), one per request, drawn
    from a seeded numpy Generator or replayed round-robin from a file's rows, with drift windows applied
    at each request's send time before `encoder` turns the rows into the body.

    Baseline rows are prepared in chunks (vectorised draws); drift is applied per request, so a chunk
    prepared before a window opened still drifts from the first request sent inside it.
    """

    def __init__(
        self,
        features: Sequence[Mapping[str, Any]],
        seed: int,
        rows_per_request: int,
        chunk_requests: int = 64,
        drifts: Sequence[DriftWindow] = (),
        replay: Sequence[tuple[Any, ...]] | None = None,
        encoder: BodyEncoder = reference_body,
        replay_labels: Sequence[float | None] | None = None,
    ) -> None:
        """`replay_labels`: one per replayed row, in file order."""
        check_schema(features)
        if replay is not None and not replay:
            raise FeatureSchemaError("the replayed request profile has no rows")
        self.features = [dict(feature) for feature in features]
        self.names = [feature["name"] for feature in self.features]
        self.rows_per_request = rows_per_request
        self.chunk_requests = chunk_requests
        self._rng = np.random.default_rng(seed)
        self._replay = replay
        self._replay_labels = replay_labels
        self._replay_next = 0
        self._drifter = RowDrifter(self.features, drifts, seed) if drifts else None
        self._encode = encoder
        self._rows: list[tuple[Any, ...]] = []
        self._labels: list[float | None] = []
        self._draws: list[list[float]] = []
        self._next = 0

    def next_payload(self, t: float) -> Payload:
        """The next request's body and rows, drifted as the windows active at send time `t` say."""
        start, stop = self._next, self._next + self.rows_per_request
        if stop > len(self._rows):
            self._refill()
            start, stop = 0, self.rows_per_request
        self._next = stop
        rows = self._rows[start:stop]
        labels = self._labels[start:stop] if self._replay_labels is not None else None
        instances = [dict(zip(self.names, row, strict=True)) for row in rows]
        if self._drifter is not None and self._drifter.apply(instances, self._draws[start:stop], t):
            rows = [tuple(instance.get(name) for name in self.names) for instance in instances]
            labels = None if labels is None else [None] * len(labels)
        return Payload(self._encode(instances), rows, labels)

    def next_body(self) -> bytes:
        """The JSON body for the next request, sent now."""
        return self.next_payload(time.time()).body

    def _refill(self) -> None:
        count = self.chunk_requests * self.rows_per_request
        if self._replay is None:
            self._rows = list(zip(*sample_columns(self.features, self._rng, count).values(), strict=True))
        else:
            picked = [(self._replay_next + i) % len(self._replay) for i in range(count)]
            self._rows = [self._replay[i] for i in picked]
            if self._replay_labels is not None:
                self._labels = [self._replay_labels[i] for i in picked]
            self._replay_next = (self._replay_next + count) % len(self._replay)
        self._draws = self._drifter.draws(count) if self._drifter is not None else []
        self._next = 0

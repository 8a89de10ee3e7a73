"""Deterministic request bodies drawn from a scenario's feature schema.

Bodies are drawn in vectorised chunks and serialised once, so that generating payloads costs the load
worker next to nothing per request (the worker's CPU is the measuring instrument). The same seed always
yields the same sequence of bodies, which makes drills reproducible.
"""

from __future__ import annotations

import json
import math
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


class FeatureSchemaError(ValueError):
    """A feature entry that cannot be sampled; the message names the feature."""


def _check_feature(feature: Mapping[str, Any]) -> None:
    name = feature.get("name")
    if not isinstance(name, str) or not name:
        raise FeatureSchemaError(f"feature {feature!r} has no 'name'")
    kind = feature.get("type")
    if kind == "numeric":
        for key in ("mean", "std"):
            if not isinstance(feature.get(key), int | float):
                raise FeatureSchemaError(f"numeric feature {name!r} needs a number for {key!r}")
        if feature["std"] < 0:
            raise FeatureSchemaError(f"numeric feature {name!r} has a negative 'std'")
        low, high = feature.get("min"), feature.get("max")
        if low is not None and high is not None and low > high:
            raise FeatureSchemaError(f"numeric feature {name!r} has min > max")
    elif kind == "categorical":
        categories, probs = feature.get("categories"), feature.get("probs")
        if not isinstance(categories, list) or not categories:
            raise FeatureSchemaError(f"categorical feature {name!r} needs a non-empty 'categories' list")
        if probs is not None:
            if len(probs) != len(categories) or any(p < 0 for p in probs):
                raise FeatureSchemaError(
                    f"categorical feature {name!r}: 'probs' must be one non-negative number per category"
                )
            if not math.isclose(sum(probs), 1.0, abs_tol=1e-6):
                raise FeatureSchemaError(f"categorical feature {name!r}: 'probs' must sum to 1")
    else:
        raise FeatureSchemaError(f"feature {name!r} has unknown type {kind!r} (numeric or categorical)")


class PayloadGenerator:
    """Yields serialised `{"instances": [...]}` bodies, one per request, from a seeded numpy Generator.

    Subclasses that make the data drift over time override `draw_columns`; everything else (chunking,
    serialisation, determinism) stays here.
    """

    def __init__(
        self,
        features: Sequence[Mapping[str, Any]],
        seed: int,
        rows_per_request: int,
        chunk_requests: int = 64,
    ) -> None:
        if not features:
            raise FeatureSchemaError("the feature schema is empty")
        for feature in features:
            _check_feature(feature)
        self.features = [dict(feature) for feature in features]
        self.rows_per_request = rows_per_request
        self.chunk_requests = chunk_requests
        self._rng = np.random.default_rng(seed)
        self._ready: deque[bytes] = deque()

    def next_body(self) -> bytes:
        """The JSON body for the next request."""
        if not self._ready:
            self._ready.extend(self._serialise_chunk())
        return self._ready.popleft()

    def draw_columns(self, rows: int) -> dict[str, list[Any]]:
        """Draw `rows` values per feature (column-wise, so numpy does the work in one call each)."""
        columns: dict[str, list[Any]] = {}
        for feature in self.features:
            if feature["type"] == "numeric":
                values = self._rng.normal(feature["mean"], feature["std"], size=rows)
                if feature.get("min") is not None or feature.get("max") is not None:
                    values = np.clip(values, feature.get("min"), feature.get("max"))
                columns[feature["name"]] = values.tolist()
            else:
                picks = self._rng.choice(len(feature["categories"]), size=rows, p=feature.get("probs"))
                columns[feature["name"]] = [feature["categories"][i] for i in picks.tolist()]
        return columns

    def _serialise_chunk(self) -> list[bytes]:
        columns = self.draw_columns(self.chunk_requests * self.rows_per_request)
        names = list(columns)
        rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        size = self.rows_per_request
        return [
            json.dumps({"instances": rows[start : start + size]}, separators=(",", ":")).encode()
            for start in range(0, len(rows), size)
        ]

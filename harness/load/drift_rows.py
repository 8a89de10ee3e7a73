"""Applies drift windows to request rows at their send time, so injected drift never lags behind the clock.

Random choices (which rows go missing, get swapped or lose a key) come from uniform draws taken per row
and per (drift, feature) from a stream of their own: the baseline rows are the same with or without
drift, and the same seed and send times always give the same drifted bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.load.drift import DriftWindow

Row = dict[str, Any]

_DRAW_STREAM = 0xD81F7
"""Mixed into the seed so drift draws never reuse the baseline generator's numbers."""
_FAR_STDS = 10.0
"""out-of-range: how many standard deviations beyond the valid range a value is moved."""


@dataclass(frozen=True)
class _Target:
    """One feature of one drift, with what its transform needs computed once."""

    drift: DriftWindow
    name: str
    slot: int
    mean: float = 0.0
    std: float = 0.0
    low_far: float = 0.0
    high_far: float = 0.0
    swap: dict[Any, Any] = field(default_factory=dict)


def _target(drift: DriftWindow, feature: Mapping[str, Any], slot: int) -> _Target:
    if feature["type"] != "numeric":
        categories = list(feature["categories"])
        swap = dict(zip(categories, reversed(categories), strict=True))
        return _Target(drift, feature["name"], slot, swap=swap)
    mean, std = float(feature["mean"]), float(feature["std"])
    reach = _FAR_STDS * std if std > 0 else _FAR_STDS
    low, high = feature.get("min"), feature.get("max")
    return _Target(
        drift,
        feature["name"],
        slot,
        mean=mean,
        std=std,
        low_far=(mean if low is None else float(low)) - reach,
        high_far=(mean if high is None else float(high)) + reach,
    )


def _mean_shift(row: Row, target: _Target, strength: float, _draw: float) -> None:
    value = row.get(target.name)
    if value is not None:
        row[target.name] = value + strength * target.drift.sigma * target.std


def _scale(row: Row, target: _Target, strength: float, _draw: float) -> None:
    value = row.get(target.name)
    if value is not None:
        row[target.name] = target.mean + (value - target.mean) * (1 + strength * (target.drift.factor - 1))


def _category_swap(row: Row, target: _Target, strength: float, draw: float) -> None:
    """Reversed category order: the most frequent category becomes the rarest and so on."""
    value = row.get(target.name)
    if draw < strength and value is not None:
        row[target.name] = target.swap.get(value, value)


def _missing(row: Row, target: _Target, strength: float, draw: float) -> None:
    if draw < target.drift.rate * strength and target.name in row:
        row[target.name] = None


def _out_of_range(row: Row, target: _Target, strength: float, draw: float) -> None:
    """Half of the affected rows go far below the valid range, half far above it."""
    affected = target.drift.rate * strength
    if draw < affected and target.name in row:
        row[target.name] = target.low_far if draw < affected / 2 else target.high_far


def _schema_rename(row: Row, target: _Target, strength: float, draw: float) -> None:
    if draw < strength and target.name in row:
        row[f"{target.name}_v2"] = row.pop(target.name)


def _schema_missing(row: Row, target: _Target, strength: float, draw: float) -> None:
    if draw < strength:
        row.pop(target.name, None)


def _schema_extra(row: Row, target: _Target, strength: float, draw: float) -> None:
    if draw < strength:
        row[f"{target.name}_extra"] = row.get(target.name)


_TRANSFORMS: dict[str, Callable[[Row, _Target, float, float], None]] = {
    "mean-shift": _mean_shift,
    "scale": _scale,
    "category-swap": _category_swap,
    "missing": _missing,
    "out-of-range": _out_of_range,
    "schema-rename": _schema_rename,
    "schema-missing": _schema_missing,
    "schema-extra": _schema_extra,
}
"""Schema transforms and category swaps hit a `strength` fraction of rows; value transforms scale with it."""


class RowDrifter:
    """Changes request rows in place according to the drift windows active at their send time."""

    def __init__(
        self, features: Sequence[Mapping[str, Any]], drifts: Sequence[DriftWindow], seed: int
    ) -> None:
        by_name = {feature["name"]: feature for feature in features}
        self._targets: list[tuple[DriftWindow, list[_Target]]] = []
        slot = 0
        for drift in drifts:
            drift.check_features(features)
            targets = [_target(drift, by_name[name], slot + i) for i, name in enumerate(drift.features)]
            slot += len(targets)
            self._targets.append((drift, targets))
        self.slots = slot
        self._rng = np.random.default_rng([seed, _DRAW_STREAM])

    def draws(self, rows: int) -> list[list[float]]:
        """One uniform number per row and per (drift, feature), drawn ahead in chunks like the rows."""
        return self._rng.random((rows, self.slots)).tolist()

    def apply(self, rows: list[Row], draws: Sequence[Sequence[float]], t: float) -> bool:
        """Drift `rows` (sent at `t`) in place; False when no window is active, so the rows are untouched."""
        strengths = [(targets, drift.strength(t)) for drift, targets in self._targets]
        active = [(targets, strength) for targets, strength in strengths if strength > 0]
        if not active:
            return False
        for row, row_draws in zip(rows, draws, strict=True):
            for targets, strength in active:
                for target in targets:
                    _TRANSFORMS[target.drift.transform](row, target, strength, row_draws[target.slot])
        return True

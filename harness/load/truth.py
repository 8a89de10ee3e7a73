"""The ground truth of what the load sends: per row of a request, what a perfect model would answer,
recorded beside the answer's prediction (samples.csv `truth`), so that a model answering 200 OK, fast and
wrong shows up in an SLI like latency does.

For the reference feature schema the harness generated the data, so it knows the answer: the
data-generating function's probability (stack.model.true_probability). Rows it cannot score (a feature
dropped or renamed by drift) are `null`. Computing it costs the worker CPU per request, so it is only done
when the scenario asks about quality.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stack.model import FEATURE_NAMES, true_probability


def has_reference_truth(features: Sequence[dict[str, Any]]) -> bool:
    """Whether rows drawn from `features` can be scored by the reference data's true function."""
    return {f.get("name") for f in features} == FEATURE_NAMES


def format_truth(values: Sequence[float | None]) -> str:
    """A JSON list, compact: samples.csv holds one per request."""
    return "[" + ",".join("null" if v is None else f"{v:.6g}" for v in values) + "]"


class ReferenceTruth:
    """Rows in schema order (as payloads carry them) -> their true probabilities, as samples.csv text."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = tuple(names)

    def __call__(self, rows: Sequence[Sequence[Any]]) -> str:
        return format_truth(true_probability([dict(zip(self._names, row, strict=True)) for row in rows]))

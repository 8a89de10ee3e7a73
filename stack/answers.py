"""What a replica answered, read the one way the gateway's analyses (canary scores, shadow agreement,
delayed labels) all need: the list of prediction scores in its JSON body."""

from __future__ import annotations

import json

from stack.model import finite_number


def prediction_scores(body: bytes) -> list[float]:
    """The scores in a replica's JSON answer (`predictions`); none for an answer that has no such list."""
    try:
        predictions = json.loads(body).get("predictions")
    except (ValueError, AttributeError, RecursionError):
        return []
    if not isinstance(predictions, list):
        return []
    return [score for p in predictions if (score := finite_number(p)) is not None]

"""Validation of /predict bodies against FEATURE_SCHEMA.

Every way a client can get a body wrong must end in a 4xx with a message that names the problem, never
in a 500 from deep inside numpy: the harness counts 5xx as server faults, so a validation gap would be
indistinguishable from a real outage.
"""

from __future__ import annotations

import difflib
import json
import math
from typing import Any

from stack.model import CATEGORICAL_FEATURES, FEATURE_NAMES, NUMERIC_FEATURES

_CATEGORIES = {f["name"]: frozenset(f["categories"]) for f in CATEGORICAL_FEATURES}
_NUMERIC_NAMES = frozenset(f["name"] for f in NUMERIC_FEATURES)


class RequestRejected(Exception):
    """A client error; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def parse_json(body: bytes) -> Any:
    """Decode a JSON body; malformed, non-UTF-8 or absurdly nested input is a 400."""
    if not body:
        raise RequestRejected(400, 'request body is empty; expected JSON {"instances": [...]}')
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise RequestRejected(400, f"request body is not valid JSON: {exc}") from None


def _with_hint(name: str) -> str:
    """Misspelled features are the most common client bug; naming the intended one saves a round trip."""
    match = difflib.get_close_matches(name, FEATURE_NAMES, 1)
    return f"{name!r} (did you mean {match[0]!r}?)" if match else repr(name)


def _row_error(index: int, row: Any) -> str | None:
    if not isinstance(row, dict):
        return f"instances[{index}] must be an object of features, got {type(row).__name__}"
    keys = set(row)
    unknown = sorted(str(k) for k in keys - FEATURE_NAMES)
    if unknown:
        return f"instances[{index}] has unknown features: {', '.join(_with_hint(name) for name in unknown)}"
    missing = sorted(FEATURE_NAMES - keys)
    if missing:
        return f"instances[{index}] is missing features: {', '.join(missing)}"
    for name in _NUMERIC_NAMES:
        value = row[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"instances[{index}].{name} must be a number, got {type(value).__name__}"
        try:
            finite = math.isfinite(float(value))
        except OverflowError:
            finite = False
        if not finite:
            return f"instances[{index}].{name} must be finite, got {value!r}"
    for name, allowed in _CATEGORIES.items():
        value = row[name]
        if not isinstance(value, str) or value not in allowed:
            return f"instances[{index}].{name} must be one of {sorted(allowed)}, got {value!r}"
    return None


def validate_payload(payload: Any, max_rows: int) -> list[dict[str, Any]]:
    """Return the rows of a well-formed payload or raise RequestRejected (422 for schema problems)."""
    if not isinstance(payload, dict):
        kind = type(payload).__name__
        raise RequestRejected(422, f"body must be a JSON object with key 'instances', got {kind}")
    extra = sorted(str(k) for k in payload if k != "instances")
    if extra:
        listed = ", ".join(extra)
        raise RequestRejected(422, f"unexpected top-level keys: {listed}; only 'instances' is allowed")
    rows = payload.get("instances")
    if not isinstance(rows, list):
        raise RequestRejected(422, "'instances' must be a list of feature objects")
    if not rows:
        raise RequestRejected(422, "'instances' is empty; send at least one row")
    if len(rows) > max_rows:
        raise RequestRejected(413, f"batch has {len(rows)} rows; the maximum is {max_rows}")
    for index, row in enumerate(rows):
        error = _row_error(index, row)
        if error:
            raise RequestRejected(422, error)
    return rows

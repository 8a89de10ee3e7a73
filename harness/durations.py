"""Human durations (`500ms`, `30s`, `2m`) as used throughout scenario files.

Scenario authors think in these units; the harness works in float seconds everywhere.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNITS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|µs|ms|s|m|h)\s*$")


def parse_duration(value: object) -> float:
    """Return seconds for `'250ms'`-style strings; bare numbers are rejected to avoid unit guessing."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"expected a duration such as '500ms', '30s' or '2m', got {value!r}")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"invalid duration {value!r}: use a number and a unit (us, ms, s, m, h), e.g. '30s'")
    return float(match.group(1)) * _UNITS[match.group(2)]


def format_duration(seconds: float) -> str:
    """Render seconds compactly for plans and reports (`1.5s`, `250ms`)."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    if seconds < 120:
        return f"{seconds:g}s"
    return f"{seconds / 60:g}m"


def parse_positive_duration(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError(f"duration must be greater than zero, got {value!r}")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A non-negative duration in seconds, written in a scenario as `'30s'`."""

PositiveDuration = Annotated[float, BeforeValidator(parse_positive_duration)]
"""A duration in seconds that must be > 0 (window lengths, fault durations)."""

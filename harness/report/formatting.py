"""Number, time and text formatting shared by every report format.

Markdown, HTML and JUnit must show the same figures the same way, so all of them format through here
instead of each growing its own f-strings.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

MISSING = "n/a"


def is_missing(value: float | None) -> bool:
    """None and NaN both mean "not measured" (pandas gives NaN, the summary gives None)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def fmt_number(value: float | None, digits: int = 4) -> str:
    if is_missing(value):
        return MISSING
    return f"{value:.{digits}g}"


def fmt_count(value: int | float | None) -> str:
    if is_missing(value):
        return MISSING
    return f"{int(value):,}"


def fmt_quantity(value: float | None, unit: str) -> str:
    """A measured value with its unit as the verifier reported it (`123.4 ms`, `0.5%`, `1.02`)."""
    if is_missing(value):
        return MISSING
    if not unit:
        return fmt_number(value)
    separator = "" if unit == "%" else " "
    return f"{fmt_number(value)}{separator}{unit}"


def fmt_ms(value: float | None) -> str:
    return fmt_quantity(value, "ms")


def fmt_percent(fraction: float | None, decimals: int = 2) -> str:
    """Fractions as percentages; availability needs decimals (99.9% vs 99.99% matters)."""
    if is_missing(fraction):
        return MISSING
    return f"{fraction * 100:.{decimals}f}%"


def fmt_seconds(seconds: float | None) -> str:
    if is_missing(seconds):
        return MISSING
    return f"{seconds:.1f}s" if abs(seconds) < 600 else f"{seconds / 60:.1f}m"


def fmt_precise(seconds: float | None) -> str:
    """To the hundredth: detection and mitigation often come within one SLO window of the injection."""
    if is_missing(seconds):
        return MISSING
    return f"{seconds:.2f}s"


def fmt_offset(seconds: float | None) -> str:
    """Time relative to load start, signed so that set-up steps before the load read as negative."""
    if is_missing(seconds):
        return MISSING
    sign = "-" if seconds < -0.05 else "+"
    return f"{sign}{abs(seconds):.1f}s"


def fmt_epoch(epoch: float | None) -> str:
    if is_missing(epoch):
        return MISSING
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_mapping(values: dict[str, object]) -> str:
    """`key=value` pairs for free-form dicts (fault params, event details), skipping empty values."""
    return ", ".join(f"{key}={value}" for key, value in values.items() if value not in (None, "", [], {}))

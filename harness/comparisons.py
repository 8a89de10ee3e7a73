"""`reads: "== v1"`: a condition on a probe's reading, as probe and mechanism expectations write it.

Probes read whatever the stack says: a status code, a JSON value, a Prometheus sample, a command's output.
A condition compares numbers when its value is a number (`< 0.5`, `== 0`: a reading "0.0" is 0) and text
otherwise (`== v1`, `!= DOWN`); a quoted value is always text (`== "200"`). Ordering needs numbers: a
reading that is not one never satisfies `<`, `<=`, `>` or `>=`, rather than being compared as text.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_CONDITION = re.compile(r"^\s*(==|!=|<=|>=|<|>)\s*(.*?)\s*$")
_QUOTED = re.compile(r"""^(["'])(.*)\1$""")
_NUMERIC: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
MAX_SHOWN = 60
"""A reading longer than this is cut when a message quotes it."""


@dataclass(frozen=True)
class Comparison:
    op: str
    value: str | float
    """A float: compared as numbers; a str: as text."""
    text: str
    """As written, for messages."""

    def holds(self, reading: object) -> bool:
        """Whether `reading` (a JSON value or a command's text) satisfies the condition."""
        if isinstance(self.value, float):
            number = as_number(reading)
            return number is not None and _NUMERIC[self.op](number, self.value)
        return (as_text(reading) == self.value) == (self.op == "==")


def as_number(reading: object) -> float | None:
    """The reading as a finite number, or None: booleans are not numbers, "0.0" and " 3 " are."""
    if isinstance(reading, bool):
        return None
    if isinstance(reading, int | float):
        number = float(reading)
    elif isinstance(reading, str):
        try:
            number = float(reading.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_text(reading: object) -> str:
    """The reading as a condition's text compares it: JSON's words for true, false and null."""
    if isinstance(reading, bool):
        return "true" if reading else "false"
    if reading is None:
        return "null"
    if isinstance(reading, float) and reading.is_integer():
        return str(int(reading))
    return str(reading)


def shown(reading: object) -> str:
    """A reading quoted in a message: numbers compactly, long text cut."""
    number = as_number(reading) if not isinstance(reading, str) else None
    text = f"{number:g}" if number is not None else as_text(reading)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


@cache
def parse_comparison(text: str) -> Comparison:
    """ValueError (its message fit for a scenario error) when `text` is not `OP VALUE`."""
    match = _CONDITION.match(text)
    if match is None or not match.group(2):
        raise ValueError(
            f"invalid condition {text!r}: write an operator (==, !=, <, <=, >, >=) and a value, "
            "e.g. '== v1' or '< 0.5'"
        )
    op, written = match.groups()
    quoted = _QUOTED.match(written)
    number = None if quoted else as_number(written)
    if number is not None:
        return Comparison(op, number, text.strip())
    if op not in ("==", "!="):
        raise ValueError(
            f"{text!r}: {op} compares numbers, and {written} is not one (== and != compare text)"
        )
    return Comparison(op, quoted.group(2) if quoted else written, text.strip())


def check_condition(text: str) -> str:
    """A pydantic validator: the condition as written, once it parses."""
    parse_comparison(text)
    return text

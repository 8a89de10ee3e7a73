"""What every part of the scenario schema shares: unknown keys are errors, and names are safe to put in
file, proxy and container names."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
MAX_NAME_LENGTH = 64
"""Names end up in run directories, proxy, container and file names: long ones collide or overflow."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_unique(names: list[str], what: str) -> None:
    """ValueError naming every name given more than once: nodes are found and targeted by name."""
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} names: {', '.join(duplicates)}")


def check_name(value: str) -> str:
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(f"too long ({len(value)} characters; at most {MAX_NAME_LENGTH})")
    if not NAME.fullmatch(value):
        raise ValueError(f"invalid name {value!r}: use lower-case letters, digits, '-', '_' or '.'")
    return value

"""Everything checked before a drill starts, in one function that `validate`, `plan` and `run` all call.

One code path is the point: a check that only `run` made (the load worker's feature and replay checks,
the seed, overlapping faults on the node a seed picks) would let `validate` pass a file `run` refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.errors import InputError
from harness.plan import Plan, resolve_plan
from harness.scenario import load_scenario
from harness.scenario.model import MAX_SEED


def preflight(
    path: Path, overrides: Sequence[str] = (), seed: int | None = None, base: Path | None = None
) -> Plan:
    """Load, check and resolve `path` into the plan a run executes; InputError (one line) otherwise.

    `base`: where relative paths in the file resolve (default: its folder), as in `load_scenario`."""
    if seed is not None and not 0 <= seed < MAX_SEED:
        raise InputError("--seed: a seed is an integer from 0 to 2**64 - 1")
    scenario = load_scenario(path, overrides, base)
    try:
        return resolve_plan(scenario, seed)
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None

"""A run directory's `summary.json` read back as the `RunSummary` it was written from.

Tolerant of files written by other versions: fields this version does not know are left out, and those
it added since (e.g. an expectation's `status`) take their defaults, so older run directories import.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.verify.results import ExpectationResult, FaultRecord, FaultResponse, RunSummary, SloFigures

SUMMARY_FILE = "summary.json"


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def _fault(data: dict[str, Any]) -> FaultRecord:
    fault = FaultRecord(**_known(FaultRecord, data))
    if isinstance(fault.response, dict):
        fault.response = FaultResponse(**_known(FaultResponse, fault.response))
    return fault


def summary_from_dict(data: dict[str, Any]) -> RunSummary:
    values = _known(RunSummary, data)
    values["slo"] = SloFigures(**_known(SloFigures, data["slo"]))
    values["expectations"] = [ExpectationResult(**_known(ExpectationResult, e)) for e in data["expectations"]]
    values["faults"] = [_fault(f) for f in data["faults"]]
    return RunSummary(**values)


def read_summary(run_dir: Path) -> RunSummary:
    path = run_dir / SUMMARY_FILE
    try:
        return summary_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise InputError(
            f"{run_dir}: no {SUMMARY_FILE} (an unfinished run? `chaosdrill report {run_dir}` writes it)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a chaosdrill run summary: {type(exc).__name__}: {exc}") from None

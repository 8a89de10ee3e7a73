"""A run directory read back as one record of the run: what verification and every report are computed from.

The runner writes each file as the run goes (events line by line, samples streamed, state polled), so a
run that just ended, one that was interrupted and one whose harness was SIGKILLed are all read the same
way: `chaosdrill report RUN_DIR` and the end of `chaosdrill run` share this one path. Fault records are
rebuilt from the plan and the events (applied, cleared, errors), never taken from memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import InputError
from harness.load.files import SAMPLES_FILE
from harness.load.process import load_summary
from harness.load.samples import read_samples
from harness.plan import Plan
from harness.probe_monitor import PROBES_FILE
from harness.run_dir import RUN_FILE
from harness.run_identity import RunIdentity
from harness.stack_monitor import STATE_FILE
from harness.verify.results import FaultRecord

EVENTS_FILE = "events.jsonl"
SCENARIO_COPY = "scenario.yaml"

FORMAT = 1
"""Version of the run directory's layout (run.json, events, samples): a reader refuses newer ones."""
KILLED = "the harness stopped before the run finished (no teardown was recorded: killed?)"


@dataclass(frozen=True)
class RunInfo:
    """run.json: what it takes to read the run back (which scenario, with which overrides and seed)."""

    identity: RunIdentity
    scenario_file: str
    """Absolute path of the scenario as given; its folder resolves the scenario's relative paths."""
    overrides: list[str]
    seed: int

    def write(self, run_dir: Path) -> None:
        data = {"format": FORMAT, **self.identity.to_dict(), "scenario_file": self.scenario_file,
                "overrides": self.overrides, "seed": self.seed}  # fmt: skip
        (run_dir / RUN_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")

    @classmethod
    def read(cls, run_dir: Path) -> RunInfo:
        path = run_dir / RUN_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if int(data["format"]) > FORMAT:
                raise InputError(f"{path}: written by a newer chaosdrill (run format {data['format']})")
            return cls(RunIdentity.from_dict(data), str(data["scenario_file"]), list(data["overrides"]),
                       int(data["seed"]))  # fmt: skip
        except FileNotFoundError:
            raise InputError(f"{run_dir}: not a chaosdrill run directory (no {RUN_FILE})") from None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: unreadable run record: {exc}") from None


@dataclass
class Journal:
    run_dir: Path
    info: RunInfo
    events: list[dict[str, Any]]
    faults: list[FaultRecord]
    samples: pd.DataFrame
    snapshots: list[dict[str, Any]]
    probe_readings: list[dict[str, Any]]
    """probes.jsonl: every reading of the scenario's probes."""
    load: dict[str, Any]
    started_at: float
    load_started_at: float | None
    finished_at: float | None
    """When the stack was stopped; None if the harness died first."""
    interruptions: list[str]
    errors: list[str]
    halt: str | None = None
    """Why a safety halt stopped the drill, in one line (from its `halted` event); None: no halt."""


def read_journal(run_dir: Path, info: RunInfo, plan: Plan) -> Journal:
    events = read_jsonl(run_dir / EVENTS_FILE)
    first = {e.get("event"): e for e in reversed(events)}
    stopped = first.get("stack_stopped")
    interruptions = [str(e.get("error")) for e in events if e.get("event") == "interrupted"]
    if stopped is None and not interruptions:
        interruptions.append(KILLED)
    started = first.get("run_started")
    load_started = first.get("load_started")
    return Journal(
        run_dir=run_dir,
        info=info,
        events=events,
        faults=fault_records(plan, events),
        samples=_samples(run_dir / SAMPLES_FILE),
        snapshots=read_jsonl(run_dir / STATE_FILE),
        probe_readings=read_jsonl(run_dir / PROBES_FILE),
        load=load_summary(run_dir, plan.scenario.load.mode),
        started_at=float(started["t"]) if started else info.identity.pid_started_at,
        load_started_at=float(load_started["t"]) if load_started else None,
        finished_at=float(stopped["t"]) if stopped else None,
        interruptions=interruptions,
        errors=[str(e.get("error")) for e in events if e.get("event") == "run_error"],
        halt=halt_reason(first["halted"], load_started) if "halted" in first else None,
    )


def halt_reason(halted: dict[str, Any], load_started: dict[str, Any] | None) -> str:
    """`halted at 12.3s of load: errors rate > 30% over 2s (observed ...)`: which condition, when, what."""
    when = f" at {float(halted['t']) - float(load_started['t']):.1f}s of load" if load_started else ""
    return f"halted{when}: {halted.get('condition')} (observed {halted.get('value')})"


def fault_records(plan: Plan, events: list[dict[str, Any]]) -> list[FaultRecord]:
    """Each planned fault as it really happened, from its `fault_*` events."""
    records = {f.spec.name: f.record() for f in plan.faults}
    for event in events:
        record = records.get(str(event.get("fault")))
        if record is None:
            continue
        match event.get("event"):
            case "fault_applied":
                record.applied_at = float(event["t"])
            case "fault_error":
                record.error = str(event.get("error"))
            case "fault_cleared":
                record.cleared_at = float(event["t"])
            case "fault_clear_error":
                record.clear_error = str(event.get("error"))
            case "fault_skipped":
                record.skipped = str(event.get("reason"))
    return list(records.values())


def _samples(path: Path) -> pd.DataFrame:
    try:
        return read_samples(path)
    except (ValueError, KeyError) as exc:  # pandas' parse errors are ValueErrors; a missing column a KeyError
        raise InputError(f"{path}: unreadable samples: {type(exc).__name__}: {exc}") from None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every complete JSON line; a last line cut short by a killed writer is left out."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records

"""Run a suite: every drill checked first, then each run on its own stack, one after another.

A drill file with a mistake stops the suite before anything starts (one line, exit 2), as `run` would. A
drill that cannot start (a busy port) is an `error` and the suite goes on; an interrupted drill (Ctrl-C,
SIGTERM) stops the suite, whose remaining drills are reported as not run. The suite's exit code is its
worst drill's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from harness.errors import HarnessError, InputError
from harness.history.location import HistoryLocation
from harness.history.recording import record_run
from harness.history.rows import RunLabels
from harness.interrupts import Interrupted
from harness.preflight import preflight
from harness.runner import RunOptions, run_drill
from harness.suite.model import Suite, SuiteEntry
from harness.verify.results import RunSummary, Verdict
from harness.verify.verdict import EXIT_CODES

SEVERITY: list[Verdict] = ["pass", "fail", "halted", "error", "incomplete"]
"""Verdicts from best to worst: a suite is as bad as its worst drill."""
NOT_RUN = "not run"


@dataclass
class DrillResult:
    entry: SuiteEntry
    run_dir: Path
    summary: RunSummary | None = None
    error: str | None = None
    """Why the drill has no summary: it could not start, or the suite stopped before it."""
    history_error: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.summary is not None:
            return self.summary.verdict
        return "incomplete" if self.error == NOT_RUN else "error"


@dataclass
class SuiteOptions:
    out_dir: Path | None = None
    backend: str | None = None
    overrides: list[str] = field(default_factory=list)
    """`--set` for every drill, after each drill's own."""
    history: HistoryLocation | None = None
    stack_version: str | None = None
    reports_root: Path = Path("reports")


@dataclass
class SuiteResult:
    name: str
    out_dir: Path
    drills: list[DrillResult]

    @property
    def verdict(self) -> Verdict:
        return max((d.verdict for d in self.drills), key=SEVERITY.index, default="pass")

    @property
    def exit_code(self) -> int:
        code = EXIT_CODES[self.verdict]
        if code < EXIT_CODES["error"] and any(d.history_error for d in self.drills):
            return EXIT_CODES["error"]
        return code


def checked_entries(suite: Suite, options: SuiteOptions) -> list[SuiteEntry]:
    """Every drill preflighted (as `validate` would), named, and its names unique; InputError otherwise."""
    entries: list[SuiteEntry] = []
    seen: dict[str, Path] = {}
    for entry in suite.entries:
        full = replace(entry, overrides=[*entry.overrides, *options.overrides, *_backend(options)])
        plan = preflight(full.scenario, full.overrides, full.seed)
        named = replace(full, id=full.id or plan.scenario.name)
        if named.id in seen:
            raise InputError(
                f"{named.scenario}: drill id {named.id!r} is also {seen[named.id]}'s; give one of them an "
                "`id` in the suite file"
            )
        seen[named.id] = named.scenario
        entries.append(named)
    return entries


def _backend(options: SuiteOptions) -> list[str]:
    return [f"stack.backend={options.backend}"] if options.backend else []


def suite_dir(name: str, options: SuiteOptions) -> Path:
    out = options.out_dir or options.reports_root / f"suite-{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"--out {out}: exists and is not an empty folder; use another")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create it: {exc.strerror or exc}") from None
    return out


def run_suite(
    suite: Suite, options: SuiteOptions, on_drill: Callable[[DrillResult], None] = lambda _: None
) -> SuiteResult:
    entries = checked_entries(suite, options)
    out = suite_dir(suite.name, options)
    drills = [DrillResult(e, out / f"{i:02d}-{e.id}") for i, e in enumerate(entries, start=1)]
    result = SuiteResult(suite.name, out, drills)
    for index, drill in enumerate(drills):
        try:
            _run_one(drill, suite.name, options)
        except Interrupted:
            drill.error = NOT_RUN
        on_drill(drill)
        if drill.verdict == "incomplete":
            for rest in drills[index + 1 :]:
                rest.error = NOT_RUN
                on_drill(rest)
            break
    return result


def _run_one(drill: DrillResult, suite_name: str, options: SuiteOptions) -> None:
    entry = drill.entry
    run_options = RunOptions(out_dir=drill.run_dir, seed=entry.seed, overrides=entry.overrides)
    try:
        drill.summary = run_drill(entry.scenario, run_options).summary
    except HarnessError as exc:
        drill.error = str(exc)
        return
    if options.history is not None:
        try:
            record_run(options.history, drill.summary, RunLabels(options.stack_version, suite_name))
        except HarnessError as exc:
            drill.history_error = str(exc)

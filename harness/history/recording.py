"""Putting runs into the history: each run as it ends (`run`, `suite`), and run directories afterwards
(`chaosdrill history import`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.errors import HarnessError
from harness.history.location import HistoryLocation
from harness.history.rows import RunLabels
from harness.history.store import History
from harness.history.summaries import SUMMARY_FILE, read_summary
from harness.journal import RunInfo
from harness.run_dir import RUN_FILE
from harness.verify.results import RunSummary


def record_run(location: HistoryLocation, summary: RunSummary, labels: RunLabels) -> None:
    """Record a run that just ended; its labels go into its run directory too, for a later import."""
    labels.write(Path(summary.run_dir))
    with History(location) as history:
        history.record(summary, labels)


@dataclass
class ImportResult:
    imported: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    """One line per run directory left out, saying why."""


def run_dirs(paths: list[Path]) -> list[Path]:
    """Each path itself if it is a run directory, else every run directory below it (a suite's, a
    `reports/` folder); a path that is neither is an error naming it."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise HarnessError(f"{path}: no such directory")
        if _is_run_dir(path):
            found.append(path)
            continue
        below = sorted({p.parent for name in (RUN_FILE, SUMMARY_FILE) for p in path.rglob(name)})
        found += [d for d in below if _is_run_dir(d)]
    return list(dict.fromkeys(found))


def _is_run_dir(path: Path) -> bool:
    return (path / RUN_FILE).is_file() or (path / SUMMARY_FILE).is_file()


def import_runs(location: HistoryLocation, paths: list[Path], stack_version: str | None) -> ImportResult:
    """Record every run directory under `paths`; one imported again replaces its earlier record."""
    result = ImportResult()
    directories = run_dirs(paths)
    with History(location) as history:
        for directory in directories:
            try:
                summary = read_summary(directory)
                if not summary.run_id:
                    summary = replace(summary, run_id=RunInfo.read(directory).identity.run_id)
            except HarnessError as exc:
                result.skipped.append(str(exc))
                continue
            summary = replace(summary, run_dir=str(directory.resolve()))
            labels = RunLabels.read(directory)
            if stack_version is not None:
                labels = replace(labels, stack_version=stack_version)
            history.record(summary, labels)
            result.imported.append(directory)
    return result

"""The run directory: one run's files only, so a report can never mix an older run's results with new samples.

A directory that is not empty is refused; `--force` empties it, but only when it looks like a run directory
(so a mistyped `--out ~` is never emptied).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from harness.errors import InputError

RUN_FILE = "run.json"
_RUN_MARKERS = (RUN_FILE, "summary.json", "events.jsonl", "samples.csv")


def prepare_run_dir(out: Path | None, reports_root: Path, name: str, run_id: str, *, force: bool) -> Path:
    """Create the run directory (`--out`, else `reports/<name>-<UTC time>`) and return it, empty."""
    if out is None:
        out = reports_root / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"
        if out.exists():  # a second run of the same drill within the same second
            out = out.with_name(f"{out.name}-{run_id}")
    label = f"--out {out}"
    if out.exists() and not out.is_dir():
        raise InputError(f"{label}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise InputError(
                f"{label}: not empty (an earlier run's files would mix with this run's); "
                "use --force to empty it, or another directory"
            )
        if not any((out / marker).exists() for marker in _RUN_MARKERS):
            raise InputError(
                f"{label}: not empty and not a chaosdrill run directory; --force empties only those"
            )
        _empty(out, label)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".chaosdrill-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"{label}: cannot write the run directory: {exc.strerror or exc}") from None
    return out


def _empty(directory: Path, label: str) -> None:
    try:
        for child in directory.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    except OSError as exc:
        raise InputError(f"{label}: cannot empty it for --force: {exc.strerror or exc}") from None

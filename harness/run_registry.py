"""Runs in progress on this machine, one small file each, so `cleanup` can tell a dead run from a live one.

Containers carry their run's identity in labels, but proxies on a shared Toxiproxy server carry only a name:
the registry maps a run id to its harness process and the Toxiproxy server it used. A run removes its entry
when it ends; a SIGKILLed run leaves it behind for `cleanup` to find.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from harness.run_identity import RunIdentity

STATE_DIR_ENV = "CHAOSDRILL_STATE_DIR"


def registry_dir() -> Path:
    """`$CHAOSDRILL_STATE_DIR/runs`, else `$XDG_STATE_HOME/chaosdrill/runs` (~/.local/state by default)."""
    base = os.environ.get(STATE_DIR_ENV)
    if not base:
        state_home = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        base = str(Path(state_home) / "chaosdrill")
    return Path(base) / "runs"


@dataclass(frozen=True)
class RegisteredRun:
    identity: RunIdentity
    run_dir: str
    toxiproxy_url: str | None
    """A Toxiproxy server outside the run (scenario `toxiproxy.url`); None: the embedded one."""

    def to_dict(self) -> dict[str, object]:
        return {**self.identity.to_dict(), "run_dir": self.run_dir, "toxiproxy_url": self.toxiproxy_url}


@contextlib.contextmanager
def registered(run: RegisteredRun) -> Iterator[None]:
    """The run is listed while the block runs; the entry stays behind only if the harness is killed."""
    path = _entry(run.identity.run_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(json.dumps(run.to_dict()), encoding="utf-8")
    except OSError:
        pass  # an unwritable state directory costs `cleanup` its memory of this run, not the run itself
    try:
        yield
    finally:
        forget(run.identity.run_id)


def registered_runs() -> list[RegisteredRun]:
    runs = []
    for path in sorted(registry_dir().glob("*.json")) if registry_dir().is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            identity = RunIdentity.from_dict(data)
            runs.append(RegisteredRun(identity, str(data["run_dir"]), data["toxiproxy_url"]))
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a half-written entry of a run killed while registering: nothing to act on
    return runs


def forget(run_id: str) -> None:
    with contextlib.suppress(OSError):
        _entry(run_id).unlink(missing_ok=True)


def _entry(run_id: str) -> Path:
    return registry_dir() / f"{run_id}.json"

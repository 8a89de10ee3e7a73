"""Polls the gateway's `/admin/state` during a drill into `stack_state.jsonl` (on disk, not in memory).

Resilience mechanisms act inside the stack (a breaker opens, a canary is rolled back, a drift alert fires);
the harness can only verify *when* they acted by watching. Polling in a thread keeps the scheduler's timing
independent of a slow or hung gateway.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from harness.background import BackgroundLoop
from harness.events import EventLog

STATE_FILE = "stack_state.jsonl"


class StackMonitor(BackgroundLoop):
    """Only the reference gateway has `/admin/state`; for a user's compose stack the runner starts none."""

    def __init__(self, state_url: str, path: Path, interval_s: float = 0.25):
        super().__init__("stack-monitor")
        self.state_url = state_url
        self.path = path
        self.interval_s = interval_s

    def _run(self) -> None:
        with (
            httpx.Client(timeout=self.interval_s * 4) as client,
            self.path.open("a", encoding="utf-8") as out,
        ):
            while not self._stop.is_set():
                polled_at = time.time()
                try:
                    state = client.get(self.state_url).json()
                except (httpx.HTTPError, ValueError):
                    state = None
                if isinstance(state, dict):
                    state.pop("mechanisms", None)  # static; gateway.json in the run directory has it
                    snapshot = {"polled_at": polled_at, **state}
                    out.write(json.dumps(snapshot) + "\n")
                    out.flush()
                self._stop.wait(max(0.0, self.interval_s - (time.time() - polled_at)))


def watch_stack_state(events: EventLog, probes_state: bool, run_dir: Path) -> None:
    """Poll the stack's state from `stack_ready` until the teardown starts, where the stack exposes it
    (after the drill, before its stack goes away: no polls of a gateway that is being stopped)."""
    if not probes_state:
        return
    events.watch_between(
        "stack_ready",
        ("teardown_started",),
        lambda ready: StackMonitor(f"{ready['gateway']}/admin/state", run_dir / STATE_FILE),
    )

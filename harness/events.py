"""`events.jsonl`: what really happened when, written line by line so a crash loses nothing.

The log is also the run's lifecycle hooks, as Locust's event hooks are: a feature subscribes to the events
it cares about (`stack_ready`, `fault_applied`, `stack_stopped`, ...) instead of being wired into the
runner by hand, so a new feature does not grow `runner.py`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

Handler = Callable[[dict[str, Any]], None]


class Monitor(Protocol):
    """What watches the run between two of its events (stack state, probes, halt conditions)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


LIFECYCLE = (
    "run_started", "stack_ready", "load_started", "fault_applied", "fault_cleared", "load_stopped",
    "teardown_started", "stack_stopped", "run_finished",
)  # fmt: skip
"""The events every run emits in this order (faults as they happen); features subscribe to these."""


class EventLog:
    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")
        self._handlers: dict[str, list[Handler]] = {}

    def subscribe(self, event: str, handler: Handler) -> None:
        """Call `handler(record)` after each `event` is written; its exceptions are the emitter's."""
        self._handlers.setdefault(event, []).append(handler)

    def watch_between(
        self, start: str, stops: tuple[str, ...], make: Callable[[dict[str, Any]], Monitor]
    ) -> None:
        """When `start` is emitted, start what `make` builds from its record; stop it on each of `stops`
        (stopping twice is harmless)."""
        started: list[Monitor] = []

        def on_start(record: dict[str, Any]) -> None:
            started.append(make(record))
            started[-1].start()

        def on_stop(_record: dict[str, Any]) -> None:
            for monitor in started:
                monitor.stop()

        self.subscribe(start, on_start)
        for stop in stops:
            self.subscribe(stop, on_stop)

    def emit(self, event: str, t: float | None = None, **fields: Any) -> dict[str, Any]:
        record = {"t": time.time() if t is None else t, "event": event, **fields}
        with self._lock:
            if not self._file.closed:
                self._file.write(json.dumps(record, default=str) + "\n")
                self._file.flush()
        for handler in self._handlers.get(event, ()):
            handler(record)
        return record

    def close(self) -> None:
        with self._lock:
            self._file.close()

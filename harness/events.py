"""`events.jsonl`: what really happened when, written line by line so a crash loses nothing."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any


class EventLog:
    def __init__(self, path: Path):
        self.path = path
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def emit(self, event: str, t: float | None = None, **fields: Any) -> dict[str, Any]:
        record = {"t": time.time() if t is None else t, "event": event, **fields}
        with self._lock:
            self.events.append(record)
            if not self._file.closed:
                self._file.write(json.dumps(record, default=str) + "\n")
                self._file.flush()
        return record

    def close(self) -> None:
        with self._lock:
            self._file.close()

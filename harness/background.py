"""A run's background loops: each monitor (stack state, halt conditions, live progress) polls in a daemon
thread of its own, so a slow or hung stack never delays the scheduler's timing, and stops when told."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """Runs `_run` in a daemon thread from `start()`; `_run` returns once `_stop` is set."""

    def __init__(self, name: str, join_timeout_s: float = 5.0):
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._join_timeout_s = join_timeout_s

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self._join_timeout_s)

    def _run(self) -> None:
        raise NotImplementedError

"""SIGINT and SIGTERM from process start to exit, in two modes.

While the drill runs, a signal raises `Interrupted` at once: the run stops where it is. Once the run is
winding down (faults being cleared, processes stopped, the report written), stopping half-way would leave
faults applied or no report, so a signal is *noted* instead: the wind-down completes, the run is marked
incomplete and the exit code is 130. Nothing ever swallows a signal silently.

`Interrupted` is a `BaseException`, like `KeyboardInterrupt`, so the `except Exception` blocks that keep a
drill going past one failed injector cannot swallow it.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

EXIT_INTERRUPTED = 130
SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while the drill was running."""

    def __init__(self, signal_name: str):
        super().__init__(signal_name)
        self.signal_name = signal_name


def _raise_interrupted(signum: int, _frame: object) -> None:
    raise Interrupted(signal.Signals(signum).name)


def raise_on_signals() -> None:
    """Installed first thing by the CLI, so a Ctrl-C during start-up (imports) is an interrupt too."""
    for sig in SIGNALS:
        signal.signal(sig, _raise_interrupted)


@contextmanager
def raising_signals() -> Iterator[None]:
    """Signals raise `Interrupted` inside the block; the previous handlers come back after it."""
    previous = {s: signal.signal(s, _raise_interrupted) for s in SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


class NotedSignals:
    """Signals that arrived while the run was winding down, in order (`SIGINT`, `SIGTERM`, ...)."""

    def __init__(self, on_signal: Callable[[str], None] | None = None):
        self.received: list[str] = []
        self._on_signal = on_signal

    def __bool__(self) -> bool:
        return bool(self.received)

    @property
    def first(self) -> str | None:
        return self.received[0] if self.received else None

    def handle(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        self.received.append(name)
        print(
            f"chaosdrill: {name} noted; finishing the wind-down (faults cleared, processes stopped, "
            "report written) before exiting with 130",
            file=sys.stderr,
            flush=True,
        )
        if self._on_signal is not None:
            self._on_signal(name)


@contextmanager
def noting_signals(noted: NotedSignals) -> Iterator[NotedSignals]:
    """Signals inside the block are recorded in `noted` and announced, never acted on half-way."""
    previous = {s: signal.signal(s, noted.handle) for s in SIGNALS}
    try:
        yield noted
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)

"""SIGINT and SIGTERM from process start to exit, in two modes.

While the drill runs, a signal raises `Interrupted` at once: the run stops where it is. Once the run is
winding down (faults being cleared, processes stopped, the report written), stopping half-way would leave
faults applied or no report, so a signal is *noted* instead: the wind-down completes, the run is marked
incomplete and the exit code is 130. Nothing ever swallows a signal silently.

`Interrupted` is a `BaseException`, like `KeyboardInterrupt`, so the `except Exception` blocks that keep a
drill going past one failed injector cannot swallow it. Python itself can: an exception raised while an
at-fork hook runs (logging has one, run in the parent after every process spawn) or a `__del__` is printed
as "Exception ignored" and dropped. So a signal is also remembered until the drill has acted on it:
`check_interrupted()` at the drill's checkpoints (spawns, readiness waits, the fault timeline) raises it
again, and leaving `raising_signals()` with one pending raises it at the latest.
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


_pending: str | None = None
"""The signal raised as `Interrupted` and not yet acted on (None once the raise reached the drill)."""


def _raise_interrupted(signum: int, _frame: object) -> None:
    global _pending
    _pending = signal.Signals(signum).name
    raise Interrupted(_pending)


def _quiet_when_swallowed(unraisable: sys.UnraisableHookArgs) -> None:
    """An Interrupted that Python dropped is pending and will be acted on: not worth a traceback."""
    if not isinstance(unraisable.exc_value, Interrupted):
        sys.__unraisablehook__(unraisable)


def check_interrupted() -> None:
    """Raise an interrupt whose first raise something swallowed; a no-op without one."""
    if _pending is not None:
        raise Interrupted(_pending)


def raise_on_signals() -> None:
    """Installed first thing by the CLI, so a Ctrl-C during start-up (imports) is an interrupt too."""
    sys.unraisablehook = _quiet_when_swallowed
    for sig in SIGNALS:
        signal.signal(sig, _raise_interrupted)


@contextmanager
def raising_signals() -> Iterator[None]:
    """Signals raise `Interrupted` inside the block; the previous handlers come back after it."""
    global _pending
    previous = {s: signal.signal(s, _raise_interrupted) for s in SIGNALS}
    previous_hook, sys.unraisablehook = sys.unraisablehook, _quiet_when_swallowed
    _pending = None
    try:
        yield
        check_interrupted()  # swallowed and never met a checkpoint: it still ends the drill
    finally:
        _pending = None
        sys.unraisablehook = previous_hook
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

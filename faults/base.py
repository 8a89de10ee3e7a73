"""The contract every fault injector fulfils, so the scheduler can treat them alike."""

from __future__ import annotations

from typing import Any, Protocol


class Fault(Protocol):
    """An injected fault: `apply` makes it take effect, `clear` undoes it and must be safe to repeat."""

    description: str

    def apply(self) -> dict[str, Any]:
        """Inject the fault; returns details worth recording (e.g. the pid that was killed)."""
        ...

    def clear(self) -> None:
        """Undo the fault. Called at the end of its window and on every exit path, so idempotent."""
        ...

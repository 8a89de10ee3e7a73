"""The contract every fault injector fulfils, so the scheduler can treat them alike."""

from __future__ import annotations

from typing import Any, Protocol


class Injector(Protocol):
    """Carries out one fault on one target: `apply` makes it take effect, `clear` undoes it and must be
    safe to repeat. Fault kinds (`faults/kinds/`) build them; the scheduler applies and clears them."""

    description: str

    def apply(self) -> dict[str, Any]:
        """Inject the fault; returns details worth recording (e.g. the pid that was killed)."""
        ...

    def clear(self) -> None:
        """Undo the fault. Called at the end of its window and on every exit path, so idempotent."""
        ...

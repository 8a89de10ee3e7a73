"""Data drift as a fault on the timeline.

The drift itself is done by the load worker to the rows it sends (`harness/load/drift.py`), because only
the client knows each request's intended send time; this injector gives the timeline its record of when
the drift started and ended, like every other fault.
"""

from __future__ import annotations

from typing import Any


class RequestDrift:
    def __init__(self, name: str, params: dict[str, Any]):
        self.params = params
        self.description = f"data drift {name}: {params}"

    def apply(self) -> dict[str, Any]:
        return {"applied_by": "load worker", **self.params}

    def clear(self) -> None:
        """The worker stops drifting at the end of the window by itself."""

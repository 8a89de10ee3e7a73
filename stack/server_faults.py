"""Faults only the model-server process itself can produce (GPU Xid errors, CUDA OOM, throttling, hangs).

Network faults belong to the proxy; these are the failure modes that originate inside the serving
process, exposed through the token-protected /admin/faults hook so drills can trigger them on demand.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_XID_MESSAGE = "CUDA error: an illegal memory access was encountered (Xid 79)"


class FaultSettings(BaseModel):
    """Active faults; every field defaults to 'no fault'."""

    model_config = ConfigDict(extra="forbid", strict=True)

    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    error_status: int = Field(503, ge=500, le=599)
    error_message: str = Field(DEFAULT_XID_MESSAGE, min_length=1, max_length=500)
    slowdown: float = Field(1.0, ge=1.0, le=1000.0)
    hang: bool = False
    oom_batch_size: int | None = Field(None, ge=1)


class FaultState:
    """Holds the active faults and the gate that hung requests wait on until the hang is cleared."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._released = asyncio.Event()
        self._released.set()

    def update(self, changes: dict[str, object]) -> FaultSettings:
        """Merge a partial update so drills can layer faults (e.g. slowdown during an error burst)."""
        merged = FaultSettings.model_validate({**self.settings.model_dump(), **changes})
        self._apply(merged)
        return merged

    def clear(self) -> None:
        self._apply(FaultSettings())

    def _apply(self, settings: FaultSettings) -> None:
        self.settings = settings
        if settings.hang:
            self._released.clear()
        else:
            self._released.set()

    async def wait_while_hung(self) -> None:
        await self._released.wait()

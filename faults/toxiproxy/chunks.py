"""The unit that flows through a link: bytes stamped with the loop time they reached a stage, or EOF."""

from __future__ import annotations

from typing import Final

Chunk = tuple[bytes, float]
Item = Chunk | None

# The end of a stream; ``None`` keeps the per-chunk hot path free of wrapper objects.
EOF: Final = None

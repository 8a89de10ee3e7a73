"""What each toxic does to a stream of chunks, following Toxiproxy 2.x's toxics/*.go.

Each behaviour is a coroutine driving one ``Stage``: it takes chunks from the stage's inbox and passes
them on, splits, delays or drops them, or ends the stream. The stage keeps the chunk being worked on as
"held", so removing or updating a toxic mid-delay hands that chunk on instead of losing it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Protocol

from .chunks import EOF, Chunk, Item


class Stage(Protocol):
    """What a behaviour drives: one running toxic on one link (`link.ToxicStage` is the real one)."""

    state: dict[str, int]

    def attribute(self, key: str) -> int: ...

    async def take(self) -> Item: ...

    async def take_data(self) -> Chunk | None: ...

    def pass_on(self) -> None: ...

    def pass_part(self, size: int) -> None: ...

    def drop(self) -> None: ...

    def close_stream(self) -> None: ...

    def reset_connection(self) -> None: ...


Behaviour = Callable[[Stage], Awaitable[None]]

# Removing one of these closes the stream (Toxiproxy's CleanupToxic): the data it swallowed is gone,
# so letting the connection carry on would hand the peer a corrupt stream.
CLOSES_ON_REMOVAL = frozenset({"timeout"})


async def pass_through(stage: Stage) -> None:
    while await stage.take_data() is not None:
        stage.pass_on()


async def latency(stage: Stage) -> None:
    """Delay each chunk by latency ± jitter ms from its arrival at this toxic, so chunks pipeline."""
    loop = asyncio.get_running_loop()
    while (chunk := await stage.take_data()) is not None:
        delay_ms = stage.attribute("latency")
        jitter = stage.attribute("jitter")
        if jitter > 0:
            delay_ms += random.randrange(2 * jitter) - jitter
        wait = chunk[1] + delay_ms / 1000 - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        stage.pass_on()


async def bandwidth(stage: Stage) -> None:
    """Limit to ``rate`` KB/s (1 KB = 1000 bytes); big chunks go out in 100 ms slices, as Toxiproxy does."""
    loop = asyncio.get_running_loop()
    debt = 0.0  # seconds of sending still owed; goes slightly negative to absorb timer oversleep
    while (chunk := await stage.take_data()) is not None:
        rate = stage.attribute("rate")
        if rate <= 0:
            debt = 0.0
            stage.pass_on()
            continue
        remaining = len(chunk[0])
        debt += remaining / (rate * 1000)
        slice_size = rate * 100
        while remaining > slice_size:
            await asyncio.sleep(0.1)
            stage.pass_part(slice_size)
            remaining -= slice_size
            debt -= 0.1
        started = loop.time()
        if debt > 0:
            await asyncio.sleep(debt)
        debt -= loop.time() - started
        stage.pass_on()


async def slow_close(stage: Stage) -> None:
    """Pass data untouched but hold the close back for ``delay`` ms."""
    while True:
        item = await stage.take()
        if item is EOF:
            await asyncio.sleep(stage.attribute("delay") / 1000)
            stage.pass_on()
            return
        stage.pass_on()


async def timeout(stage: Stage) -> None:
    """Swallow all data; close once ``timeout`` ms pass without input (0: never close).

    Toxiproxy re-arms its timer on every chunk it drops, so the clock restarts with each one.
    """
    timeout_ms = stage.attribute("timeout")
    while True:
        try:
            async with asyncio.timeout(timeout_ms / 1000 if timeout_ms > 0 else None):
                item = await stage.take()
        except TimeoutError:
            stage.close_stream()
            return
        if item is EOF:
            stage.pass_on()
            return
        stage.drop()


async def reset_peer(stage: Stage) -> None:
    """On the first input, drop it, wait ``timeout`` ms, then reset both sockets with a TCP RST."""
    await stage.take()
    stage.drop()
    await asyncio.sleep(stage.attribute("timeout") / 1000)
    stage.reset_connection()


def slice_ends(total: int, average: int, variation: int) -> list[int]:
    """End offsets of the slices of a ``total``-byte chunk: halve until a piece is within average ± variation.

    Iterative, and each cut is kept strictly inside its piece, so odd settings (variation ≥ average)
    cannot recurse forever the way Toxiproxy's recursive version can.
    """
    ends: list[int] = []
    pending = [(0, total)]
    while pending:
        start, end = pending.pop()
        if (end - start) - average <= variation:
            ends.append(end)
            continue
        jitter = random.randrange(2 * variation) - variation if variation > 0 else 0
        mid = min(max(start + (end - start) // 2 + jitter, start + 1), end - 1)
        pending.append((mid, end))
        pending.append((start, mid))
    return ends


async def slicer(stage: Stage) -> None:
    """Cut each chunk into slices of about ``average_size`` bytes, ``delay`` µs apart."""
    while (chunk := await stage.take_data()) is not None:
        average = stage.attribute("average_size")
        delay = stage.attribute("delay") / 1_000_000
        if average <= 0:
            stage.pass_on()
            continue
        start = 0
        ends = slice_ends(len(chunk[0]), average, stage.attribute("size_variation"))
        for end in ends[:-1]:
            stage.pass_part(end - start)
            start = end
            await asyncio.sleep(delay)
        stage.pass_on()
        await asyncio.sleep(delay)


async def limit_data(stage: Stage) -> None:
    """Let ``bytes`` bytes through in total, then close; the count survives updates of the toxic."""
    stage.state.setdefault("transmitted", 0)
    while (chunk := await stage.take_data()) is not None:
        allowed = max(stage.attribute("bytes") - stage.state["transmitted"], 0)
        size = len(chunk[0])
        if allowed >= size:
            stage.pass_on()
        else:
            if allowed > 0:
                stage.pass_part(allowed)
            stage.drop()
        stage.state["transmitted"] += min(allowed, size)
        if stage.attribute("bytes") - stage.state["transmitted"] <= 0:
            stage.close_stream()
            return


BEHAVIOURS: dict[str, Behaviour] = {
    "noop": pass_through,
    "latency": latency,
    "bandwidth": bandwidth,
    "slow_close": slow_close,
    "timeout": timeout,
    "reset_peer": reset_peer,
    "slicer": slicer,
    "limit_data": limit_data,
}

"""One direction of a proxied connection: the chain of toxic stages between a source and a destination.

With no toxics a chunk goes straight from ``data_received`` to the destination transport, which keeps the
no-fault overhead near zero. With toxics every stage owns an inbox and a task; stages look up their
successor at hand-off time, so toxics can be appended, replaced or removed on a live link. Everything
runs on the proxy's single event loop thread, so these rewirings are atomic.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterable
from typing import Protocol

from .behaviours import BEHAVIOURS, CLOSES_ON_REMOVAL, Behaviour, pass_through
from .chunks import EOF, Chunk, Item
from .toxics import ToxicSpec


class Endpoint(Protocol):
    """One side of a connection, as a link sees it (`connection.Endpoint` is the real one)."""

    def write(self, data: bytes) -> None: ...

    def set_reading(self, enabled: bool) -> None: ...


class Connection(Protocol):
    """The connection a link belongs to (`connection.Connection` is the real one)."""

    def reset(self) -> None: ...

    def close_endpoint(self, endpoint: Endpoint) -> None: ...


# Bytes a link may hold inside its toxics before it stops reading from the source (backpressure, like
# Toxiproxy's unbuffered channels, so a slow toxic cannot make the proxy buffer without bound).
HIGH_WATER = 1 << 20


class ToxicStage:
    """A running toxic on one link; toxicity is drawn once, when the stage starts."""

    def __init__(
        self, link: Link, spec: ToxicSpec, state: dict[str, int], carried: Iterable[Item] = ()
    ) -> None:
        self.link = link
        self.spec = spec
        self.state = state  # survives updates of the toxic (limit_data's byte count)
        self.inbox: asyncio.Queue[Item] = asyncio.Queue()
        for item in carried:
            self.inbox.put_nowait(item)
        self.held: list[Item] = []
        self.active = random.random() < spec.toxicity
        self.finished = False  # the stream end already went past this stage
        behaviour: Behaviour = BEHAVIOURS[spec.type] if self.active else pass_through
        self.task = asyncio.get_running_loop().create_task(behaviour(self))

    def attribute(self, key: str) -> int:
        return self.spec.attributes[key]

    async def take(self) -> Item:
        item = await self.inbox.get()
        self.held.append(item)
        return item

    async def take_data(self) -> Chunk | None:
        """The next chunk, or None once the stream ended (the end is already passed on)."""
        item = await self.take()
        if item is EOF:
            self.pass_on()
            return None
        return item

    def pass_on(self) -> None:
        item = self.held.pop()
        if item is EOF:
            self.finished = True
        self.link.forward(self, item)

    def pass_part(self, size: int) -> None:
        data, stamp = self.held[0]  # type: ignore[misc]
        self.held[0] = (data[size:], stamp)
        self.link.forward(self, (data[:size], stamp))

    def drop(self) -> None:
        item = self.held.pop()
        if item is not EOF:
            self.link.discard(len(item[0]))

    def close_stream(self) -> None:
        while self.held:
            self.drop()
        self.finished = True
        self.link.forward(self, EOF)

    def reset_connection(self) -> None:
        self.finished = True
        self.link.connection.reset()

    def detach(self, removing: bool) -> list[Item]:
        """Stop the stage and return what it still held, oldest first, for the next stage to take."""
        self.task.cancel()
        items = self.held + [self.inbox.get_nowait() for _ in range(self.inbox.qsize())]
        self.held = []
        if self.finished or (removing and self.active and self.spec.type in CLOSES_ON_REMOVAL):
            for item in items:
                if item is not EOF:
                    self.link.discard(len(item[0]))
            return [] if self.finished else [EOF]
        return items


class Link:
    """Carries bytes read from ``source`` through its stages and writes them to ``dest``."""

    def __init__(
        self, connection: Connection, source: Endpoint, dest: Endpoint, specs: list[ToxicSpec]
    ) -> None:
        self.connection = connection
        self._clock = asyncio.get_running_loop().time
        self.source = source
        self.dest = dest
        self.buffered = 0
        self.dest_paused = False
        self.source_paused = False
        self.ended = False
        self.stages = [ToxicStage(self, spec, {}) for spec in specs]

    def feed(self, item: Item) -> None:
        if item is not EOF:
            self.buffered += len(item[0])
        self._put_at(0, item)
        self._update_flow()

    def forward(self, stage: ToxicStage, item: Item) -> None:
        self._put_at(self.stages.index(stage) + 1, item)

    def discard(self, size: int) -> None:
        self.buffered -= size
        self._update_flow()

    def set_dest_paused(self, paused: bool) -> None:
        self.dest_paused = paused
        self._update_flow()

    def add(self, spec: ToxicSpec) -> None:
        self.stages.append(ToxicStage(self, spec, {}))

    def replace(self, spec: ToxicSpec) -> None:
        index = self._index(spec.name)
        old = self.stages[index]
        self.stages[index] = ToxicStage(self, spec, old.state, old.detach(removing=False))

    def remove(self, name: str) -> None:
        index = self._index(name)
        for item in self.stages.pop(index).detach(removing=True):
            self._put_at(index, item)

    def shutdown(self) -> None:
        for stage in self.stages:
            stage.task.cancel()

    def _index(self, name: str) -> int:
        return next(i for i, stage in enumerate(self.stages) if stage.spec.name == name)

    def _put_at(self, index: int, item: Item) -> None:
        if index < len(self.stages):
            # Stamped on arrival at each stage, so stacked latency toxics add up while chunks pipeline.
            self.stages[index].inbox.put_nowait(item if item is EOF else (item[0], self._clock()))
        elif self.ended:
            return
        elif item is EOF:
            self.ended = True
            self.connection.close_endpoint(self.dest)
        else:
            self.buffered -= len(item[0])
            self.dest.write(item[0])
            self._update_flow()

    def _update_flow(self) -> None:
        pause = self.dest_paused or self.buffered > HIGH_WATER
        if pause != self.source_paused:
            self.source_paused = pause
            self.source.set_reading(not pause)

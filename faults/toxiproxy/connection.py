"""A proxied TCP connection: the client socket, the upstream socket and the two links between them.

Like Toxiproxy, the end of either direction closes both sockets: when a link's stream ends it closes
its destination, and the destination's loss ends the opposite direction in turn.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Callable
from typing import Protocol

from .addresses import parse_host_port
from .chunks import EOF, Item
from .link import Link
from .toxics import DOWNSTREAM, UPSTREAM, ToxicSpec


class Proxy(Protocol):
    """What a connection needs of the proxy that accepted it (`proxy.Proxy` is the real one)."""

    upstream: str
    toxics: list[ToxicSpec]

    def forget(self, connection: Connection) -> None: ...


_LINGER_ZERO = struct.pack("ii", 1, 0)


class Endpoint(asyncio.Protocol):
    """One socket of a connection. ``inbound`` carries what it reads; ``outbound`` writes into it."""

    def __init__(self, on_made: Callable[[], None] | None = None) -> None:
        self._on_made = on_made
        self._clock = asyncio.get_running_loop().time
        self.transport: asyncio.Transport | None = None
        self.inbound: Link | None = None
        self.outbound: Link | None = None
        self.closed = False
        self._input_ended = False
        self._early: list[Item] = []
        self.on_lost: Callable[[], None] = lambda: None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.pause_reading()  # reading starts once both links are wired
        if self._on_made is not None:
            self._on_made()

    def wire(self, inbound: Link, outbound: Link) -> None:
        """Connect the links, then hand over whatever arrived before they existed."""
        self.inbound, self.outbound = inbound, outbound
        early, self._early = self._early, []
        for chunk in early:
            inbound.feed(chunk)

    def data_received(self, data: bytes) -> None:
        # Reading is paused until the links are wired, but Python < 3.11.3 may deliver data anyway
        # (pause_reading in connection_made is ignored there): keep it for the link instead of losing it.
        self._feed((data, self._clock()))

    def _feed(self, chunk: Item) -> None:
        if self.inbound is None:
            self._early.append(chunk)
        else:
            self.inbound.feed(chunk)

    def eof_received(self) -> bool:
        self._end_input()
        return True  # keep writing: the link decides when this socket closes

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._end_input()
        self.on_lost()

    def pause_writing(self) -> None:
        if self.outbound is not None:
            self.outbound.set_dest_paused(True)

    def resume_writing(self) -> None:
        if self.outbound is not None:
            self.outbound.set_dest_paused(False)

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def set_reading(self, enabled: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if enabled:
            self.transport.resume_reading()
        else:
            self.transport.pause_reading()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def abort(self, reset: bool) -> None:
        if self.transport is None or self.closed:
            return
        if reset:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_ZERO)
        self.transport.abort()

    def _end_input(self) -> None:
        if not self._input_ended:
            self._input_ended = True
            self._feed(EOF)


class Connection:
    """Created per accepted client; dials the upstream, then wires the links with the proxy's toxics."""

    def __init__(self, proxy: Proxy) -> None:
        self.proxy = proxy
        self.client = Endpoint(on_made=self._client_made)
        self.client.on_lost = self._maybe_finish
        self.upstream: Endpoint | None = None
        self.links: dict[str, Link] = {}
        self._opening: asyncio.Task[None] | None = None
        self._opened = False
        self._reset = False
        self._finished = False

    def link(self, direction: str) -> Link | None:
        return self.links.get(direction)

    def close_endpoint(self, endpoint: Endpoint) -> None:
        if self._reset:
            endpoint.abort(reset=True)
        else:
            endpoint.close()

    def reset(self) -> None:
        """Abort both sockets with SO_LINGER 0 so each peer sees a TCP RST (ECONNRESET)."""
        self._reset = True
        for endpoint in (self.client, self.upstream):
            if endpoint is not None:
                endpoint.abort(reset=True)

    def abort(self) -> None:
        """Tear down at once (proxy disabled, deleted or server stopping)."""
        if self._opening is not None:
            self._opening.cancel()
        for endpoint in (self.client, self.upstream):
            if endpoint is not None:
                endpoint.abort(reset=False)
        self._finish()

    def _client_made(self) -> None:
        self._opening = asyncio.get_running_loop().create_task(self._open())

    async def _open(self) -> None:
        try:
            host, port = parse_host_port(self.proxy.upstream)
            _, upstream = await asyncio.get_running_loop().create_connection(Endpoint, host, port)
        except (OSError, ValueError):
            self._opened = True
            self.client.close()  # Toxiproxy drops the client when the upstream cannot be dialled
            self._maybe_finish()
            return
        except asyncio.CancelledError:
            self._opened = True
            raise
        self._opened = True
        assert isinstance(upstream, Endpoint)
        self.upstream = upstream
        upstream.on_lost = self._maybe_finish
        if self.client.closed or upstream.closed:
            self.abort()
            return
        toxics = self.proxy.toxics
        up = Link(self, self.client, upstream, [t for t in toxics if t.direction == UPSTREAM])
        down = Link(self, upstream, self.client, [t for t in toxics if t.direction == DOWNSTREAM])
        self.links = {UPSTREAM: up, DOWNSTREAM: down}
        self.client.wire(up, down)
        upstream.wire(down, up)
        self.client.set_reading(True)
        upstream.set_reading(True)

    def _maybe_finish(self) -> None:
        if self._opened and self.client.closed and (self.upstream is None or self.upstream.closed):
            self._finish()

    def _finish(self) -> None:
        if self._finished:
            return
        self._finished = True
        for link in self.links.values():
            link.shutdown()
        self.proxy.forget(self)

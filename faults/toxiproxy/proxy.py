"""A named proxy: its listener, its toxics and its live connections, with Toxiproxy's lifecycle rules."""

from __future__ import annotations

import asyncio

from .addresses import (
    DEFAULT_LISTEN,
    AddressError,
    bind_listener,
    bound_address,
    refuse_remote,
    resolve_listen,
)
from .connection import Connection, Endpoint
from .errors import ApiError, toxic_not_found
from .link import Link
from .toxics import DOWNSTREAM, UPSTREAM, ToxicSpec, apply_toxic_update, parse_new_toxic


class Proxy:
    def __init__(self, name: str, listen: str, upstream: str, allow_remote: bool = False) -> None:
        self.name = name
        self.listen = listen or DEFAULT_LISTEN
        self.upstream = upstream
        self.allow_remote = allow_remote
        self.enabled = False
        self.toxics: list[ToxicSpec] = []  # creation order; each direction's chain keeps it
        self.connections: set[Connection] = set()
        self._server: asyncio.AbstractServer | None = None

    def to_json(self) -> dict[str, object]:
        ordered = [t for t in self.toxics if t.direction == UPSTREAM] + [
            t for t in self.toxics if t.direction == DOWNSTREAM
        ]
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_json() for t in ordered],
        }

    async def start(self) -> None:
        """Listen; ``listen`` then reports the bound address (so port 0 shows the ephemeral port)."""
        if self.enabled:
            return
        sock = await bind_listener(self.listen, self.allow_remote)
        self._server = await asyncio.get_running_loop().create_server(self._accept, sock=sock, backlog=1024)
        self.listen = bound_address(sock)
        self.enabled = True

    def stop(self) -> None:
        """Close the listener and every live connection."""
        if not self.enabled:
            return
        self.enabled = False
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self.connections):
            connection.abort()
        self.connections.clear()

    async def differs(self, listen: str, upstream: str) -> bool:
        """Whether ``listen`` and ``upstream`` name another address than the proxy's, as Toxiproxy decides.

        Listen addresses are compared resolved (``localhost:P`` is ``127.0.0.1:P``). An address that does
        not resolve is a 500 and one off loopback a 403, before anything changes.
        """
        try:
            address = await resolve_listen(listen or DEFAULT_LISTEN)
        except AddressError as exc:
            raise ApiError(str(exc), 500) from exc
        refuse_remote(address, self.allow_remote)
        return str(address) != self.listen or upstream != self.upstream

    async def update(self, listen: str, upstream: str, enabled: bool) -> None:
        """Apply an update as Toxiproxy does: a new address restarts the proxy, ``enabled`` toggles it."""
        if await self.differs(listen, upstream):
            self.stop()
            self.listen = listen or DEFAULT_LISTEN
            self.upstream = upstream
        if enabled != self.enabled:
            if enabled:
                await self.start()
            else:
                self.stop()

    def forget(self, connection: Connection) -> None:
        self.connections.discard(connection)

    def get_toxic(self, name: str) -> ToxicSpec:
        for toxic in self.toxics:
            if toxic.name == name:
                return toxic
        raise toxic_not_found()

    def add_toxic(self, body: bytes) -> ToxicSpec:
        spec = parse_new_toxic(body, lambda name: any(t.name == name for t in self.toxics))
        self.toxics.append(spec)
        for link in self._links(spec.direction):
            link.add(spec)
        return spec

    def update_toxic(self, name: str, body: bytes) -> ToxicSpec:
        old = self.get_toxic(name)
        spec = apply_toxic_update(old, body)
        self.toxics[self.toxics.index(old)] = spec
        for link in self._links(spec.direction):
            link.replace(spec)
        return spec

    def remove_toxic(self, name: str) -> None:
        spec = self.get_toxic(name)
        self.toxics.remove(spec)
        for link in self._links(spec.direction):
            link.remove(name)

    def remove_all_toxics(self) -> None:
        for spec in list(self.toxics):
            self.remove_toxic(spec.name)

    def _links(self, direction: str) -> list[Link]:
        return [link for c in self.connections if (link := c.link(direction)) is not None]

    def _accept(self) -> Endpoint:
        connection = Connection(self)
        self.connections.add(connection)
        return connection.client

"""The set of proxies by name, with Toxiproxy's rules for create, populate, delete and reset."""

from __future__ import annotations

from .errors import ApiError, missing_field, proxy_already_exists, proxy_not_found
from .jsonbody import decode_body, typed_field, unmarshal_error
from .proxy import Proxy

_POPULATE_GO_TYPE = '[]struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'


class ProxyCollection:
    def __init__(self, allow_remote: bool = False) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.allow_remote = allow_remote  # whether proxies may listen off loopback

    def new_proxy(self, name: str, listen: str, upstream: str) -> Proxy:
        return Proxy(name, listen, upstream, self.allow_remote)

    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise proxy_not_found()
        return proxy

    async def add(self, proxy: Proxy, start: bool) -> None:
        if proxy.name in self.proxies:
            raise proxy_already_exists()
        if start:
            await proxy.start()
        self.proxies[proxy.name] = proxy

    def remove(self, name: str) -> None:
        self.get(name).stop()
        del self.proxies[name]

    def clear(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.proxies.clear()

    async def reset(self) -> None:
        """Re-enable every proxy and drop every toxic (``POST /reset``)."""
        for proxy in self.proxies.values():
            await proxy.start()
            proxy.remove_all_toxics()

    async def populate(self, body: bytes) -> tuple[list[Proxy], ApiError | None]:
        """Create or replace proxies; a same-name proxy with an equivalent address is kept as is.

        The body is checked first (nothing applied on a 400); an error while applying returns the proxies
        done so far, as Toxiproxy does.
        """
        done: list[Proxy] = []
        try:
            for name, listen, upstream, enabled in _parse_populate(body):
                existing = self.proxies.get(name)
                if existing is not None and not await existing.differs(listen, upstream):
                    done.append(existing)
                    continue
                if existing is not None:
                    existing.stop()
                proxy = self.new_proxy(name, listen, upstream)
                if enabled:
                    await proxy.start()
                self.proxies[name] = proxy
                done.append(proxy)
        except ApiError as exc:
            return done, exc
        return done, None


def _parse_populate(body: bytes) -> list[tuple[str, str, str, bool]]:
    value = decode_body(body)
    if value is None:
        return []
    if not isinstance(value, list):
        raise unmarshal_error(value, _POPULATE_GO_TYPE)
    entries = []
    for index, item in enumerate(value, start=1):
        if item is None:
            item = {}
        if not isinstance(item, dict):
            raise unmarshal_error(item, "toxiproxy.Proxy")
        name = typed_field(item, "name", str, "", "Proxy")
        upstream = typed_field(item, "upstream", str, "", "Proxy")
        if not name:
            raise missing_field(f"name at proxy {index}")
        if not upstream:
            raise missing_field(f"upstream at proxy {index}")
        entries.append(
            (
                name,
                typed_field(item, "listen", str, "", "Proxy"),
                upstream,
                typed_field(item, "enabled", bool, True, "Proxy"),
            )
        )
    return entries

"""The set of proxies by name, with Toxiproxy's rules for create, populate, delete and reset."""

from __future__ import annotations

from .addresses import normalise_listen
from .errors import ApiError, missing_field, proxy_already_exists, proxy_not_found
from .jsonbody import decode_body, typed_field, unmarshal_error
from .proxy import Proxy

_POPULATE_GO_TYPE = '[]struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }'


class ProxyCollection:
    def __init__(self) -> None:
        self.proxies: dict[str, Proxy] = {}

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
        """Create or replace proxies; a same-name proxy with the same listen and upstream is kept as is.

        The whole body is validated first; an error while applying returns the proxies done so far.
        """
        entries = _parse_populate(body)
        done: list[Proxy] = []
        for name, listen, upstream, enabled in entries:
            existing = self.proxies.get(name)
            if (
                existing is not None
                and existing.listen == normalise_listen(listen)
                and (existing.upstream == upstream)
            ):
                done.append(existing)
                continue
            if existing is not None:
                existing.stop()
            proxy = Proxy(name, listen, upstream)
            try:
                if enabled:
                    await proxy.start()
            except ApiError as exc:
                return done, exc
            self.proxies[name] = proxy
            done.append(proxy)
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

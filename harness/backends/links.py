"""A run's links: one Toxiproxy-API proxy in front of each linked node, where network faults act.

Every backend whose links live on the harness's host uses this module: the reference stack on local
processes, the user's own processes, an external stack. The proxy server is the embedded one
(`python -m faults.toxiproxy`, a managed process on loopback) or the user's own Toxiproxy
(`toxiproxy.url`); either way it is driven only through the public `toxiproxy-python` client, so both
behave alike. Proxies carry the run id in their name (`harness.run_identity.proxy_name`), so `cleanup`
finds a dead run's proxies on a shared server and never touches a live run's. (The docker backend runs its
proxy inside the run's container network instead.)
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
from toxiproxy import Toxiproxy
from toxiproxy.proxy import Proxy

from harness.backends.processes import ManagedProcess, free_port
from harness.backends.readiness import wait_until_ready
from harness.errors import HarnessError
from harness.run_identity import proxy_name

HOST = "127.0.0.1"


class LinkedNodes:
    """The network capabilities (`NetworkLinks`, and `NetworkIsolation` as the link disabled) of a backend
    whose links are a `Links`: mixed into the backends of the user's processes and of an external stack."""

    links: Links

    def link_proxy(self, node: str) -> Proxy:
        return self.links.proxy(node)

    def disconnect_node(self, node: str) -> dict[str, Any]:
        return self.links.disconnect(node)

    def reconnect_node(self, node: str) -> None:
        self.links.reconnect(node)


class Links:
    """The proxy server a run uses and the links it made there; `close` removes them all."""

    def __init__(self, run_id: str, toxiproxy_url: str | None, logs: Path):
        self.run_id = run_id
        self.url = toxiproxy_url
        """The Toxiproxy API: the scenario's `toxiproxy.url`, or the embedded server's once started."""
        self.logs = logs
        self.server: ManagedProcess | None = None
        self.proxies: dict[str, Proxy] = {}

    def start(self, deadline: float, limit_s: float) -> None:
        """Start the embedded proxy server unless the scenario names one; either way its API must answer."""
        if self.url is None:
            port = free_port(HOST)
            argv = [sys.executable, "-m", "faults.toxiproxy", "--host", HOST, "--port", str(port)]
            self.server = ManagedProcess("toxiproxy", argv, self.logs / "toxiproxy.log")
            self.server.start()
            self.url = f"http://{HOST}:{port}"
            wait_until_ready(
                "toxiproxy", f"{self.url}/version", deadline, limit_s,
                fail_fast=self.server.check_alive, log_tail=self.server.log_tail, interval_s=0.05,
            )  # fmt: skip
        url = urlparse(self.url)
        Toxiproxy().update_api_consumer(url.hostname, url.port)
        try:
            httpx.get(f"{self.url}/version", timeout=2.0).raise_for_status()
        except httpx.HTTPError as exc:
            raise HarnessError(f"toxiproxy.url: no Toxiproxy API answers at {self.url}: {exc}") from None

    def create(self, node: str, upstream: str, listen: str = f"{HOST}:0") -> str:
        """A link in front of `node`, forwarding to `upstream` (host:port, which need not answer yet);
        returns the host:port it listens on (`listen`, or a free port when that ends in `:0`)."""
        proxy = Toxiproxy().create(upstream=upstream, name=proxy_name(self.run_id, node), listen=listen)
        self.proxies[node] = proxy
        return str(proxy.listen)

    def proxy(self, node: str) -> Proxy:
        """The node's link, for network toxics (the `NetworkLinks` capability)."""
        return self.proxies[node]

    def disconnect(self, node: str) -> dict[str, Any]:
        """The link disabled: its listener closes and live connections drop, the node is cut off."""
        proxy = self.proxy(node)
        proxy.disable()
        return {"node": node, "link": proxy.name, "enabled": False}

    def reconnect(self, node: str) -> None:
        self.proxy(node).enable()

    def pids(self) -> dict[str, int]:
        server = self.server
        return {server.name: server.pid} if server is not None and server.pid is not None else {}

    def close(self) -> None:
        """Remove every link and stop the embedded server; never raises (it runs on every exit path)."""
        for proxy in self.proxies.values():
            with contextlib.suppress(Exception):  # a dead proxy server must not stop the teardown
                proxy.destroy()
        self.proxies.clear()
        if self.server is not None:
            self.server.stop(grace_s=3.0)

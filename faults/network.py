"""Network faults on one link, through any Toxiproxy-API server, driven by the `toxiproxy-python` client.

Using the unmodified public client keeps the harness honest about API parity: it drives the embedded
proxy exactly as it would drive a real Toxiproxy server.
"""

from __future__ import annotations

from typing import Any

from toxiproxy.proxy import Proxy


class ToxicFault:
    """Adds one toxic to a proxy for the fault window."""

    def __init__(
        self,
        proxy: Proxy,
        toxic_type: str,
        attributes: dict[str, Any],
        *,
        name: str,
        stream: str = "downstream",
        toxicity: float = 1.0,
    ):
        self.proxy = proxy
        self.toxic_type = toxic_type
        self.attributes = attributes
        self.name = name
        self.stream = stream
        self.toxicity = toxicity
        self.description = f"{toxic_type} toxic {attributes} on {proxy.name} ({stream})"
        self._applied = False

    def apply(self) -> dict[str, Any]:
        self.proxy.add_toxic(
            type=self.toxic_type,
            name=self.name,
            stream=self.stream,
            toxicity=self.toxicity,
            attributes=self.attributes,
        )
        self._applied = True
        return {"proxy": self.proxy.name, "toxic": self.name, "attributes": self.attributes}

    def clear(self) -> None:
        if self._applied:
            self.proxy.destroy_toxic(self.name)
            self._applied = False


class LinkDown:
    """Disables a proxy: its listener closes and every live connection is dropped (a full outage)."""

    def __init__(self, proxy: Proxy):
        self.proxy = proxy
        self.description = f"link {proxy.name} down"
        self._applied = False

    def apply(self) -> dict[str, Any]:
        self.proxy.disable()
        self._applied = True
        return {"proxy": self.proxy.name}

    def clear(self) -> None:
        if self._applied:
            self.proxy.enable()
            self._applied = False

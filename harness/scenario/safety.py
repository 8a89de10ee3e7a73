"""Drills stay on this machine unless the scenario says otherwise (`safety.allow_remote`).

A harness that breaks things on purpose must not aim at, or open ports to, other hosts because of a typo
or a copied file: every address a drill reaches (the Toxiproxy API, the load target) or exposes (a compose
file's published ports) must be loopback. `safety.allow_remote: true` (`chaosdrill run --allow-remote`)
accepts the others, each named in a warning on stderr.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from harness.scenario.compose import Exposure, compose_exposures, compose_services
from harness.scenario.model import Scenario

OPT_IN = "safety.allow_remote: true (or --allow-remote)"


def check_safety(scenario: Scenario) -> None:
    """Refuse (ValueError naming the field) what is not loopback; print a warning for what the opt-in
    allows. Compose files are checked here as written and again by the backend as compose resolves them."""
    allow = scenario.safety.allow_remote
    warnings: list[str] = []
    if scenario.toxiproxy.url is not None:
        host = urlparse(scenario.toxiproxy.url).hostname or ""
        warnings += require_local("toxiproxy.url", f"host {host} is", remote_kind(host), allow)
    if scenario.stack.compose is not None:
        file = scenario.stack.compose.file
        warnings += check_compose_exposure(compose_services(file), file, allow)
    external = scenario.stack.external
    if external is not None:
        host = urlparse(external.url).hostname or ""
        warnings += require_local("stack.external.url", f"load target {host} is", remote_kind(host), allow)
        for index, node in enumerate(external.nodes):
            for end in ("listen", "upstream") if node.link is not None else ():
                host = getattr(node.link, end).rpartition(":")[0].strip("[]")
                where = f"stack.external.nodes[{index}].link.{end}"
                warnings += require_local(where, f"host {host} is", remote_kind(host), allow)
    warn(warnings)


def check_compose_exposure(services: dict[str, Any], file: Path, allow_remote: bool) -> list[str]:
    """What a compose file opens beyond loopback: refused (ValueError), or warning lines with the opt-in."""
    field = f"stack.compose.file ({file.name})"
    warnings: list[str] = []
    for exposure in compose_exposures(services):
        warnings += require_local(field, exposure.what, _exposure_kind(exposure), allow_remote)
    return warnings


def require_local(field: str, what: str, kind: str | None, allow_remote: bool) -> list[str]:
    """Nothing when `kind` is None (loopback); else a ValueError, or with the opt-in a warning line.
    `what` ends with its verb (`host X is`, `... publishes on`), `kind` names the address."""
    if kind is None:
        return []
    if not allow_remote:
        raise ValueError(f"{field}: {what} {kind}; drills stay on loopback unless {OPT_IN}")
    return [f"{field}: {what} {kind} (allowed by safety.allow_remote)"]


def remote_kind(host: str) -> str | None:
    """None when every address `host` resolves to is loopback; else what the first other one is, e.g.
    `10.0.0.5, a private address`. An unresolvable host is not known to be local, so it counts as remote."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "an address that does not resolve"
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        kind = _address_kind(address)
        if kind is not None:
            return f"{address}, {kind}" if str(address) != host else kind
    return None


def warn(lines: Iterable[str]) -> None:
    for line in lines:
        print(f"chaosdrill: warning: {line}", file=sys.stderr)


def _exposure_kind(exposure: Exposure) -> str | None:
    if exposure.host is None:
        return "every interface"
    if "$" in exposure.host:
        return f"an address set by a variable ({exposure.host})"
    try:
        return _address_kind(ipaddress.ip_address(exposure.host.strip("[]")))
    except ValueError:
        return f"{exposure.host}, not an IP address"


def _address_kind(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return None
    if address.is_unspecified:
        return "the any-address (every interface)"
    for kind, name in (("link_local", "link-local"), ("private", "private"), ("multicast", "multicast"),
                       ("reserved", "reserved"), ("global", "public")):  # fmt: skip
        if getattr(address, f"is_{kind}"):
            return f"a {name} address"
    return "a non-loopback address"

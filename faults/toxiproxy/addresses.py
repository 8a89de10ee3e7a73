"""``host:port`` strings as Toxiproxy uses them for ``listen`` and ``upstream``.

Parsing, resolution and error wording follow Go's ``net.SplitHostPort``, ``net.ResolveTCPAddr`` and
``net.Listen``, so a client sees the messages a real Toxiproxy sends. On top of that, listeners are
loopback-only unless the server was started with ``allow_remote``: the API has no authentication.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import re
import socket
from dataclasses import dataclass

from .errors import ApiError, ServeError

# Where a proxy listens when the client gives no address: loopback, never every interface.
DEFAULT_LISTEN = "127.0.0.1:0"

_DECIMAL_PORT = re.compile(r"[+-]?[0-9]+")
_NO_SUCH_HOST = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class AddressError(ValueError):
    """An address Go's resolver refuses; the message is Go's, without ``listen tcp``'s prefix."""


@dataclass(frozen=True)
class ResolvedAddress:
    """A listen address after resolution: an IP (empty for every interface) and a port."""

    family: socket.AddressFamily
    ip: str
    port: int

    def __str__(self) -> str:
        return format_address(self.ip, self.port)

    def is_loopback(self) -> bool:
        return bool(self.ip) and is_loopback_ip(self.ip)


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def is_loopback_ip(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


def split_host_port(address: str) -> tuple[str, str]:
    """Go's ``net.SplitHostPort``: host and port strings, or its error for a malformed address."""

    def malformed(why: str) -> AddressError:
        return AddressError(f"address {address}: {why}")

    colon = address.rfind(":")
    if colon < 0:
        raise malformed("missing port in address")
    host_from = brackets_end = 0
    if address.startswith("["):
        end = address.find("]")
        if end < 0:
            raise malformed("missing ']' in address")
        if end + 1 != colon:
            too_many = end + 1 < len(address) and address[end + 1] == ":"
            raise malformed("too many colons in address" if too_many else "missing port in address")
        host = address[1:end]
        host_from, brackets_end = 1, end + 1
    else:
        host = address[:colon]
        if ":" in host:
            raise malformed("too many colons in address")
    if "[" in address[host_from:]:
        raise malformed("unexpected '[' in address")
    if "]" in address[brackets_end:]:
        raise malformed("unexpected ']' in address")
    return host, address[colon + 1 :]


def parse_port(port: str) -> int:
    """A port number as Go reads it: decimal, empty for 0, or a service name such as ``http``."""
    if not port:
        return 0
    if _DECIMAL_PORT.fullmatch(port):
        number = int(port)
    else:
        try:
            number = socket.getservbyname(port.lower(), "tcp")
        except OSError:
            raise AddressError(f"lookup tcp/{port}: unknown port") from None
    if not 0 <= number <= 65535:
        raise AddressError(f"address {port}: invalid port")
    return number


def parse_host_port(address: str) -> tuple[str, int]:
    host, port = split_host_port(address)
    return host, parse_port(port)


async def _resolve_host(host: str) -> tuple[socket.AddressFamily, str]:
    if not host:
        return socket.AF_INET, ""
    try:
        ip = ipaddress.ip_address(host)
        return (socket.AF_INET6 if ip.version == 6 else socket.AF_INET), str(ip)
    except ValueError:
        pass
    try:
        socket.getaddrinfo(host, None, flags=socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass
    else:  # a legacy numeric form such as 127.1, which Go does not take for an IP
        raise AddressError(f"lookup {host}: no such host")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = "no such host" if getattr(exc, "errno", None) in _NO_SUCH_HOST else str(exc).lower()
        raise AddressError(f"lookup {host}: {reason}") from None
    # Go listens on a name's first IPv4 address when it has one.
    family, _, _, _, sockaddr = next((info for info in infos if info[0] == socket.AF_INET), infos[0])
    return family, str(sockaddr[0])


async def resolve_listen(listen: str) -> ResolvedAddress:
    """``net.ResolveTCPAddr``: the address ``listen`` names; raises ``AddressError`` in Go's words."""
    host, port = split_host_port(listen)
    number = parse_port(port)
    family, ip = await _resolve_host(host)
    return ResolvedAddress(family, ip, number)


def refuse_remote(address: ResolvedAddress, allow_remote: bool) -> None:
    """Keep proxies on loopback unless the operator opted in: anyone could reach a remote listener."""
    if allow_remote or address.is_loopback():
        return
    raise ApiError(
        f"listen tcp {address}: not a loopback address; the Toxiproxy API has no authentication, so "
        "this server binds proxies to loopback only (start it with --allow-remote to allow others)",
        403,
    )


async def bind_listener(listen: str, allow_remote: bool) -> socket.socket:
    """A bound socket for ``listen``; failures are 500s worded like Go's ``net.Listen`` errors."""
    try:
        address = await resolve_listen(listen)
    except AddressError as exc:
        raise ApiError(f"listen tcp: {exc}", 500) from exc
    refuse_remote(address, allow_remote)
    sock = socket.socket(address.family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address.ip, address.port))
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise ApiError(f"listen tcp {address}: bind: {reason}", 500) from exc
    return sock


def bound_address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return format_address(host, port)


def check_api_host(host: str, allow_remote: bool) -> None:
    """Refuse an API host that does not resolve, or that reaches off loopback without ``allow_remote``."""
    try:
        infos = socket.getaddrinfo(host or None, 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ServeError(f"cannot resolve host {host!r}: {reason.lower()}") from None
    remote = sorted({str(info[4][0]) for info in infos if not is_loopback_ip(str(info[4][0]))})
    if remote and not allow_remote:
        raise ServeError(
            f"host {host!r} is not a loopback address ({', '.join(remote)}): the Toxiproxy API has no "
            "authentication, so it serves on loopback only; pass --allow-remote to serve there anyway"
        )

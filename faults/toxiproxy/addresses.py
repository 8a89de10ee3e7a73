"""``host:port`` strings as Toxiproxy uses them for ``listen`` and ``upstream`` (Go's net address format)."""

from __future__ import annotations

import ipaddress
import os
import socket

from .errors import ApiError

# Where a proxy listens when the client gives no address: loopback, never every interface.
DEFAULT_LISTEN = "127.0.0.1:0"


def split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep:
        raise ValueError(f"address {address}: missing port in address")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port.isdigit() or int(port) > 65535:
        raise ValueError(f"address {address}: invalid port")
    return host, int(port)


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _resolve(host: str, port: int) -> tuple[socket.AddressFamily, tuple[object, ...]]:
    family, _, _, _, sockaddr = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return family, sockaddr


def normalise_listen(listen: str) -> str:
    """The address a listen string resolves to, used to tell whether a populated proxy changed."""
    try:
        host, port = split_host_port(listen or DEFAULT_LISTEN)
        try:
            return format_address(str(ipaddress.ip_address(host)), port)
        except ValueError:
            _, sockaddr = _resolve(host, port)
            return format_address(str(sockaddr[0]), port)
    except (ValueError, OSError):
        return listen


def bind_listener(listen: str) -> socket.socket:
    """A bound socket for ``listen``; failures are 500s worded like Go's ``net.Listen`` errors."""
    try:
        host, port = split_host_port(listen)
        family, sockaddr = _resolve(host, port)
    except ValueError as exc:
        raise ApiError(f"listen tcp {listen}: {exc}", 500) from exc
    except OSError as exc:
        raise ApiError(f"listen tcp {listen}: lookup {listen}: {exc}", 500) from exc
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
    except OSError as exc:
        sock.close()
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise ApiError(f"listen tcp {listen}: bind: {reason}", 500) from exc
    return sock


def bound_address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return format_address(host, port)

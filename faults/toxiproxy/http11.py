"""A minimal HTTP/1.1 server on asyncio streams, enough for Toxiproxy's JSON API.

Hand-written so the proxy needs nothing beyond the standard library and runs on the same event loop
as the proxies it controls (API handlers then mutate proxies without any locking).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

MAX_HEADER_LINES = 100
MAX_BODY = 8 << 20


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    version: str


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    extra_headers: dict[str, str] = field(default_factory=dict)


Dispatch = Callable[[Request], Awaitable[Response]]


class MalformedRequest(Exception):
    """The bytes on the wire are not a request we can parse; answered with 400 and a close."""


async def _read_line(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as exc:
        raise MalformedRequest("line too long") from exc


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = (await _read_line(reader)).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError as exc:
            raise MalformedRequest("bad chunk size") from exc
        if size == 0:
            while (await _read_line(reader)).strip():
                pass  # trailers
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise MalformedRequest("body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """The next request on the connection, or None if the client closed it between requests."""
    try:
        line = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise MalformedRequest("truncated request line") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise MalformedRequest("request line too long") from exc
    parts = line.decode("latin-1").split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise MalformedRequest("bad request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADER_LINES):
        header = (await _read_line(reader)).decode("latin-1").strip()
        if not header:
            break
        key, sep, value = header.partition(":")
        if not sep:
            raise MalformedRequest("bad header line")
        headers[key.strip().lower()] = value.strip()
    else:
        raise MalformedRequest("too many headers")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise MalformedRequest("bad content-length") from exc
        if not 0 <= length <= MAX_BODY:
            raise MalformedRequest("bad content-length")
        body = await reader.readexactly(length)
    path = unquote(urlsplit(target).path)
    return Request(method=method.upper(), path=path, headers=headers, body=body, version=version)


def encode_response(response: Response, keep_alive: bool) -> bytes:
    reason = HTTPStatus(response.status).phrase
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    if response.status != 204:
        lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
    lines.extend(f"{key}: {value}" for key, value in response.extra_headers.items())
    if not keep_alive:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if response.status == 204 else head + response.body


def _keep_alive(request: Request) -> bool:
    connection = request.headers.get("connection", "").lower()
    if request.version == "HTTP/1.0":
        return connection == "keep-alive"
    return connection != "close"


async def handle_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, dispatch: Dispatch
) -> None:
    """Serve requests on one connection until the client closes it or asks to."""
    try:
        while True:
            try:
                request = await read_request(reader)
            except MalformedRequest as exc:
                writer.write(encode_response(Response(400, f"{exc}\n".encode(), "text/plain"), False))
                await writer.drain()
                return
            if request is None:
                return
            keep_alive = _keep_alive(request)
            writer.write(encode_response(await dispatch(request), keep_alive))
            await writer.drain()
            if not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        writer.close()

"""A minimal HTTP/1.1 server on asyncio streams, enough for Toxiproxy's JSON API.

Hand-written so the proxy needs nothing beyond the standard library and runs on the same event loop
as the proxies it controls (API handlers then mutate proxies without any locking). Framing follows Go's
``net/http`` server, which Toxiproxy uses: ``Expect: 100-continue``, 417 for other expectations, and
read, idle and write timeouts so a client that stops half-way cannot hold a connection forever.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

MAX_HEADER_LINES = 100
MAX_BODY = 8 << 20
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


@dataclass(frozen=True)
class Timeouts:
    """Seconds, as Toxiproxy's ``http.Server`` sets them."""

    read: float = 15.0  # a whole request; on a new connection counted from the accept
    idle: float = 60.0  # a kept-alive connection waiting for its next request
    write: float = 30.0  # handing a response to a client that does not read


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
    content_type: str | None = "application/json"  # None: no Content-Type header
    extra_headers: dict[str, str] = field(default_factory=dict)


Dispatch = Callable[[Request], Awaitable[Response]]


class MalformedRequest(Exception):
    """The bytes on the wire are not a request we can serve; answered with ``status`` and a close."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


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


def _content_length(headers: dict[str, str]) -> int:
    try:
        length = int(headers.get("content-length", "0"))
    except ValueError as exc:
        raise MalformedRequest("bad content-length") from exc
    if not 0 <= length <= MAX_BODY:
        raise MalformedRequest("bad content-length")
    return length


async def read_request(
    reader: asyncio.StreamReader, first: bytes, send_continue: Callable[[], None]
) -> Request:
    """The request whose first byte, ``first``, was already read. ``send_continue`` answers
    ``Expect: 100-continue`` before the body is read, so clients need not wait to send it."""
    try:
        line = first if first == b"\n" else first + await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as exc:
        raise MalformedRequest("truncated request line") from exc
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
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    length = 0 if chunked else _content_length(headers)
    expect = headers.get("expect", "")
    if expect.lower() == "100-continue":
        if version != "HTTP/1.0" and (chunked or length > 0):
            send_continue()
    elif expect:
        raise MalformedRequest("", 417)
    body = await _read_chunked(reader) if chunked else await reader.readexactly(length)
    path = unquote(urlsplit(target).path)
    return Request(method=method.upper(), path=path, headers=headers, body=body, version=version)


def encode_response(response: Response, keep_alive: bool) -> bytes:
    reason = HTTPStatus(response.status).phrase
    lines = [f"HTTP/1.1 {response.status} {reason}"]
    if response.status != 204 and response.content_type is not None:
        lines.append(f"Content-Type: {response.content_type}")
    lines.extend(f"{key}: {value}" for key, value in response.extra_headers.items())
    lines.append(f"Date: {formatdate(usegmt=True)}")
    if response.status != 204:
        lines.append(f"Content-Length: {len(response.body)}")
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
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, dispatch: Dispatch, timeouts: Timeouts
) -> None:
    """Serve requests on one connection until the client closes it, asks to, or runs out of time."""
    loop = asyncio.get_running_loop()
    kept_alive = False  # a new connection's first request has the read timeout from the accept, as in Go

    def send_continue() -> None:
        writer.write(CONTINUE)

    try:
        while True:
            try:
                async with asyncio.timeout(timeouts.idle if kept_alive else timeouts.read) as deadline:
                    first = await reader.read(1)
                    if not first:
                        return
                    if kept_alive:
                        deadline.reschedule(loop.time() + timeouts.read)
                    request = await read_request(reader, first, send_continue)
            except MalformedRequest as exc:
                body = f"{exc}\n".encode() if exc.status == 400 else b""
                await _send(
                    writer, Response(exc.status, body, "text/plain" if body else None), False, timeouts
                )
                return
            kept_alive = True
            keep_alive = _keep_alive(request)
            await _send(writer, await dispatch(request), keep_alive, timeouts)
            if not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
        return  # Go's server also just closes a connection that timed out
    finally:
        writer.close()


async def _send(
    writer: asyncio.StreamWriter, response: Response, keep_alive: bool, timeouts: Timeouts
) -> None:
    writer.write(encode_response(response, keep_alive))
    async with asyncio.timeout(timeouts.write):
        await writer.drain()

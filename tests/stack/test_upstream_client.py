"""The gateway's lean HTTP/1.1 client against raw asyncio servers: framing, keep-alive, stale reuse."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from stack.upstream_client import UpstreamError, UpstreamPool
from tests.stack.conftest import dead_url

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.startswith(b"content-length")
    )
    return await reader.readexactly(length)


async def _with_server(handler: Handler, scenario: Callable[[str], Awaitable[None]]) -> None:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        await scenario(f"http://127.0.0.1:{port}")


def test_chunked_response_and_keep_alive_reuse() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        while True:
            try:
                body = await _read_request(reader)
            except asyncio.IncompleteReadError:
                break
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Echo: yes\r\n\r\n")
            writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
            await writer.drain()
        writer.close()

    async def scenario(url: str) -> None:
        pool = UpstreamPool()
        for i in range(3):
            response = await pool.post(url, "/predict", b'{"n": %d}' % i)
            assert (response.status, response.headers["x-echo"], response.body) == (
                200,
                "yes",
                b'{"n": %d}' % i,
            )
        pool.close()

    asyncio.run(_with_server(handler, scenario))
    assert connections == 1


def test_stale_pooled_connection_is_replaced() -> None:
    async def close_after_one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()  # like a server whose keep-alive timeout expired

    async def scenario(url: str) -> None:
        pool = UpstreamPool()
        first = await pool.post(url, "/predict", b"{}")
        await asyncio.sleep(0.05)
        second = await pool.post(url, "/predict", b"{}")
        assert (first.body, second.body) == (b"ok", b"ok")
        pool.close()

    asyncio.run(_with_server(close_after_one, scenario))


def test_refused_connection_raises_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="connect"):
        asyncio.run(UpstreamPool().post(dead_url(), "/predict", b"{}"))

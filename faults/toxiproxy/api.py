"""Toxiproxy 2.x's HTTP API: routes, per-endpoint status codes and JSON shapes, on the ``http11`` server.

Status codes differ per endpoint exactly as in Toxiproxy: create proxy and populate 201, add toxic 200,
deletes and reset 204, errors as ``{"error": ..., "status": ...}``. Headers follow Go's ``net/http`` and
Toxiproxy's middleware: routed responses carry ``X-Toxiproxy-Request-Id``; errors are sent by
``http.Error``, so they are ``text/plain`` with ``nosniff`` although the body is a JSON document.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable

from .addresses import check_api_host, format_address
from .collection import ProxyCollection
from .errors import ApiError, ServeError, missing_field
from .http11 import Request, Response, Timeouts, handle_connection
from .jsonbody import decode_object, typed_field

VERSION = "2.12.0"

log = logging.getLogger(__name__)

Params = dict[str, str]
Handler = Callable[[ProxyCollection, Params, bytes], Awaitable[Response]]


def request_id() -> str:
    """An id shaped like the ``xid`` Toxiproxy sends: 20 base32hex characters, time first."""
    raw = int(time.time()).to_bytes(4, "big") + os.urandom(8)
    return base64.b32hexencode(raw).decode().rstrip("=").lower()


def go_json(payload: object) -> bytes:
    """Compact, as Go's ``json.Marshal`` writes it."""
    return json.dumps(payload, separators=(",", ":")).encode()


def json_response(payload: object, status: int = 200) -> Response:
    return Response(status, go_json(payload))


def text_error(status: int, text: str) -> Response:
    """Go's ``http.Error``: the text and a newline, as plain text the browser must not sniff."""
    headers = {"X-Content-Type-Options": "nosniff"}
    return Response(status, text.encode() + b"\n", "text/plain; charset=utf-8", headers)


def error_response(error: ApiError) -> Response:
    return text_error(error.status, go_json(error.body()).decode())


async def proxy_index(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return json_response({name: proxy.to_json() for name, proxy in collection.proxies.items()})


async def proxy_create(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    obj = decode_object(body, "toxiproxy.Proxy")
    name = typed_field(obj, "name", str, "", "Proxy")
    upstream = typed_field(obj, "upstream", str, "", "Proxy")
    listen = typed_field(obj, "listen", str, "", "Proxy")
    enabled = typed_field(obj, "enabled", bool, True, "Proxy")
    if not name:
        raise missing_field("name")
    if not upstream:
        raise missing_field("upstream")
    proxy = collection.new_proxy(name, listen, upstream)
    await collection.add(proxy, start=enabled)
    return json_response(proxy.to_json(), 201)


async def populate(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    """Always ``application/json`` with ``proxies``, even on errors; Go writes no proxies as ``null``."""
    proxies, error = await collection.populate(body)
    payload: dict[str, object] = error.body() if error is not None else {}
    payload["proxies"] = [proxy.to_json() for proxy in proxies] or None
    return json_response(payload, error.status if error is not None else 201)


async def proxy_show(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return json_response(collection.get(params["proxy"]).to_json())


async def proxy_update(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    proxy = collection.get(params["proxy"])
    obj = decode_object(body, "toxiproxy.Proxy")
    await proxy.update(
        listen=typed_field(obj, "listen", str, proxy.listen, "Proxy"),
        upstream=typed_field(obj, "upstream", str, proxy.upstream, "Proxy"),
        enabled=typed_field(obj, "enabled", bool, proxy.enabled, "Proxy"),
    )
    return json_response(proxy.to_json())


async def proxy_delete(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    collection.remove(params["proxy"])
    return Response(204)


async def reset(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    await collection.reset()
    return Response(204)


async def toxic_index(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return json_response(collection.get(params["proxy"]).to_json()["toxics"])


async def toxic_create(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return json_response(collection.get(params["proxy"]).add_toxic(body).to_json())


async def toxic_show(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return json_response(collection.get(params["proxy"]).get_toxic(params["toxic"]).to_json())


async def toxic_update(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return json_response(collection.get(params["proxy"]).update_toxic(params["toxic"], body).to_json())


async def toxic_delete(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    collection.get(params["proxy"]).remove_toxic(params["toxic"])
    return Response(204)


async def version(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    return Response(200, json.dumps({"version": VERSION}).encode() + b"\n", "application/json;charset=utf-8")


ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(r"/reset"), {"POST": reset}),
    (re.compile(r"/version"), {"GET": version}),
    (re.compile(r"/populate"), {"POST": populate}),
    (re.compile(r"/proxies"), {"GET": proxy_index, "POST": proxy_create}),
    (
        re.compile(r"/proxies/(?P<proxy>[^/]+)"),
        {"GET": proxy_show, "POST": proxy_update, "PATCH": proxy_update, "DELETE": proxy_delete},
    ),
    (re.compile(r"/proxies/(?P<proxy>[^/]+)/toxics"), {"GET": toxic_index, "POST": toxic_create}),
    (
        re.compile(r"/proxies/(?P<proxy>[^/]+)/toxics/(?P<toxic>[^/]+)"),
        {"GET": toxic_show, "POST": toxic_update, "PATCH": toxic_update, "DELETE": toxic_delete},
    ),
]


class ToxiproxyApi:
    """The API server and the proxies it controls, all on the running event loop.

    ``allow_remote`` lets proxies listen off loopback; the API has no authentication, so by default
    nobody but local users can reach what it creates.
    """

    def __init__(self, allow_remote: bool = False, timeouts: Timeouts | None = None) -> None:
        self.collection = ProxyCollection(allow_remote)
        self.timeouts = timeouts or Timeouts()
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen for API requests; returns the bound port (useful when ``port`` is 0).

        Whatever a user can fix (a port out of range, a host that does not resolve or is off loopback
        without ``allow_remote``, a busy port) is a one-line ``ServeError``.
        """
        if not 0 <= port <= 65535:
            raise ServeError(f"port {port} is out of range (0-65535)")
        check_api_host(host, self.collection.allow_remote)
        try:
            self._server = await asyncio.start_server(self._serve_client, host, port)
        except OSError as exc:
            reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
            raise ServeError(f"cannot listen on {format_address(host, port)}: {reason}") from None
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._clients):
            writer.close()
        self.collection.clear()

    async def dispatch(self, request: Request) -> Response:
        """Route a request. Like Toxiproxy's gorilla/mux router, only a matched route and method goes
        through the middleware (browser refusal, request id); unknown paths get a bare 404, wrong
        methods a bare 405."""
        for pattern, handlers in ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = handlers.get(request.method)
            if handler is None:
                return Response(405, b"", None)
            response = await self._handle(handler, match.groupdict(), request)
            response.extra_headers["X-Toxiproxy-Request-Id"] = request_id()
            return response
        return text_error(404, "404 page not found")

    async def _handle(self, handler: Handler, params: Params, request: Request) -> Response:
        # Toxiproxy refuses browsers so a web page cannot drive the API by cross-site requests.
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return text_error(403, "User agent not allowed")
        try:
            return await handler(self.collection, params, request.body)
        except ApiError as error:
            return error_response(error)
        except Exception as exc:  # an unexpected failure must not kill the API connection
            log.exception("toxiproxy API handler failed")
            return error_response(ApiError(str(exc), 500))

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await handle_connection(reader, writer, self.dispatch, self.timeouts)
        finally:
            self._clients.discard(writer)

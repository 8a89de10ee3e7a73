"""Toxiproxy 2.x's HTTP API: routes, per-endpoint status codes and JSON shapes, on the ``http11`` server.

Status codes differ per endpoint exactly as in Toxiproxy: create proxy and populate 201, add toxic 200,
deletes and reset 204, errors as ``{"error": ..., "status": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable

from .collection import ProxyCollection
from .errors import ApiError, missing_field
from .http11 import Request, Response, handle_connection
from .jsonbody import decode_object, typed_field
from .proxy import Proxy

VERSION = "2.12.0"

log = logging.getLogger(__name__)

Params = dict[str, str]
Handler = Callable[[ProxyCollection, Params, bytes], Awaitable[Response]]


def json_response(payload: object, status: int = 200) -> Response:
    return Response(status, json.dumps(payload).encode())


def error_response(error: ApiError) -> Response:
    return Response(error.status, (json.dumps(error.body()) + "\n").encode())


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
    proxy = Proxy(name, listen, upstream)
    await collection.add(proxy, start=enabled)
    return json_response(proxy.to_json(), 201)


async def populate(collection: ProxyCollection, params: Params, body: bytes) -> Response:
    proxies, error = await collection.populate(body)
    payload: dict[str, object] = error.body() if error is not None else {}
    payload["proxies"] = [proxy.to_json() for proxy in proxies]
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
    """The API server and the proxies it controls, all on the running event loop."""

    def __init__(self) -> None:
        self.collection = ProxyCollection()
        self._server: asyncio.AbstractServer | None = None
        self._clients: set[asyncio.StreamWriter] = set()

    async def start(self, host: str, port: int) -> int:
        """Listen for API requests; returns the bound port (useful when ``port`` is 0)."""
        self._server = await asyncio.start_server(self._serve_client, host, port)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._clients):
            writer.close()
        self.collection.clear()

    async def dispatch(self, request: Request) -> Response:
        # Toxiproxy refuses browsers so a web page cannot drive the API by cross-site requests.
        if request.headers.get("user-agent", "").startswith("Mozilla/"):
            return Response(403, b"User agent not allowed\n", "text/plain; charset=utf-8")
        for pattern, handlers in ROUTES:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            handler = handlers.get(request.method)
            if handler is None:
                return Response(405, b"", "text/plain; charset=utf-8")
            try:
                return await handler(self.collection, match.groupdict(), request.body)
            except ApiError as error:
                return error_response(error)
            except Exception as exc:  # an unexpected failure must not kill the API connection
                log.exception("toxiproxy API handler failed")
                return error_response(ApiError(str(exc), 500))
        return Response(404, b"404 page not found\n", "text/plain; charset=utf-8")

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            await handle_connection(reader, writer, self.dispatch)
        finally:
            self._clients.discard(writer)

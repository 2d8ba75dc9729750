"""The ASGI app: every path, every method, both transports, handed to the right relay.

No routing table of Deepgram's paths: the proxy forwards whatever the app asks for (a path Deepgram does
not serve gets Deepgram's 404, which is the answer the engineer needs to see). Only the choice of upstream
host (API or agent) reads the catalogue.

WebSocket connections go straight to the relay, not through Starlette's router and middleware: those wrap
every `send` of every frame (an extra coroutine layer per message) and add nothing to a relay. REST
requests and the lifespan (which starts and drains the observer) go through Starlette.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from ..catalogue import Catalogue
from ..model import Transport
from .exchange import Tap
from .identity import identify, route
from .observe import Observer
from .rest import relay_http
from .settings import CONNECT_TIMEOUT_S, READ_TIMEOUT_S, WRITE_TIMEOUT_S, Upstream
from .ws import relay_ws

METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class Targets:
    api: Upstream
    agent: Upstream


def _tap(catalogue: Catalogue, targets: Targets, transport: Transport, method: str, path: str, query: str,
         headers: list[tuple[str, str]]) -> Tap:
    upstream = route(catalogue, transport, method, path, targets.api, targets.agent)
    base = upstream.ws if transport == "ws" else upstream.http
    url = f"{base}{path}" + (f"?{query}" if query else "")
    auth, account = identify(url, headers, query)
    return Tap(transport=transport, method=method, path=path, query=query, upstream_url=url, auth=auth,
               account=account)


def _headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]


def create_app(catalogue: Catalogue, targets: Targets, observer: Observer) -> ASGIApp:
    holder: dict[str, httpx.AsyncClient] = {}

    def client() -> httpx.AsyncClient:
        # Created lazily inside the server's event loop; trust_env=False: never through an HTTP(S)_PROXY.
        if "c" not in holder:
            holder["c"] = httpx.AsyncClient(
                timeout=httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=READ_TIMEOUT_S, write=WRITE_TIMEOUT_S,
                                      pool=CONNECT_TIMEOUT_S),
                # TCP_NODELAY towards the upstream too: a request is written as headers then body.
                transport=httpx.AsyncHTTPTransport(
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=100),
                    socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]),
                trust_env=False, follow_redirects=False)
        return holder["c"]

    async def http(request: Request) -> Response:
        query = request.scope.get("query_string", b"").decode("latin-1")
        tap = _tap(catalogue, targets, "http", request.method, request.url.path, query,
                   _headers(request.headers.raw))
        return await relay_http(request, tap, client(), observer.finished)

    async def ws(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        query = scope.get("query_string", b"").decode("latin-1")
        tap = _tap(catalogue, targets, "ws", "GET", websocket.url.path, query, _headers(websocket.headers.raw))
        await relay_ws(websocket, receive, send, tap, observer.finished)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        observer.start()
        try:
            yield
        finally:
            await observer.close()
            if "c" in holder:
                await holder.pop("c").aclose()

    rest = Starlette(routes=[Route("/{path:path}", http, methods=METHODS)], lifespan=lifespan)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await ws(scope, receive, send)
        else:
            await rest(scope, receive, send)

    return app

"""The fake Deepgram as one ASGI app: REST and WebSocket on the same port, as Deepgram serves them.

Both transports go through `dispatch.admit` (the order of checks) and `errors.render` (the bytes of
a refusal); a rejected handshake uses the ASGI denial response so a client sees status, headers and
body exactly as on REST. `ws_responder` is the seam for replaying recorded WebSocket cassettes: it
is offered every connection first and owns it when it returns True.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketState

from .auth import selected_subprotocol
from .call import Call
from .config import FakeConfig
from .dispatch import ResetConnection, admit, release
from .errors import DgError, render
from .faults import delay, reset_connection
from .state import FakeState
from .ws import Channel

WsResponder = Callable[[WebSocket], Awaitable[bool]]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
log = logging.getLogger("dg_entitlements.fake")


def _error_response(call: Call, err: DgError) -> Response:
    out = render(err, call.request_id, call.faults)
    return Response(out.body, status_code=out.status, headers=out.headers, media_type=out.media_type)


def _call(state: FakeState, transport: str, method: str, scope_path: str, query: list[tuple[str, str]],
          headers: dict[str, str], subprotocols: list[str]) -> Call:
    return Call(transport="ws" if transport == "ws" else "http", method=method, path=scope_path, query=query,
                headers=headers, subprotocols=subprotocols, state=state)


def create_app(config: FakeConfig, *, ws_responder: WsResponder | None = None) -> Starlette:
    state = FakeState(config)

    async def http_entry(request: Request) -> Response:
        call = _call(state, "http", request.method, request.url.path, list(request.query_params.multi_items()),
                     {k.lower(): v for k, v in request.headers.items()}, [])
        try:
            admission = await admit(call)
        except DgError as err:
            await delay(call)
            return _error_response(call, err)
        except ResetConnection:
            reset_connection(request.receive)
            return Response(status_code=500)  # never reaches the client: the connection is gone
        try:
            await delay(call)
            handler = admission.endpoint.http[call.method]
            return await handler(call, request)
        except DgError as err:
            return _error_response(call, err)
        finally:
            release(call, admission)

    async def ws_entry(websocket: WebSocket) -> None:
        if ws_responder is not None and await ws_responder(websocket):
            return
        call = _call(state, "ws", "WS", websocket.url.path, list(websocket.query_params.multi_items()),
                     {k.lower(): v for k, v in websocket.headers.items()},
                     [str(p) for p in websocket.scope.get("subprotocols", [])])
        send_timeout = config.server.send_timeout_s
        try:
            admission = await admit(call)
        except DgError as err:
            await delay(call)
            with contextlib.suppress(TimeoutError, OSError):
                await asyncio.wait_for(websocket.send_denial_response(_error_response(call, err)), send_timeout)
            return
        except ResetConnection:
            reset_connection(websocket._receive)
            return
        chan = Channel(websocket, call)
        try:
            await delay(call)
            subprotocol = selected_subprotocol(call) if config.fidelity.echo_subprotocol else None
            headers = [(b"dg-request-id", call.request_id.encode())]
            if call.account is not None:
                headers.append((b"dg-project-id", call.account.project_id.encode()))
            await asyncio.wait_for(websocket.accept(subprotocol=subprotocol, headers=headers), send_timeout)
            assert admission.endpoint.ws is not None
            await admission.endpoint.ws(call, chan)
        except DgError as err:  # a check inside the session after accept: report and close
            log.debug("stream refused after accept: %s", err)
            await chan.close(1011, err.err_msg[:120])
        finally:
            release(call, admission)
            if not chan.closed and websocket.application_state == WebSocketState.CONNECTED:
                await chan.close(1000)

    app = Starlette(routes=[Route("/{path:path}", http_entry, methods=METHODS),
                            WebSocketRoute("/{path:path}", ws_entry)])
    app.state.fake = state
    return app

"""The WebSocket relay: one upstream connection per app connection, frames both ways, in order.

The upstream handshake happens before the app's is answered, so the app sees exactly what Deepgram said:
on a refusal the same status, `dg-error`/`dg-request-id` headers and JSON body (an ASGI denial response),
on success a 101 with the subprotocol Deepgram selected (a browser sending `token, <key>` must get
`token` back or it drops the socket). Then two pumps run full duplex; each forwards a message before
reading the next, so order is kept and backpressure reaches the sender. Close codes and reasons are
passed on as given; 1005 (a close frame without a code) is passed on as such.

The pumps are the hot path: they talk to the ASGI server directly (`receive`/`send`, no per-message state
checks of Starlette's wrapper), relay first, then note the message on the Tap (a counter or an append, no
parsing, no scrubbing: binary audio is only counted). Judging happens after the stream, off this path
(observe.py).

Not reproducible through ASGI: an upstream that vanishes without a close frame (1006) is closed 1011 to
the app with a reason that says so; a `websocket.close` is the only way an ASGI app can end a socket.
"""

from __future__ import annotations

import asyncio
import contextlib

from starlette.responses import Response
from starlette.types import Receive, Send
from starlette.websockets import WebSocket
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from .exchange import Tap
from .observe import Finished
from .rest import HOP_BY_HOP, PROXY_HEADER
from .settings import CLOSE_TIMEOUT_S, CONNECT_TIMEOUT_S

# What the websockets client and the ASGI server set themselves for each leg.
WS_OWN = HOP_BY_HOP | frozenset({"sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
                                 "sec-websocket-protocol", "sec-websocket-accept", "user-agent-proxy"})
ACCEPT_DROP = WS_OWN | frozenset({"date", "server", "content-length"})
DENIAL_DROP = HOP_BY_HOP | frozenset({"content-length", "date", "server"})
NO_STATUS, ABNORMAL = 1005, 1006
SENDABLE = range(1000, 5000)


def _subprotocols(websocket: WebSocket) -> list[Subprotocol]:
    value = websocket.headers.get("sec-websocket-protocol", "")
    return [Subprotocol(p.strip()) for p in value.split(",") if p.strip()]


def _upstream_headers(websocket: WebSocket) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in websocket.headers.raw
            if k.decode("latin-1").lower() not in WS_OWN]


def _kind(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timeout:handshake"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, OSError) and "name" in str(exc).lower():
        return "dns"
    return "reset"


async def _deny(websocket: WebSocket, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
    response = Response(content=body, status_code=status)
    response.raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers
                            if k.lower() not in DENIAL_DROP] + [(b"content-length", str(len(body)).encode())]
    await websocket.send_denial_response(response)


async def relay_ws(websocket: WebSocket, receive: Receive, send: Send, tap: Tap, finished: Finished) -> None:
    """`websocket` (Starlette's wrapper) for the handshake; the server's own `receive`/`send` for the frames."""
    try:
        upstream = await connect(
            tap.upstream_url, additional_headers=_upstream_headers(websocket),
            subprotocols=_subprotocols(websocket) or None, open_timeout=CONNECT_TIMEOUT_S,
            close_timeout=CLOSE_TIMEOUT_S, ping_interval=None, max_size=None, compression=None,
            user_agent_header=None, proxy=None, max_queue=64)
    except InvalidStatus as exc:
        resp = exc.response
        headers = [(k, v) for k, v in resp.headers.raw_items()]
        tap.answered(resp.status_code, headers)
        tap.body_chunk(bytes(resp.body or b""))
        await _deny(websocket, resp.status_code, headers, bytes(resp.body or b""))
        finished(tap)
        return
    except (InvalidHandshake, OSError, TimeoutError) as exc:
        tap.failed(_kind(exc), f"{type(exc).__name__}: {exc}")
        text = f"dg-entitlements proxy: no answer from upstream ({tap.error})\n".encode()
        await _deny(websocket, 502, [(PROXY_HEADER, "upstream-error"), ("content-type", "text/plain")], text)
        finished(tap)
        return
    response = upstream.response
    accepted = [(k, v) for k, v in response.headers.raw_items()] if response is not None else []
    tap.answered(101, accepted)
    tap.selected_subprotocol = upstream.subprotocol
    await websocket.accept(subprotocol=upstream.subprotocol,
                           headers=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in accepted
                                    if k.lower() not in ACCEPT_DROP])
    try:
        await _pump_both(receive, send, upstream, tap)
    finally:
        finished(tap)


async def _pump_both(receive: Receive, send: Send, upstream: ClientConnection, tap: Tap) -> None:
    up = asyncio.create_task(_from_upstream(send, upstream, tap))
    down = asyncio.create_task(_from_client(receive, upstream, tap))
    try:
        _done, pending = await asyncio.wait({up, down}, return_when=asyncio.FIRST_COMPLETED)
        if pending:
            await asyncio.wait(pending, timeout=CLOSE_TIMEOUT_S)
    finally:
        for task in (up, down):
            if not task.done():
                task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(up, down, return_exceptions=True)
        with contextlib.suppress(Exception):
            await upstream.close()


async def _from_client(receive: Receive, upstream: ClientConnection, tap: Tap) -> None:
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.receive":
            data = message.get("bytes")
            payload: str | bytes = data if data is not None else (message.get("text") or "")
            try:
                await upstream.send(payload)
            except ConnectionClosed:
                return  # the server side is closing: the other pump relays its close
            tap.client_message(payload)
        elif kind == "websocket.disconnect":
            code = int(message.get("code") or NO_STATUS)
            reason = str(message.get("reason") or "")
            tap.closed(code, reason, "client")
            if code in SENDABLE:
                await upstream.close(code, reason)
            else:
                await upstream.close()
            return


async def _from_upstream(send: Send, upstream: ClientConnection, tap: Tap) -> None:
    try:
        async for data in upstream:
            if isinstance(data, bytes):
                await send({"type": "websocket.send", "bytes": data})
            else:
                await send({"type": "websocket.send", "text": data})
            tap.server_message(data)
    except ConnectionClosed:
        pass
    except Exception:  # the app went away while we were sending: its pump records the close
        return
    received = upstream.protocol.close_rcvd
    code = received.code if received is not None else ABNORMAL
    reason = received.reason if received is not None else ""
    tap.closed(code, reason, "server")
    with contextlib.suppress(Exception):
        if code == NO_STATUS:
            await send({"type": "websocket.close", "code": None, "reason": ""})
        elif code == ABNORMAL:
            await send({"type": "websocket.close", "code": 1011,
                        "reason": "upstream connection dropped without a close frame (1006)"})
        else:
            await send({"type": "websocket.close", "code": code, "reason": reason})

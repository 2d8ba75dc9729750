"""One WebSocket try: the raw handshake read by us, so Deepgram's status, headers and body survive.

Handshake-only by default: accepted, the first server messages read for a short window, the
combination's messages sent (the agent's Settings), then the polite close message (CloseStream /
Close) and a bounded wait for the server to close. No audio is sent, so a live probe costs nothing
but a connection. Only `explain --audio` gives a stream a body: the user's own audio, sent as binary
messages, so a stream that is accepted but returns nothing useful (undecodable audio, a wrong
encoding or sample rate) can be judged on what comes back.

Messages are kept as they arrive and parsed (and scrubbed) once the try is over, on the run's
reading thread (probe/offload.py), like the body of a refused handshake.

Redirects are never followed (websockets' `connect` follows up to 10 by default, silently, to any
origin): a 3xx is recorded as the answer with its `location`, like any refused handshake. The whole
try runs under one deadline (probe/timeouts.py), whatever stalls: the handshake, frames or the close.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from typing import cast

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from ..model import Frame
from ..secrets import ApiKey, bounded
from .answers import MAX_TEXT, allowed_headers, parse_body, parse_frame_text
from .http import USER_AGENT, auth_headers, failed_try, host_port, subprotocols
from .offload import off_loop
from .request import ProbeRequest
from .timeouts import MAX_HANDSHAKE_BODY_BYTES, MAX_WS_MESSAGE_BYTES, Timeouts
from .tryresult import BodyKind, ClosedBy, TryResult


class connect_no_redirect(connect):  # used like websockets' own `connect`
    """websockets' connect, minus redirect following: the redirect itself is the answer we record."""

    def process_redirect(self, exc: Exception) -> Exception | str:
        return exc


# A server message as it arrived (milliseconds since the try started, the message): parsed into a
# Frame on the reading thread once the try is over, so reading a stream does no JSON work on the loop.
Received = tuple[float, str | bytes]


def _frame(at_ms: float, message: str | bytes) -> Frame:
    if isinstance(message, bytes):
        return Frame(kind="binary", at_ms=at_ms, size=len(message))
    return Frame(kind="text", at_ms=at_ms, data=parse_frame_text(message), size=len(message))


async def _read_window(ws: ClientConnection, seconds: float, frames: list[Received], limit: int,
                       started: float) -> bool:
    """Read server messages for `seconds`; True if the server closed meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            return False
        try:
            message = await asyncio.wait_for(ws.recv(), remaining)
        except TimeoutError:
            return False
        except ConnectionClosed as exc:
            exc.__traceback__ = None  # websockets keeps it on the connection: no cycle through its frames
            return True
        if len(frames) < limit:
            frames.append((round((time.perf_counter() - started) * 1000, 1), message))


AUDIO_CHUNK_BYTES = 8192  # one binary message; Deepgram's streaming docs send 20-250 ms buffers


async def _send_audio(ws: ClientConnection, audio: bytes) -> bool:
    """Send the audio as binary messages (websockets applies back-pressure); True if the server closed.
    The server's answers queue up meanwhile and are read by the windows that follow."""
    try:
        for at in range(0, len(audio), AUDIO_CHUNK_BYTES):
            await ws.send(audio[at:at + AUDIO_CHUNK_BYTES])
    except ConnectionClosed:
        return True
    return False


async def ws_try(req: ProbeRequest, key: ApiKey | None, timeouts: Timeouts, loopback: bool,
                 limit_s: float | None = None) -> TryResult:
    """One try's answer; never raises for network trouble and never runs past `limit_s` (default
    Timeouts.attempt_s)."""
    started = time.perf_counter()
    limit = timeouts.attempt_s if limit_s is None else limit_s
    try:
        async with asyncio.timeout(limit):
            return await _ws_try(req, key, timeouts, loopback, started)
    except TimeoutError:
        return TryResult.failed("timeout:stalled", f"no progress within {limit:.1f} s",
                                (time.perf_counter() - started) * 1000, host_port(req.url))


async def _ws_try(req: ProbeRequest, key: ApiKey | None, timeouts: Timeouts, loopback: bool,
                  started: float) -> TryResult:
    try:
        ws = await connect_no_redirect(
            req.url, additional_headers=auth_headers(req, key), user_agent_header=USER_AGENT,
            subprotocols=subprotocols(req, key),  # type: ignore[arg-type]
            proxy=None if loopback else True, open_timeout=timeouts.connect_s + timeouts.read_s,
            close_timeout=timeouts.close_s, ping_interval=None, max_size=MAX_WS_MESSAGE_BYTES, compression=None,
        )
    except InvalidStatus as exc:
        exc.__traceback__ = None  # websockets keeps it on the connection, whose frames it holds: a cycle
        response = exc.response
        return await off_loop(functools.partial(
            _refused, response.status_code, list(response.headers.raw_items()), bytes(response.body or b""),
            (time.perf_counter() - started) * 1000, host_port(req.url)))
    except (WebSocketException, OSError, TimeoutError) as exc:
        return await off_loop(functools.partial(failed_try, exc, "handshake", (time.perf_counter() - started) * 1000,
                                                host_port(req.url)))
    latency = (time.perf_counter() - started) * 1000
    header_items = list(ws.response.headers.raw_items()) if ws.response else []
    frames: list[Received] = []
    error = None
    closed_by: ClosedBy | None = None
    try:
        closed = await _read_window(ws, timeouts.frame_window_s, frames, timeouts.max_frames, started)
        if not closed and req.body:
            closed = await _send_audio(ws, req.body)
        if not closed:
            for message in req.send:
                await ws.send(json.dumps(message))
            if req.send:
                closed = await _read_window(ws, timeouts.frame_window_s, frames, timeouts.max_frames, started)
        if not closed and req.close_message is not None:
            await ws.send(json.dumps(req.close_message))
            closed = await _read_window(ws, timeouts.close_s, frames, timeouts.max_frames, started)
            if not closed:
                error = "timeout:close"
        closed_by = "server" if closed else "client"
    except ConnectionClosed:
        closed_by = "server"
    finally:
        if closed_by != "server":
            await ws.close()
    return await off_loop(functools.partial(
        _accepted, latency, host_port(req.url), header_items, frames, ws.close_code, ws.close_reason, closed_by, error))


def _refused(status: int, header_items: list[tuple[str, str]], body: bytes, latency_ms: float,
             answered_by: str | None) -> TryResult:
    """A refused handshake as plain data (pure: runs on the reading thread)."""
    ctype = next((v for k, v in header_items if k.lower() == "content-type"), None)
    parsed, kind = parse_body(body[:MAX_HANDSHAKE_BODY_BYTES], ctype)
    return TryResult(
        status=status, latency_ms=latency_ms, answered_by=answered_by, headers=allowed_headers(header_items),
        body=parsed, body_kind=cast(BodyKind, kind),  # parse_body names one of the four kinds
        body_size=len(body), content_type=ctype)


def _accepted(latency_ms: float, answered_by: str | None, header_items: list[tuple[str, str]],
              received: list[Received], close_code: int | None, close_reason: str | None,
              closed_by: ClosedBy | None, error: str | None) -> TryResult:
    """An accepted stream as plain data: its messages parsed and scrubbed (pure: runs on the reading thread)."""
    return TryResult(
        status=101, latency_ms=latency_ms, answered_by=answered_by, headers=allowed_headers(header_items),
        frames=tuple(_frame(at_ms, message) for at_ms, message in received),
        close_code=close_code,
        close_reason=bounded(close_reason, MAX_TEXT) if close_reason else close_reason,
        closed_by=closed_by, error=error,
        error_detail="the server did not close the stream after our close message" if error else None,
    )

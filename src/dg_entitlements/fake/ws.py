"""A WebSocket as the stream handlers want it: every receive and send bounded in time, JSON in and
out, one close path (where the slow-close fault applies), and disconnects turned into values."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .call import Call


@dataclass(frozen=True)
class Incoming:
    kind: Literal["text", "bytes", "closed", "timeout"]
    text: str = ""
    data: bytes = b""

    def json(self) -> Any:
        """The parsed text frame, or None when it is not JSON."""
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class Channel:
    def __init__(self, websocket: WebSocket, call: Call) -> None:
        self.websocket = websocket
        self.call = call
        self.closed = False
        self.send_timeout = call.state.config.server.send_timeout_s

    async def receive(self, timeout: float) -> Incoming:
        if self.closed:
            return Incoming("closed")
        try:
            message = await asyncio.wait_for(self.websocket.receive(), timeout)
        except TimeoutError:
            return Incoming("timeout")
        except (WebSocketDisconnect, RuntimeError):
            self.closed = True
            return Incoming("closed")
        if message["type"] == "websocket.disconnect":
            self.closed = True
            return Incoming("closed")
        if message.get("bytes") is not None:
            return Incoming("bytes", data=message["bytes"])
        return Incoming("text", text=message.get("text") or "")

    async def send_json(self, payload: dict[str, Any]) -> bool:
        return await self._send({"type": "websocket.send", "text": json.dumps(payload, separators=(",", ":"))})

    async def send_bytes(self, data: bytes) -> bool:
        return await self._send({"type": "websocket.send", "bytes": data})

    async def _send(self, message: dict[str, Any]) -> bool:
        """False when the client is gone or does not read within the send timeout."""
        if self.closed:
            return False
        try:
            await asyncio.wait_for(self.websocket.send(message), self.send_timeout)
            return True
        except (WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            self.closed = True
            return False

    async def close(self, code: int | None = 1000, reason: str = "") -> None:
        """Close once. code None sends a close frame without a status (the client sees 1005)."""
        if self.closed or self.websocket.application_state != WebSocketState.CONNECTED:
            self.closed = True
            return
        faults = self.call.faults
        if faults is not None and faults.slow_close_ms:
            await asyncio.sleep(faults.slow_close_ms / 1000.0)
        self.closed = True
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError, TimeoutError):
            await asyncio.wait_for(
                self.websocket.send({"type": "websocket.close", "code": code, "reason": reason if code else ""}),
                self.send_timeout)

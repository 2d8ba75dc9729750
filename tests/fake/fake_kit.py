"""Helpers for the fake server's tests: start servers, talk to them through real sockets, with a
timeout on every network step."""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from dg_entitlements.fake import FakeConfig, FakeServer, parse_fake_config

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_CONFIG = ROOT / "src/dg_entitlements/data/fake-deepgram.toml"
TIMEOUT = 5.0

FULL_KEY = "dgfake-payg-full-k1"
NO_FLUX_KEY = "dgfake-payg-no-flux-k1"
NO_CREDITS_KEY = "dgfake-no-credits-k1"
FULL_PROJECT = "7d1c0a52-fa4e-4c3b-9e51-000000000001"


def token(key: str) -> dict[str, str]:
    return {"Authorization": f"Token {key}"}


def wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    pcm = bytes(int(seconds * rate) * 2)
    return (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16) + b"data" + struct.pack("<I", len(pcm)) + pcm)


def pcm(seconds: float, rate: int = 16000) -> bytes:
    return bytes(int(seconds * rate) * 2)


def config(accounts: dict[str, dict[str, Any]] | None = None, server: dict[str, Any] | None = None,
           fidelity: dict[str, Any] | None = None) -> FakeConfig:
    """A config in memory: one owner account `acct` with key dgfake-test-k1 unless told otherwise."""
    base = {"key": "dgfake-test-k1", "project_id": "7d1c0a52-fa4e-4c3b-9e51-0000000000aa", "role": "owner"}
    raw_accounts = accounts or {"acct": {}}
    data: dict[str, Any] = {"accounts": {alias: {**base, **acc} for alias, acc in raw_accounts.items()}}
    if server:
        data["server"] = server
    if fidelity:
        data["fidelity"] = fidelity
    return parse_fake_config(data)


@contextmanager
def running(cfg: FakeConfig, **kwargs: Any) -> Iterator[FakeServer]:
    server = FakeServer(cfg, **kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class WsResult:
    status: int | None  # 101 when accepted
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    frames: list[Any] = field(default_factory=list)  # parsed JSON, or ("binary", n)
    close_code: int | None = None
    close_reason: str = ""
    subprotocol: str | None = None
    error: str | None = None

    def json_body(self) -> Any:
        return json.loads(self.body)

    def types(self) -> list[Any]:
        return [f.get("type") for f in self.frames if isinstance(f, dict)]

    def texts(self) -> list[dict[str, Any]]:
        return [f for f in self.frames if isinstance(f, dict)]


async def ws_session(url: str, headers: dict[str, str] | None = None, *, subprotocols: list[str] | None = None,
                     send: list[Any] = (), first_window: float = 0.3, until_close: bool = True,  # type: ignore[assignment]
                     gap: float = 0.0) -> WsResult:
    """Handshake, read for `first_window`, send each item (dict as JSON, bytes as binary), then read to the close."""
    try:
        ws = await connect(url, additional_headers=headers or {}, subprotocols=subprotocols,  # type: ignore[arg-type]
                           open_timeout=TIMEOUT, close_timeout=2, proxy=None)
    except InvalidStatus as exc:
        resp = exc.response
        return WsResult(resp.status_code, {k.lower(): v for k, v in resp.headers.raw_items()}, bytes(resp.body or b""))
    except (OSError, TimeoutError, EOFError) as exc:
        return WsResult(None, error=type(exc).__name__)
    except Exception as exc:  # InvalidMessage and friends: the connection died during the handshake
        return WsResult(None, error=type(exc).__name__)
    assert ws.response is not None
    result = WsResult(101, {k.lower(): v for k, v in ws.response.headers.raw_items()}, subprotocol=ws.subprotocol)

    async def read(window: float) -> bool:
        """Read frames for `window` seconds; True when the connection closed."""
        loop = asyncio.get_running_loop()
        end = loop.time() + window
        while True:
            left = end - loop.time()
            if left <= 0:
                return False
            try:
                msg = await asyncio.wait_for(ws.recv(), left)
            except TimeoutError:
                return False
            except ConnectionClosed:
                return True
            result.frames.append(json.loads(msg) if isinstance(msg, str) else ("binary", len(msg)))

    closed = await read(first_window)
    for item in send:
        if closed:
            break
        try:
            await ws.send(json.dumps(item) if isinstance(item, dict) else item)
        except ConnectionClosed:
            closed = True
            break
        if gap:
            closed = await read(gap)
    if not closed and until_close:
        await read(TIMEOUT)
    if ws.close_code is None:
        await asyncio.wait_for(ws.close(), TIMEOUT)
    else:
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    result.close_code = ws.close_code
    result.close_reason = ws.close_reason or ""
    return result


def http(server: FakeServer) -> httpx.Client:
    return httpx.Client(base_url=server.http_url, timeout=TIMEOUT, trust_env=False)


def body_json(resp: httpx.Response) -> Any:
    return json.loads(resp.content)

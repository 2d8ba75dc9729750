"""The WebSocket relay against a scripted upstream: close codes and reasons, frame order, silent streams.

The scripted upstream plays Deepgram's verbatim behaviour where the embedded fake would take too long
(the NET-0001 idle close arrives ~10 s after the last frame in production).
Close reasons verbatim: NET-0001 from pipecat-ai/pipecat#1113
(https://github.com/pipecat-ai/pipecat/issues/1113); the empty-transcript/zero-duration Metadata of a
stream whose audio could not be decoded from tempo-riz/deepgram_speech_to_text#7
(https://github.com/tempo-riz/deepgram_speech_to_text/issues/7).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from dg_entitlements.proxy.readahead import READ_AHEAD, ReadAheadProtocol
from dg_entitlements.proxy.server import ProxyServer
from dg_entitlements.proxy.settings import ProxySettings

from .conftest import bounded

NET0001 = "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"
ZERO_METADATA = {"type": "Metadata", "transaction_key": "deprecated", "request_id": "7f0c6a3e-0c5c-4f1e-9d7a-1",
                 "sha256": "", "created": "2024-01-01T00:00:00.000Z", "duration": 0.0, "channels": 0}
RELEASE = threading.Event()  # lets the /stall upstream go after a test
EMPTY_RESULTS = {"type": "Results", "channel_index": [0, 1], "duration": 0.0, "start": 0.0, "is_final": True,
                 "channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]}}


async def _script(ws: ServerConnection) -> None:
    path = ws.request.path if ws.request else ""
    if path.startswith("/idle"):  # Metadata then the NET-0001 close, as captured
        await ws.send(json.dumps({"type": "Metadata", "request_id": "rid-idle", "duration": 0.0}))
        await ws.close(1011, NET0001)
    elif path.startswith("/order"):  # echo each client message twice, text and binary interleaved
        async for message in ws:
            await ws.send(message)
            await ws.send(message[::-1])
    elif path.startswith("/stall"):  # accepts, then reads nothing until released, then everything
        while not RELEASE.is_set():
            await asyncio.sleep(0.02)
        async for _ in ws:
            pass
    elif path.startswith("/nostatus"):
        await ws.send("hello")
        await ws.close()  # a normal close the client should see as the upstream sent it
    elif path.startswith("/v1/listen"):  # accepted, audio received, nothing transcribed
        async for message in ws:
            if isinstance(message, str) and "CloseStream" in message:
                await ws.send(json.dumps(EMPTY_RESULTS))
                await ws.send(json.dumps(ZERO_METADATA))
                await ws.close(1000)
                return


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProxyServer, list[str]]]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Future[None] = loop.create_future()
    box: dict[str, int] = {}

    async def main() -> None:
        async with serve(_script, "127.0.0.1", 0) as server:
            box["port"] = next(iter(server.sockets)).getsockname()[1]
            ready.set()
            await stop

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), daemon=True)
    thread.start()
    assert ready.wait(10)
    lines: list[str] = []
    settings = ProxySettings(port=0, upstream=f"http://127.0.0.1:{box['port']}", report_dir=None)
    try:
        with ProxyServer(settings, out=lines.append) as proxy:
            yield proxy, lines
    finally:
        loop.call_soon_threadsafe(stop.set_result, None)
        thread.join(10)


def _printed(lines: list[str], needle: str) -> str:
    for _ in range(500):
        text = "\n".join(lines)
        if needle in text:
            return text
        threading.Event().wait(0.02)
    raise AssertionError(f"{needle!r} not printed:\n" + "\n".join(lines))


def test_close_code_and_reason_relayed_and_diagnosed(scripted: tuple[ProxyServer, list[str]]) -> None:
    proxy, lines = scripted

    def run() -> tuple[int | None, str | None, list[str | bytes]]:
        with connect(f"{proxy.ws_url}/idle/v1/listen?model=nova-3", proxy=None) as ws:
            got = []
            try:
                while True:
                    got.append(ws.recv(timeout=10))
            except ConnectionClosed as exc:
                return (exc.rcvd.code if exc.rcvd else None), (exc.rcvd.reason if exc.rcvd else None), got

    code, reason, got = bounded(run)
    assert (code, reason) == (1011, NET0001)
    assert json.loads(got[0])["type"] == "Metadata"
    text = _printed(lines, "close 1011")
    assert "idle_timeout" in text and "dpgr.am/net0001" in text


def test_frames_in_order_text_and_binary(scripted: tuple[ProxyServer, list[str]]) -> None:
    proxy, _ = scripted
    sent: list[str | bytes] = ["a1", b"\x01\x02\x03", "b2", b"\x04" * 5000, "c3"]

    def run() -> list[str | bytes]:
        with connect(f"{proxy.ws_url}/order", proxy=None, max_size=None) as ws:
            got: list[str | bytes] = []
            for message in sent:
                ws.send(message)
            for _ in range(2 * len(sent)):
                got.append(ws.recv(timeout=10))
            return got

    expected = [m for message in sent for m in (message, message[::-1])]
    assert bounded(run) == expected


def test_a_burst_arrives_complete_and_in_order(scripted: tuple[ProxyServer, list[str]]) -> None:
    """Many messages at once (the proxy reads ahead of the relay): none lost, none reordered."""
    proxy, _ = scripted
    sent: list[str | bytes] = [f"m{i}" if i % 2 else i.to_bytes(2, "big") * 800 for i in range(400)]

    def run() -> list[str | bytes]:
        with connect(f"{proxy.ws_url}/order", proxy=None, max_size=None) as ws:
            for message in sent:
                ws.send(message)
            return [ws.recv(timeout=10) for _ in range(2 * len(sent))]

    assert bounded(run) == [m for message in sent for m in (message, message[::-1])]


def test_reading_pauses_when_the_upstream_stops_reading(scripted: tuple[ProxyServer, list[str]]) -> None:
    """Backpressure and a bound: with an upstream that reads nothing, the proxy stops reading the app's
    socket once a few messages wait (READ_AHEAD, plus what one socket read already held)."""
    proxy, _ = scripted
    chunk = b"\x00" * 32000
    RELEASE.clear()

    def flood() -> None:
        with contextlib.suppress(ConnectionClosed), connect(f"{proxy.ws_url}/stall", proxy=None) as ws:
            while not RELEASE.is_set():
                ws.send(chunk)  # blocks once nobody along the way reads any more

    sender = threading.Thread(target=flood, daemon=True)
    sender.start()
    try:
        paused = _wait_for_paused(proxy)
        assert paused.queue.qsize() <= READ_AHEAD + (256 * 1024) // len(chunk) + 1
    finally:
        RELEASE.set()
        sender.join(15)
    assert not sender.is_alive()


def _wait_for_paused(proxy: ProxyServer) -> ReadAheadProtocol:
    server = proxy._server  # the running uvicorn server: its live connections are the protocol objects
    assert server is not None
    for _ in range(1000):
        for conn in list(server.server_state.connections):
            if isinstance(conn, ReadAheadProtocol) and conn.transport is not None and not conn.transport.is_reading():
                return conn
        threading.Event().wait(0.01)
    raise AssertionError("the proxy never stopped reading from an app whose upstream reads nothing")


def test_normal_close_passed_through(scripted: tuple[ProxyServer, list[str]]) -> None:
    proxy, _ = scripted

    def run() -> int | None:
        with connect(f"{proxy.ws_url}/nostatus", proxy=None) as ws:
            assert ws.recv(timeout=10) == "hello"
            try:
                ws.recv(timeout=10)
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None
        return -1

    assert bounded(run) == 1000


def test_silent_stream_is_diagnosed(scripted: tuple[ProxyServer, list[str]]) -> None:
    """Accepted, audio sent, nothing transcribed: the proxy says so when the stream ends."""
    proxy, lines = scripted

    def run() -> None:
        with connect(f"{proxy.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000",
                     proxy=None) as ws:
            for _ in range(5):
                ws.send(b"\x00" * 3200)
            ws.send(json.dumps({"type": "CloseStream"}))
            list(ws)

    bounded(run)
    text = _printed(lines, "undecodable_audio")
    assert "zero audio duration" in text and "7f0c6a3e-0c5c-4f1e-9d7a-1" in text


def test_unreachable_upstream_is_a_502_from_the_proxy(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    lines: list[str] = []
    settings = ProxySettings(port=0, upstream=f"http://127.0.0.1:{port}", report_dir=None)
    import httpx

    with ProxyServer(settings, out=lines.append) as proxy, httpx.Client(timeout=10, trust_env=False) as http:
        r = http.get(f"{proxy.http_url}/v1/models")
    assert r.status_code == 502 and r.headers["x-dg-entitlements-proxy"] == "upstream-error"
    text = "\n".join(lines)
    assert "no answer (refused)" in text and "network error" in text

"""The server itself: port 0, lifecycle, and the WebSocket cassette seam."""

from __future__ import annotations

import asyncio
import socket

import httpx
from fake_kit import FIXTURE_CONFIG, running, token, ws_session
from starlette.websockets import WebSocket

from dg_entitlements.fake import FakeServer, load_fake_config

CFG = load_fake_config(FIXTURE_CONFIG)


def test_port_zero_picks_distinct_free_ports_and_stop_releases_them() -> None:
    with FakeServer(CFG) as a, FakeServer(CFG) as b:
        assert a.port != b.port and a.port > 0
        assert a.http_url == f"http://127.0.0.1:{a.port}" and a.ws_url == f"ws://127.0.0.1:{a.port}"
        port = a.port
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens any more


def test_rest_and_ws_share_one_port(fake: FakeServer) -> None:
    with httpx.Client(timeout=5, trust_env=False) as c:
        assert c.get(f"{fake.http_url}/v1/models").status_code == 200
    res = asyncio.run(ws_session(f"{fake.ws_url}/v2/listen?model=flux-general-en", token("dgfake-payg-full-k1"),
                                 send=[{"type": "CloseStream"}]))
    assert res.status == 101


def test_ws_responder_is_offered_every_connection_first() -> None:
    offered: list[str] = []

    async def responder(websocket: WebSocket) -> bool:
        offered.append(websocket.url.path)
        if websocket.url.path != "/v1/listen":
            return False
        await websocket.accept()
        await websocket.send_json({"type": "Recorded", "from": "cassette"})
        await websocket.close(4000, "replayed")
        return True

    with running(CFG, ws_responder=responder) as server:
        replayed = asyncio.run(ws_session(f"{server.ws_url}/v1/listen?model=nova-3"))  # no key: the cassette answers
        live = asyncio.run(ws_session(f"{server.ws_url}/v2/listen?model=flux-general-en",
                                      token("dgfake-payg-full-k1"), send=[{"type": "CloseStream"}]))
    assert offered == ["/v1/listen", "/v2/listen"]
    assert replayed.texts() == [{"type": "Recorded", "from": "cassette"}]
    assert (replayed.close_code, replayed.close_reason) == (4000, "replayed")
    assert live.types() == ["Connected"]

"""Each injected fault, as a client sees it (issue 5 item 6), plus the limits (429, 402)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import fields
from typing import Any

import httpx
import pytest
from fake_kit import TIMEOUT, WsResult, body_json, config, http, running, token, wav, ws_session
from websockets.asyncio.client import connect

from dg_entitlements.fake.config import Faults
from dg_entitlements.fake.faults import APPLIED_IN

KEY = token("dgfake-test-k1")
FLUX = "/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"


def test_error_rate_5xx_is_deterministic() -> None:
    cfg = config({"acct": {"faults": {"error_rate_5xx": 0.25, "status_5xx": 503}}})
    with running(cfg) as server, http(server) as c:
        statuses = [c.post("/v1/listen?model=nova-3", content=wav(0.2), headers=KEY).status_code for _ in range(8)]
        last = c.post("/v1/listen?model=nova-3", content=wav(0.2), headers=KEY)
        for _ in range(2):
            c.post("/v1/listen?model=nova-3", content=wav(0.2), headers=KEY)
        failed = c.post("/v1/listen?model=nova-3", content=wav(0.2), headers=KEY)
    assert statuses == [200, 200, 200, 503, 200, 200, 200, 503]
    assert last.status_code == 200
    assert failed.status_code == 503
    assert body_json(failed) == {"err_code": "Service Unavailable", "err_msg": "Please try again later",
                                 "request_id": failed.headers["dg-request-id"]}


def test_5xx_on_handshake() -> None:
    cfg = config({"acct": {"faults": {"error_rate_5xx": 1.0, "status_5xx": 500}}})
    with running(cfg) as server:
        res = asyncio.run(ws_session(server.ws_url + FLUX, KEY))
    assert res.status == 500 and res.headers["dg-request-id"]


def test_rate_limit_with_and_without_retry_after() -> None:
    cfg = config({"with": {"faults": {"rate_limit": True, "retry_after_s": 2.5}},
                  "without": {"key": "dgfake-test-k2", "project_id": "7d1c0a52-fa4e-4c3b-9e51-0000000000bb",
                              "faults": {"rate_limit": True}}})
    with running(cfg) as server, http(server) as c:
        stt = c.post("/v1/listen?model=nova-3", content=wav(), headers=KEY)
        tts = c.post("/v1/speak?model=aura-2-thalia-en", json={"text": "hi"}, headers=token("dgfake-test-k2"))
    assert stt.status_code == 429 and stt.headers["retry-after"] == "2.5"
    assert body_json(stt) == {"err_code": "TOO_MANY_REQUESTS", "err_msg": "Too many requests. Please try again later",
                              "request_id": stt.headers["dg-request-id"]}
    assert tts.status_code == 429 and "retry-after" not in tts.headers
    assert body_json(tts)["err_code"] == "Too Many Requests"


def test_reset_handshake_rest_and_ws() -> None:
    cfg = config({"acct": {"faults": {"reset_handshake": True}}})
    with running(cfg) as server:
        with http(server) as c, pytest.raises(httpx.TransportError):
            c.post("/v1/listen?model=nova-3", content=wav(), headers=KEY)
        res = asyncio.run(ws_session(server.ws_url + FLUX, KEY))
        with http(server) as c:  # refusals still answer: the fault hits admitted requests only
            assert c.post("/v1/listen?model=nova-3", content=wav(), headers=token("dgfake-bad-k")).status_code == 401
    assert res.status is None and res.error is not None


def test_never_answer_hangs_only_matching_routes() -> None:
    cfg = config({"acct": {"faults": {"never_answer": ["/v1/listen"]}}})
    with running(cfg) as server, httpx.Client(base_url=server.http_url, timeout=0.5, trust_env=False) as c:
        with pytest.raises(httpx.ReadTimeout):
            c.post("/v1/listen?model=nova-3", content=wav(), headers=KEY)
        assert c.get("/v1/projects", headers=KEY).status_code == 200


def test_latency_is_added_to_every_answer() -> None:
    cfg = config({"acct": {"faults": {"latency_ms": 300}}})
    with running(cfg, latency_ms=100) as server, http(server) as c:
        assert server.config.server.latency_ms == 100
        r = c.get("/v1/projects", headers=KEY)
        public = c.get("/v1/models")
    # Elapsed time is a property of the answer, not a race: it cannot be shorter than the sleep.
    assert r.elapsed.total_seconds() >= 0.4
    assert public.elapsed.total_seconds() >= 0.1


def test_slow_close_delays_the_close_frame() -> None:
    cfg = config({"acct": {"faults": {"slow_close_ms": 400}}})

    async def scenario() -> tuple[float, int | None]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        res = await ws_session(server.ws_url + "/v1/speak?model=aura-2-thalia-en", KEY, send=[{"type": "Close"}],
                               first_window=0.0)
        return loop.time() - started, res.close_code

    with running(cfg) as server:
        took, code = asyncio.run(scenario())
    assert code == 1000
    assert took >= 0.4


def test_malformed_and_plain_text_error_bodies() -> None:
    cfg = config({"bad": {"faults": {"malformed_error_body": True}},
                  "text": {"key": "dgfake-test-k2", "project_id": "7d1c0a52-fa4e-4c3b-9e51-0000000000bb",
                           "faults": {"plain_text_errors": True}}})
    with running(cfg) as server, http(server) as c:
        bad = c.post("/v1/listen?model=nova-3-genral", content=wav(), headers=KEY)
        text = c.post("/v1/listen?model=nova-3-genral", content=wav(), headers=token("dgfake-test-k2"))
        ws_text = asyncio.run(ws_session(server.ws_url + "/v1/listen?model=zz-nope", token("dgfake-test-k2")))
    assert bad.status_code == 403 and bad.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(bad.content)
    assert bad.headers["dg-error"] == "Project does not have access to the requested model."
    assert text.status_code == 403 and text.headers["content-type"].startswith("text/plain")
    assert text.text == "Project does not have access to the requested model."
    assert ws_text.status == 403 and ws_text.body == b"Project does not have access to the requested model."


def test_concurrent_streams_over_the_limit_get_429() -> None:
    cfg = config({"acct": {"max_concurrent_streams": 2}})

    async def scenario() -> tuple[WsResult, WsResult]:
        url = server.ws_url + FLUX
        held = [await connect(url, additional_headers=KEY, open_timeout=TIMEOUT, proxy=None) for _ in range(2)]
        over = await ws_session(url, KEY)
        for ws in held:
            await asyncio.wait_for(ws.close(), TIMEOUT)
        for _ in range(50):  # the server frees a slot when it sees the close; wait for it, bounded
            if server.state.slots.open[server.config.accounts[0].project_id] == 0:
                break
            await asyncio.sleep(0.02)
        return over, await ws_session(url, KEY, send=[{"type": "CloseStream"}])

    with running(cfg) as server:
        over, again = asyncio.run(scenario())
        with http(server) as c:  # REST is not a stream: unaffected by the stream limit
            assert c.post("/v1/listen?model=nova-3", content=wav(), headers=KEY).status_code == 200
    assert over.status == 429
    assert "retry-after" not in over.headers
    assert over.json_body() == {"err_code": "TOO_MANY_REQUESTS", "err_msg": "Too many requests. Please try again later",
                                "request_id": over.headers["dg-request-id"]}
    assert again.status == 101


# ------------------------------------------------------------------- every fault is loaded and applied

def test_every_fault_field_says_where_it_is_applied() -> None:
    """A field added to Faults without wiring it into the server would be accepted and do nothing."""
    assert set(APPLIED_IN) == {f.name for f in fields(Faults)}


def test_every_fault_field_loads_from_toml_by_its_type() -> None:
    samples = {bool: True, int: 502, float: 0.5}
    for f in fields(Faults):
        default = getattr(Faults(), f.name)
        value: Any = ["/v1/listen"] if isinstance(default, tuple) else samples.get(type(default), 1.0)
        loaded = config(accounts={"acct": {"faults": {f.name: value}}}).accounts[0].faults
        assert getattr(loaded, f.name) != default, f.name

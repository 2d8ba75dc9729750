"""Every credential form Deepgram takes (§2), and the 401 for everything else."""

from __future__ import annotations

import asyncio

import pytest
from fake_kit import FULL_KEY, FULL_PROJECT, NO_FLUX_KEY, body_json, http, token, wav, ws_session

from dg_entitlements.fake import FakeServer
from dg_entitlements.fake.auth import mint_jwt

FLUX = "/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"


def grant(fake: FakeServer, key: str = FULL_KEY, ttl: int = 30) -> str:
    with http(fake) as c:
        r = c.post("/v1/auth/grant", json={"ttl_seconds": ttl}, headers=token(key))
    assert r.status_code == 200
    body = body_json(r)
    assert body["expires_in"] == ttl
    jwt: str = body["access_token"]
    assert jwt.count(".") == 2
    return jwt


@pytest.mark.parametrize("scheme", ["Token", "token", "TOKEN"])
def test_token_scheme_any_case(fake: FakeServer, scheme: str) -> None:
    with http(fake) as c:
        r = c.get("/v1/projects", headers={"Authorization": f"{scheme} {FULL_KEY}"})
    assert r.status_code == 200
    assert body_json(r)["projects"][0]["project_id"] == FULL_PROJECT


@pytest.mark.parametrize("header", [None, "Token", "Token wrong-key-123", f"Bearer {FULL_KEY}", f"Basic {FULL_KEY}",
                                    "Bearer not.a.jwt"])
def test_missing_malformed_wrong_credentials(fake: FakeServer, header: str | None) -> None:
    with http(fake) as c:
        r = c.post("/v1/listen?model=nova-3", content=wav(), headers={"Authorization": header} if header else {})
    assert r.status_code == 401
    assert body_json(r)["err_code"] == "INVALID_AUTH"
    assert r.headers["dg-error"] == "Invalid credentials."
    assert body_json(r)["request_id"] == r.headers["dg-request-id"]


def test_key_in_query_string_is_not_accepted(fake: FakeServer) -> None:
    with http(fake) as c:
        r = c.post("/v1/listen", params={"model": "nova-3", "token": FULL_KEY}, content=wav())
    assert r.status_code == 401


def test_jwt_works_on_voice_not_on_management(fake: FakeServer) -> None:
    jwt = grant(fake)
    with http(fake) as c:
        ok = c.post("/v1/listen?model=nova-3", content=wav(), headers={"Authorization": f"Bearer {jwt}"})
        lower = c.post("/v1/speak?model=aura-2-thalia-en", json={"text": "hi"},
                       headers={"Authorization": f"bearer {jwt}"})
        manage = c.get("/v1/projects", headers={"Authorization": f"Bearer {jwt}"})
        regrant = c.post("/v1/auth/grant", headers={"Authorization": f"Bearer {jwt}"})
    assert (ok.status_code, lower.status_code) == (200, 200)
    assert manage.status_code == 403 and body_json(manage)["err_code"] == "INSUFFICIENT_PERMISSIONS"
    assert regrant.status_code == 403


def test_member_key_can_grant(fake: FakeServer) -> None:
    assert grant(fake, NO_FLUX_KEY, ttl=60)


def test_expired_or_forged_jwt_is_401(fake: FakeServer) -> None:
    record = fake.state.keys[FULL_KEY]
    expired = mint_jwt(fake.state, record, ttl_s=30, now=1_000_000.0)
    head, payload, sig = mint_jwt(fake.state, record, ttl_s=30).split(".")
    forged = f"{head}.{payload}.{sig[:-2]}AA"
    with http(fake) as c:
        for jwt in (expired, forged):
            r = c.post("/v1/listen?model=nova-3", content=wav(), headers={"Authorization": f"Bearer {jwt}"})
            assert r.status_code == 401


def test_ws_bearer_header_and_handshake_401(fake: FakeServer) -> None:
    jwt = grant(fake)
    ok = asyncio.run(ws_session(fake.ws_url + FLUX, {"Authorization": f"Bearer {jwt}"},
                                send=[{"type": "CloseStream"}]))
    bad = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=nova-3", {"Authorization": "Token nope-nope-nope"}))
    assert ok.status == 101 and ok.texts()[0]["type"] == "Connected"
    assert bad.status == 401
    assert bad.headers["content-type"] == "application/json"
    assert bad.headers["dg-error"] == "Invalid credentials."
    assert bad.json_body()["request_id"] == bad.headers["dg-request-id"]


@pytest.mark.parametrize(("protocols", "echo"), [
    (["token", FULL_KEY], "token"),
    (["token", FULL_KEY, "x-deepgram-session-id", "6a1f0c1e-0000-4000-8000-000000000001"], "token"),
])
def test_browser_subprotocol_token(fake: FakeServer, protocols: list[str], echo: str) -> None:
    res = asyncio.run(ws_session(fake.ws_url + FLUX, subprotocols=protocols, send=[{"type": "CloseStream"}]))
    assert res.status == 101
    assert res.subprotocol == echo
    assert res.texts()[0]["type"] == "Connected"


def test_browser_subprotocol_bearer(fake: FakeServer) -> None:
    jwt = grant(fake)
    res = asyncio.run(ws_session(fake.ws_url + FLUX, subprotocols=["bearer", jwt], send=[{"type": "CloseStream"}]))
    assert (res.status, res.subprotocol) == (101, "bearer")


def test_offered_subprotocols_are_echoed_with_header_auth(fake: FakeServer) -> None:
    res = asyncio.run(ws_session(fake.ws_url + FLUX, token(FULL_KEY), subprotocols=["x-deepgram-session-id", "abc"],
                                 send=[{"type": "CloseStream"}]))
    assert (res.status, res.subprotocol) == (101, "x-deepgram-session-id")


def test_browser_subprotocol_wrong_key(fake: FakeServer) -> None:
    res = asyncio.run(ws_session(fake.ws_url + FLUX, subprotocols=["token", "dgfake-nobody-k9"]))
    assert res.status == 401


def test_models_list_needs_no_key(fake: FakeServer) -> None:
    with http(fake) as c:
        r = c.get("/v1/models")
        v2 = c.get("/v2/models")
    assert r.status_code == 200 and body_json(r)["stt"]
    assert v2.status_code == 200 and all(v["canonical_name"].startswith("flux-") for v in body_json(v2)["tts"])

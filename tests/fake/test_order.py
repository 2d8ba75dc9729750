"""The order of checks (§2.5, §5.4): what a client learns depends on which check answers first."""

from __future__ import annotations

import asyncio

import pytest
from fake_kit import (
    FULL_KEY,
    FULL_PROJECT,
    NO_CREDITS_KEY,
    NO_FLUX_KEY,
    body_json,
    config,
    http,
    running,
    token,
    wav,
    ws_session,
)

from dg_entitlements.fake import FakeServer

BOGUS = {"Authorization": "Token dgfake-bogus-key-0"}


@pytest.mark.parametrize(("query", "code", "message"), [
    ("model=flux-general-en&channels=1&punctuate=true&channels=2", "INVALID_QUERY_PARAMETER",
     "Unknown query parameters: channels, punctuate"),
    ("model=nova-3&encoding=linear16", "V1_MODEL_ON_V2_LISTEN_ENDPOINT",
     "Only flux models are supported on the `/v2/listen` endpoint."),
    ("model=flux-general-en&eot_threshold=0.2", "INVALID_QUERY_PARAMETER", "eot_threshold must be between 0.5 and 1.0"),
    ("model=flux-general-en&eot_threshold=0.6&eager_eot_threshold=0.8", "INVALID_QUERY_PARAMETER",
     "eager_eot_threshold must be less than or equal to eot_threshold"),
    ("model=flux-general-en&eot_timeout_ms=70000", "INVALID_QUERY_PARAMETER", "eot_timeout_ms must be between"),
    ("model=flux-general-en&language_hint=de", "INVALID_QUERY_PARAMETER", "`language_hint` is only supported"),
    ("model=flux-general-en&redact=pci", "INVALID_QUERY_PARAMETER", "Invalid redact value"),
    ("model=flux", "INVALID_QUERY_PARAMETER", "unknown variant `flux`"),
])
def test_v2_listen_validates_before_auth(fake: FakeServer, query: str, code: str, message: str) -> None:
    for headers in (BOGUS, {}):
        res = asyncio.run(ws_session(f"{fake.ws_url}/v2/listen?{query}", headers))
        assert res.status == 400, query
        assert res.json_body()["err_code"] == code
        assert message in res.json_body()["err_msg"]
        assert res.headers["dg-error"] == res.json_body()["err_msg"]


def test_v2_listen_good_params_with_bogus_key_is_401(fake: FakeServer) -> None:
    url = f"{fake.ws_url}/v2/listen?model=flux-general-multi&language_hint=de&eot_threshold=0.8&eager_eot_threshold=0.5"
    assert asyncio.run(ws_session(url, BOGUS)).status == 401


def test_v2_speak_order(fake: FakeServer) -> None:
    with http(fake) as c:
        unknown = c.post("/v2/speak?model=flux-alexis-en&voice=x", json={"text": "hi"}, headers=BOGUS)
        aura = c.post("/v2/speak?model=aura-2-thalia-en", json={"text": "hi"}, headers=BOGUS)
        enum = c.post("/v2/speak?model=flux-alexis-en&encoding=wav9", json={"text": "hi"}, headers=BOGUS)
        speed = c.post("/v2/speak?model=flux-alexis-en&speed=3.0", json={"text": "hi"}, headers=BOGUS)
        speed_ok_key = c.post("/v2/speak?model=flux-alexis-en&speed=3.0", json={"text": "hi"}, headers=token(FULL_KEY))
    assert (unknown.status_code, body_json(unknown)["err_code"]) == (400, "INVALID_QUERY_PARAMETER")
    assert "unknown field `voice`" in body_json(unknown)["err_msg"]
    assert (aura.status_code, body_json(aura)["err_code"]) == (400, "V1_MODEL_ON_V2_SPEAK_ENDPOINT")
    assert enum.status_code == 400
    assert speed.status_code == 401  # numeric ranges come after auth (observed)
    assert speed_ok_key.status_code == 400


def test_v1_listen_checks_auth_before_params(fake: FakeServer) -> None:
    with http(fake) as c:
        r = c.post("/v1/listen?model=flux-general-en", content=wav(), headers=BOGUS)
    assert r.status_code == 401


def test_validation_before_entitlement_before_credits(fake: FakeServer) -> None:
    with http(fake) as c:
        flux_no_credits = c.post("/v1/listen?model=flux-general-en", content=wav(), headers=token(NO_CREDITS_KEY))
        typo_no_credits = c.post("/v1/listen?model=nova-3-genral", content=wav(), headers=token(NO_CREDITS_KEY))
        good_no_credits = c.post("/v1/listen?model=nova-3", content=wav(), headers=token(NO_CREDITS_KEY))
        lang = c.post("/v1/listen?model=nova-3&language=zz", content=wav(), headers=token(FULL_KEY))
        upper_bool = c.post("/v1/listen?model=nova-3&punctuate=True", content=wav(), headers=token(FULL_KEY))
        keyterm = c.post("/v1/listen?model=nova-2&keyterm=Deepgram", content=wav(), headers=token(FULL_KEY))
        callback = c.post("/v1/listen?model=nova-3&callback=dpgr.am/callback", content=wav(), headers=token(FULL_KEY))
    assert flux_no_credits.status_code == 400
    assert typo_no_credits.status_code == 403
    assert (good_no_credits.status_code, body_json(good_no_credits)["err_code"]) == (402, "ASR_PAYMENT_REQUIRED")
    assert (lang.status_code, body_json(lang)["err_msg"]) == (
        400, "Bad Request: No such model/language/tier combination found.")
    assert body_json(upper_bool) == {"err_code": "Bad Request", "err_msg": "Invalid query string.",
                                     "request_id": upper_bool.headers["dg-request-id"]}
    assert "`keyterm` is only supported for Nova-3" in body_json(keyterm)["err_msg"]
    assert callback.status_code == 400 and callback.headers["dg-error"] == "Invalid query string."


def test_stream_feature_checks(fake: FakeServer) -> None:
    base = f"{fake.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
    both = asyncio.run(ws_session(base + "&topics=true&intents=true", token(NO_CREDITS_KEY)))
    summarize = asyncio.run(ws_session(base + "&summarize=v2", token(FULL_KEY)))
    sentiment = asyncio.run(ws_session(base + "&sentiment=true", token(FULL_KEY), send=[{"type": "CloseStream"}]))
    assert both.status == 403
    assert both.json_body()["err_msg"] == (
        'Project does not have access to the requested feature/s ["topics", "intents"].')
    assert summarize.status == 400
    assert summarize.json_body()["err_msg"] == "Summarization is not available for streaming."
    assert sentiment.status == 101  # silently ignored on the stream


def test_routes_and_methods(fake: FakeServer) -> None:
    with http(fake) as c:
        missing = c.get("/v1/nothing-here", headers=token(FULL_KEY))
        post_v2 = c.post("/v2/listen?model=flux-general-en", content=wav(), headers=token(FULL_KEY))
        get_read = c.get("/v1/read?language=en", headers=token(FULL_KEY))
    ws_read = asyncio.run(ws_session(f"{fake.ws_url}/v1/read?language=en", token(FULL_KEY)))
    assert missing.status_code == 404
    assert post_v2.status_code == 405 and get_read.status_code == 405 and ws_read.status == 405
    assert ws_read.headers["dg-request-id"] and ws_read.headers["dg-error"]


def test_scope_and_project_checks(fake: FakeServer) -> None:
    with http(fake) as c:
        member_keys = c.get("/v1/projects/7d1c0a52-fa4e-4c3b-9e51-000000000002/keys", headers=token(NO_FLUX_KEY))
        other = c.get(f"/v1/projects/{FULL_PROJECT}/models", headers=token(NO_FLUX_KEY))
        not_uuid = c.get("/v1/projects/proj-1/models", headers=token(FULL_KEY))
    assert (member_keys.status_code, body_json(member_keys)["err_msg"]) == (
        403, "User does not have sufficient permissions.")
    assert other.status_code == 404
    assert body_json(other) == {"err_code": "PROJECT_NOT_FOUND", "err_msg": "Project not found."}
    assert not_uuid.status_code == 404 and not_uuid.headers["content-type"].startswith("text/plain")
    assert not_uuid.text.startswith("UUID parsing failed: invalid character")


def test_scope_status_is_configurable() -> None:
    cfg = config({"acct": {"role": "member"}}, fidelity={"scope_denied_status": 401})
    with running(cfg) as server, http(server) as c:
        r = c.get("/v1/projects/7d1c0a52-fa4e-4c3b-9e51-0000000000aa/keys", headers=token("dgfake-test-k1"))
    assert (r.status_code, body_json(r)["err_code"]) == (401, "INSUFFICIENT_PERMISSIONS")


def test_regional_role_404s_projects_only() -> None:
    with running(config(server={"region": "eu"})) as server, http(server) as c:
        projects = c.get("/v1/projects", headers=token("dgfake-test-k1"))
        listen = c.post("/v1/listen?model=nova-3", content=wav(), headers=token("dgfake-test-k1"))
        models = c.get("/v1/models")
        bad_key = c.get("/v1/projects", headers=token("dgfake-other-k1"))
    assert projects.status_code == 404 and projects.headers["dg-request-id"]
    assert (listen.status_code, models.status_code, bad_key.status_code) == (200, 200, 401)

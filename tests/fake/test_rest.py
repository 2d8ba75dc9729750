"""REST answers: pre-recorded STT, TTS audio and headers, /v1/read, models, management, grant."""

from __future__ import annotations

import struct

import pytest
from fake_kit import FULL_KEY, FULL_PROJECT, NO_FLUX_KEY, body_json, http, token, wav

from dg_entitlements.fake import FakeServer

KEY = token(FULL_KEY)
NO_FLUX_PROJECT = "7d1c0a52-fa4e-4c3b-9e51-000000000002"


def test_prerecorded_audio_and_url(fake: FakeServer) -> None:
    with http(fake) as c:
        audio = c.post("/v1/listen?model=nova-3&smart_format=true", content=wav(2.0),
                       headers={**KEY, "Content-Type": "application/octet-stream"})
        url = c.post("/v1/listen?model=nova-2", json={"url": "https://example.invalid/a.wav"}, headers=KEY)
        junk = c.post("/v1/listen?model=nova-2", content=b"\x00\x01 not audio", headers=KEY)
        raw = c.post("/v1/listen?model=nova-2&encoding=linear16&sample_rate=8000", content=bytes(16000), headers=KEY)
    body = body_json(audio)
    assert body["metadata"]["duration"] == 2.0 and body["metadata"]["request_id"] == audio.headers["dg-request-id"]
    alt = body["results"]["channels"][0]["alternatives"][0]
    assert alt["transcript"] == "We the people of the."  # one word per 0.4 s
    assert audio.headers["dg-model-name"] == "nova-3-general"
    assert url.status_code == 200 and body_json(url)["metadata"]["duration"] >= 5.0
    assert (junk.status_code, body_json(junk)["err_msg"]) == (
        400, "Bad Request: failed to process audio: corrupt or unsupported data")
    assert body_json(raw)["metadata"]["duration"] == 1.0


@pytest.mark.parametrize(("query", "media", "check"), [
    ("model=aura-2-thalia-en", "audio/mpeg", b"\xff\xf3"),
    ("model=aura-asteria-en&encoding=linear16&sample_rate=16000", "audio/wav", b"RIFF"),
    ("model=aura-2-celeste-es&encoding=linear16&container=none", "audio/l16", b""),
    ("model=aura-2-thalia-en&encoding=mulaw&container=wav&sample_rate=8000", "audio/wav", b"RIFF"),
    ("model=aura-2-thalia-en&encoding=opus", "audio/ogg", b"OggS"),
])
def test_speak_rest_audio(fake: FakeServer, query: str, media: str, check: bytes) -> None:
    with http(fake) as c:
        r = c.post(f"/v1/speak?{query}", json={"text": "Hello world."}, headers=KEY)
    assert r.status_code == 200 and r.headers["content-type"] == media
    assert r.content.startswith(check)
    assert r.headers["dg-char-count"] == "12" and r.headers["dg-model-uuid"] and r.headers["dg-request-id"]
    assert r.headers["dg-project-id"] == FULL_PROJECT
    if check == b"RIFF":
        rate = struct.unpack("<I", r.content[24:28])[0]
        assert rate == (8000 if "8000" in query else 16000)


def test_speak_rest_refusals(fake: FakeServer) -> None:
    with http(fake) as c:
        helios = c.post("/v1/speak?model=aura-2-helios-en", json={"text": "hi"}, headers=KEY)
        malformed = c.post("/v1/speak?model=aura-2", json={"text": "hi"}, headers=KEY)
        flux_on_v1 = c.post("/v1/speak?model=flux-alexis-en", json={"text": "hi"}, headers=KEY)
        empty = c.post("/v1/speak", json={"text": ""}, headers=KEY)
        long = c.post("/v1/speak", json={"text": "a" * 2001}, headers=KEY)
        both = c.post("/v1/speak", json={"text": "a", "url": "https://x.invalid"}, headers=KEY)
        xml = c.post("/v1/speak", content=b"<speak/>", headers={**KEY, "Content-Type": "application/xml"})
        plain = c.post("/v2/speak?model=flux-alexis-en", content=b"Hi.", headers={**KEY, "Content-Type": "text/plain"})
    assert helios.status_code == 400
    assert body_json(helios)["err_msg"] == "Bad Request: No such model/version combination found."
    assert body_json(malformed)["err_msg"] == "Invalid 'model' value of 'aura-2'."
    assert flux_on_v1.status_code == 400
    assert (empty.status_code, body_json(empty)["err_msg"]) == (400, "Input text contains no characters.")
    assert (long.status_code, body_json(long)["err_code"]) == (413, "Payload Too Large")
    assert (both.status_code, body_json(both)["err_code"]) == (400, "PAYLOAD_ERROR")
    assert xml.status_code == 415
    assert plain.status_code == 200 and plain.headers["dg-model-name"] == "flux-alexis-en"


def test_read(fake: FakeServer) -> None:
    with http(fake) as c:
        ok = c.post("/v1/read?language=en&summarize=true&topics=true", json={"text": "Deepgram builds models."},
                    headers=KEY)
        no_lang = c.post("/v1/read", json={"text": "x"}, headers=KEY)
        multi = c.post("/v1/read?language=multi", json={"text": "x"}, headers=KEY)
        neither = c.post("/v1/read?language=en", json={}, headers=KEY)
    body = body_json(ok)
    assert body["results"]["summary"]["text"] == "Deepgram builds models." and body["results"]["topics"]
    assert body_json(no_lang)["err_msg"] == "Failed to deserialize query parameters: missing field `language`"
    assert multi.status_code == 400
    assert body_json(neither)["err_code"] == "PAYLOAD_ERROR"


def test_public_models_never_list_flux_stt(fake: FakeServer) -> None:
    with http(fake) as c:
        body = body_json(c.get("/v1/models"))
        one = c.get(f"/v1/models/{body['stt'][0]['uuid']}")
        flux = c.get("/v1/models/flux-general-en")
    names = [m["canonical_name"] for m in body["stt"]]
    assert "nova-3-general" in names and "whisper-large" in names
    assert not [n for n in names if "flux" in n]
    assert not [v for v in body["tts"] if v["canonical_name"].startswith("flux-")]
    assert one.status_code == 200 and body_json(one)["uuid"] == body["stt"][0]["uuid"]
    assert flux.status_code == 404


def test_project_models_are_the_entitled_ones(fake: FakeServer) -> None:
    with http(fake) as c:
        full = body_json(c.get(f"/v1/projects/{FULL_PROJECT}/models", headers=KEY))
        limited = body_json(c.get(f"/v1/projects/{NO_FLUX_PROJECT}/models", headers=token(NO_FLUX_KEY)))
    full_names = {m["canonical_name"] for m in full["stt"]}
    limited_names = {m["canonical_name"] for m in limited["stt"]}
    assert {"flux-general-en", "flux-general-multi", "whisper-large"} <= full_names
    assert not {n for n in limited_names if n.startswith(("flux", "whisper"))}
    assert "nova-3-general" in limited_names


def test_management_listings(fake: FakeServer) -> None:
    base = f"/v1/projects/{FULL_PROJECT}"
    with http(fake) as c:
        keys = body_json(c.get(f"{base}/keys", headers=KEY))
        members = body_json(c.get(f"{base}/members", headers=KEY))
        balances = body_json(c.get(f"{base}/balances", headers=KEY))
        usage = body_json(c.get(f"{base}/usage", headers=KEY))
        project = body_json(c.get(base, headers=KEY))
    assert keys["api_keys"][0]["api_key"]["scopes"] == ["owner"]
    assert members["members"][0]["scopes"] == ["owner"]
    assert balances["balances"][0]["amount"] == 200.0 and balances["balances"][0]["units"] == "usd"
    assert usage["results"][0]["requests"] >= 0 and usage["resolution"] == {"units": "day", "amount": 1}
    assert project["project_id"] == FULL_PROJECT


def test_created_key_works_and_can_be_deleted(fake: FakeServer) -> None:
    base = f"/v1/projects/{FULL_PROJECT}/keys"
    with http(fake) as c:
        created = body_json(c.post(base, json={"comment": "ci", "scopes": ["member"]}, headers=KEY))
        new = token(created["key"])
        listen = c.post("/v1/listen?model=nova-3", content=wav(), headers=new)
        keys_as_member = c.get(base, headers=new)
        deleted = c.delete(f"{base}/{created['api_key_id']}", headers=KEY)
        after = c.post("/v1/listen?model=nova-3", content=wav(), headers=new)
    assert created["scopes"] == ["member"] and created["key"].startswith("dgfake-")
    assert listen.status_code == 200 and keys_as_member.status_code == 403
    assert deleted.status_code == 200 and after.status_code == 401


def test_grant_rejects_bad_ttl(fake: FakeServer) -> None:
    with http(fake) as c:
        r = c.post("/v1/auth/grant", json={"ttl_seconds": 0}, headers=KEY)
        default = c.post("/v1/auth/grant", headers=KEY)
    assert r.status_code == 400
    assert body_json(default)["expires_in"] == 30

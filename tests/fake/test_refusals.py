"""What Deepgram refuses, the fake refuses, as a client sees it through real loopback sockets (issue 12
item 4). Each expected answer cites its source; docs/fidelity.md lists the knobs."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fake_kit import FULL_KEY, TIMEOUT, config, pcm, running, token, wav, ws_session

from dg_entitlements.fake import FakeServer

KEY = token(FULL_KEY)
TEST_KEY = token("dgfake-test-k1")


def post(server: FakeServer, query: str, headers: dict[str, str] = TEST_KEY) -> httpx.Response:
    with httpx.Client(base_url=server.http_url, timeout=TIMEOUT, trust_env=False) as c:
        return c.post("/v1/listen?" + query, content=wav(), headers=headers)


def err(resp: httpx.Response) -> tuple[int, str, str]:
    body = resp.json()
    return resp.status_code, body["err_code"], body["err_msg"]


# ------------------------------------------------------------------------------ keyterm / keywords


def test_keyterm_on_nova2_rest_and_ws_is_the_observed_400(fake: FakeServer) -> None:
    # reference §5.4 G (observed live on the WS handshake)
    msg = "`keyterm` is only supported for Nova-3 and Flux. Please use `keywords` instead."
    assert err(post(fake, "model=nova-2&keyterm=Deepgram", KEY)) == (400, "INVALID_QUERY_PARAMETER", msg)
    res = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=nova-2&keyterm=Deepgram", KEY))
    assert res.status == 400 and res.json_body()["err_msg"] == msg


def test_keywords_on_nova3_is_refused_by_default_and_accepted_by_knob(fake: FakeServer) -> None:
    # https://github.com/braden-w/whispering/issues/5 (REST body), deepgram-js-sdk#474 (WS 400)
    msg = "Keywords are not supported for Nova-3. Please use `keyterm` instead."
    assert err(post(fake, "model=nova-3&keywords=Deepgram:2", KEY)) == (400, "INVALID_QUERY_PARAMETER", msg)
    res = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=nova-3&keywords=Deepgram", KEY))
    assert res.status == 400 and res.json_body()["err_msg"] == msg
    assert post(fake, "model=nova-2&keywords=Deepgram:2", KEY).status_code == 200
    with running(config(fidelity={"keywords_on_nova3": "accept"})) as server:
        assert post(server, "model=nova-3&keywords=Deepgram:2").status_code == 200


def test_keyterm_token_limit_500(fake: FakeServer) -> None:
    # DOCS https://developers.deepgram.com/docs/keyterm "Key Term Limits"; deepgram-python-sdk#503
    words = [f"w{i}" for i in range(501)]
    over = "&".join(f"keyterm={w}" for w in words)
    assert err(post(fake, "model=nova-3&" + over, KEY)) == (
        400, "INVALID_QUERY_PARAMETER",
        "Keyterm limit exceeded. The maximum number of tokens across all keyterms is 500.")
    at_limit = "&".join(f"keyterm={w}" for w in words[:500])
    assert post(fake, "model=nova-3&" + at_limit, KEY).status_code == 200
    # multi-word terms count every word
    phrases = "&".join("keyterm=" + "+".join(f"w{i}-{j}" for j in range(5)) for i in range(101))
    assert post(fake, "model=nova-3&" + phrases, KEY).status_code == 400


def test_keyterm_limits_are_knobs() -> None:
    cfg = config(fidelity={"keyterm_max_tokens": 3, "keyterm_max_count": 2})
    with running(cfg) as server:
        assert post(server, "model=nova-3&keyterm=a&keyterm=b").status_code == 200
        three = post(server, "model=nova-3&keyterm=a&keyterm=b&keyterm=c")
        assert err(three)[2] == "Keyterm limit exceeded. The maximum number of keyterms is 2."
        many_words = post(server, "model=nova-3&keyterm=a+b+c+d")
        assert err(many_words)[2].endswith("The maximum number of tokens across all keyterms is 3.")
    with running(config(fidelity={"keyterm_max_tokens": 0})) as server:  # 0: off
        assert post(server, "model=nova-3&" + "&".join(f"keyterm=w{i}" for i in range(600))).status_code == 200


def test_flux_keyterm_chars_knob_off_by_default_on_when_set(fake: FakeServer) -> None:
    # one report: deepgram-python-sdk#616 (Flux handshake 400 past 100 characters of keyterms)
    url = "/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000&keyterm=" + "x" * 101
    ok = asyncio.run(ws_session(fake.ws_url + url, KEY, send=[{"type": "CloseStream"}]))
    assert ok.status == 101
    with running(config(fidelity={"flux_keyterm_max_chars": 100})) as server:
        res = asyncio.run(ws_session(server.ws_url + url, TEST_KEY))
        fine = asyncio.run(ws_session(server.ws_url + url[:-1], TEST_KEY, send=[{"type": "CloseStream"}]))
    assert res.status == 400 and res.json_body()["err_code"] == "INVALID_QUERY_PARAMETER"
    assert "100 characters" in res.json_body()["err_msg"]
    assert fine.status == 101


def test_comma_joined_keyterms_are_one_literal_term_unless_knob_rejects(fake: FakeServer) -> None:
    # LeonardoTrapani/hyprvoice#42: a comma-joined list is accepted and treated as one literal term
    assert post(fake, "model=nova-3&keyterm=Deepgram,Nova", KEY).status_code == 200
    with running(config(fidelity={"comma_joined_lists": "reject"})) as server:
        refused = post(server, "model=nova-3&keyterm=Deepgram,Nova")
        repeated = post(server, "model=nova-3&keyterm=Deepgram&keyterm=Nova")
        keywords = post(server, "model=nova-2&keywords=a,b")
    assert refused.status_code == 400 and "repeat `keyterm=`" in refused.json()["err_msg"]
    assert keywords.status_code == 400 and "repeat `keywords=`" in keywords.json()["err_msg"]
    assert repeated.status_code == 200


# --------------------------------------------------------------------------- language, batch-only


def test_language_the_model_does_not_offer_is_400_no_such_combination(fake: FakeServer) -> None:
    # reference §8.12 (observed): err_code "Bad Request"
    assert err(post(fake, "model=nova-3&language=ko", KEY)) == (
        400, "Bad Request", "Bad Request: No such model/language/tier combination found.")
    res = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=nova-3&language=ko", KEY))
    assert res.status == 400 and res.json_body()["err_code"] == "Bad Request"


def test_batch_only_model_on_stream_is_405_and_a_knob(fake: FakeServer) -> None:
    # one report: deepgram-dotnet-sdk#304 (whisper on wss /v1/listen -> 405)
    res = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=whisper-large", KEY))
    assert res.status == 405 and res.json_body()["err_msg"] == "Live streaming is not available for this model."
    assert post(fake, "model=whisper-large", KEY).status_code == 200  # batch is fine
    with running(config(fidelity={"whisper_on_stream_status": 400})) as server:
        res = asyncio.run(ws_session(server.ws_url + "/v1/listen?model=whisper-large", TEST_KEY))
    assert res.status == 400


# ------------------------------------------------------------------- raw audio without an encoding


def _texts(res: Any) -> list[dict[str, Any]]:
    return [f for f in res.frames if isinstance(f, dict)]


def test_raw_audio_without_encoding_is_accepted_but_transcribes_nothing(fake: FakeServer) -> None:
    # tempo-riz/deepgram_speech_to_text#7: raw PCM, no encoding/sample_rate -> only Metadata, duration 0.0,
    # channels 0; the stream is not closed by the server
    res = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=nova-3", KEY,
                                 send=[pcm(0.5), pcm(0.5), {"type": "CloseStream"}], first_window=0.05))
    msgs = _texts(res)
    assert [m["type"] for m in msgs] == ["Metadata"]
    assert (msgs[0]["duration"], msgs[0]["channels"]) == (0.0, 0) and res.close_code == 1000
    # the same audio with its encoding is transcribed
    ok = asyncio.run(ws_session(fake.ws_url + "/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000", KEY,
                                send=[pcm(0.5), pcm(0.5), {"type": "CloseStream"}], first_window=0.05))
    assert _texts(ok)[-1]["duration"] == 1.0


def test_undecodable_stream_audio_knob_closes_1008_data_0000() -> None:
    with running(config(fidelity={"undecodable_stream_audio": "data_0000"})) as server:
        res = asyncio.run(ws_session(server.ws_url + "/v1/listen?model=nova-3", TEST_KEY,
                                     send=[b"this is not audio at all, just text bytes"], first_window=0.05))
    assert res.close_code == 1008 and "dpgr.am/data0000" in res.close_reason


# ----------------------------------------------------------------------------------- scoped keys


def test_member_key_on_management_gets_the_scope_words_with_the_knob_status() -> None:
    # reference §5.1/§5.3 words; status disputed (§9.4): fidelity.scope_denied_status
    project = "7d1c0a52-fa4e-4c3b-9e51-0000000000aa"
    for status in (403, 401):
        cfg = config(accounts={"acct": {"role": "member"}}, fidelity={"scope_denied_status": status})
        with running(cfg) as s, httpx.Client(base_url=s.http_url, timeout=TIMEOUT, trust_env=False) as c:
            keys = c.get(f"/v1/projects/{project}/keys", headers=TEST_KEY)
            listed = c.get("/v1/projects", headers=TEST_KEY)
        assert err(keys) == (status, "INSUFFICIENT_PERMISSIONS", "User does not have sufficient permissions.")
        assert listed.status_code == 200


# ------------------------------------------------------------------------------------- TTS REST


def test_tts_rest_answers_chunked_without_content_length(fake: FakeServer) -> None:
    # reference §3.4: `transfer-encoding: chunked` on a live /v1/speak answer (RUST) and the PY fixture
    with httpx.Client(base_url=fake.http_url, timeout=TIMEOUT, trust_env=False) as c:
        for path in ("/v1/speak?model=aura-2-thalia-en", "/v2/speak?model=flux-alexis-en"):
            resp = c.post(path, json={"text": "Hello there, this is a longer sentence to speak."}, headers=KEY)
            assert resp.status_code == 200, resp.text
            assert resp.headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in resp.headers
            assert resp.headers["dg-char-count"] == "48" and len(resp.content) > 4096
        refused = c.post("/v1/speak?model=aura-2-thalia-en", json={"text": ""}, headers=KEY)
    assert refused.status_code == 400 and "content-length" in refused.headers  # errors stay plain JSON

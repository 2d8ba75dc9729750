"""The fake's messages against Deepgram's own (verbatim payloads from the reference), field by field:
names, JSON types and nesting. Extra fields are allowed only where the reference documents them."""

from __future__ import annotations

import asyncio
from typing import Any

import fake_verbatim as V
import httpx
import pytest
from fake_kit import FULL_KEY, FULL_PROJECT, TIMEOUT, pcm, token, wav, ws_session

from dg_entitlements.fake import FakeServer

KEY = token(FULL_KEY)
FLUX = "/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000&eager_eot_threshold=0.5"
V1 = "/v1/listen?model=nova-2-phonecall&encoding=linear16&sample_rate=16000"
REQUEST_ID = {"$.request_id"}


def first(msgs: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    for m in msgs:
        if all(m.get(k) == v for k, v in match.items()):
            return m
    raise AssertionError(f"no message with {match} in {[m.get('type') for m in msgs]}")


@pytest.fixture(scope="module")
def seen(fake: FakeServer) -> dict[str, Any]:
    """Everything the fake says in the scenarios below, gathered once."""

    async def gather() -> dict[str, Any]:
        w = fake.ws_url
        flux, flux_idle, flux_bad, v1, v1_empty, tts, agent, agent_bad, bad_key = await asyncio.gather(
            ws_session(w + FLUX, KEY, send=[
                {"type": "Configure", "thresholds": {"eot_threshold": 0.8, "eager_eot_threshold": 0.5},
                 "keyterms": ["Deepgram"]}, *[pcm(0.5)] * 6, {"type": "CloseStream"}]),
            ws_session(w + FLUX, KEY, send=[{"type": "ForceEndTurn"}, {"type": "CloseStream"}]),
            ws_session(w + FLUX, KEY, send=[{"type": "KeepAlive"}]),
            ws_session(w + V1 + "&interim_results=true&utterance_end_ms=1000&vad_events=true&punctuate=true",
                       KEY, send=[*[pcm(0.5)] * 7, {"type": "CloseStream"}]),
            ws_session(w + V1, KEY, send=[{"type": "CloseStream"}]),
            ws_session(w + "/v1/speak?model=aura-2-thalia-en", KEY, send=[
                {"type": "Speak", "text": "Hi"}, {"type": "Flush"}, {"type": "Clear"}, {"type": "Close"}]),
            ws_session(w + "/v1/agent/converse", KEY, send=[V.AGENT_SETTINGS], until_close=False, gap=0.2),
            ws_session(w + "/v1/agent/converse", KEY, send=[{"type": "Settings", "audio": {}}]),
            ws_session(w + V1, token("dgfake-wrong-k1")),
        )
        async with httpx.AsyncClient(base_url=fake.http_url, timeout=TIMEOUT, trust_env=False) as c:
            rest = {
                "prerecorded": await c.post("/v1/listen?model=nova-3&summarize=v2", content=wav(2.0), headers=KEY),
                "models": await c.get("/v1/models"),
                "grant": await c.post("/v1/auth/grant", json={"ttl_seconds": 30}, headers=KEY),
                "projects": await c.get("/v1/projects", headers=KEY),
                "keys": await c.get(f"/v1/projects/{FULL_PROJECT}/keys", headers=KEY),
                "balances": await c.get(f"/v1/projects/{FULL_PROJECT}/balances", headers=KEY),
                "invalid_auth": await c.post("/v1/listen", content=wav(), headers=token("dgfake-wrong-k1")),
                "not_entitled": await c.post("/v1/listen?model=nova-3-genral", content=wav(), headers=KEY),
                "flux_on_v1": await c.post("/v1/listen?model=flux-general-en", content=wav(), headers=KEY),
                "aura_on_v2": await c.post("/v2/speak?model=aura-2-thalia-en", json={"text": "a"}, headers=KEY),
                "bad_query_string": await c.post("/v1/listen?model=nova-3&punctuate=True", content=wav(), headers=KEY),
                "bad_language": await c.post("/v1/listen?model=nova-3&language=zz", content=wav(), headers=KEY),
                "payment": await c.post("/v1/listen", content=wav(), headers=token("dgfake-no-credits-k1")),
            }
        ws_errors = await asyncio.gather(
            ws_session(w + "/v2/listen?model=flux-general-en&channels=1"),
            ws_session(w + V1 + "&topics=true", KEY),
        )
        return {"flux": flux.texts(), "flux_idle": flux_idle.texts(), "flux_bad": flux_bad.texts(),
                "v1": v1.texts(), "v1_empty": v1_empty.texts(), "tts": tts.texts(), "agent": agent.texts(),
                "agent_bad": agent_bad.texts(),
                "bad_key": bad_key, "rest": rest, "unknown_param": ws_errors[0].json_body(),
                "features": ws_errors[1].json_body()}

    return asyncio.run(gather())


def ok(expected: Any, actual: Any, extra: set[str] = frozenset(), dynamic: frozenset[str] = frozenset()) -> None:  # type: ignore[assignment]
    problems = V.shape_problems(expected, actual, extra, dynamic)
    assert problems == [], problems


# ------------------------------------------------------------------------------------------- Flux


def test_flux_connected(seen: dict[str, Any]) -> None:
    ok(V.FLUX_CONNECTED, seen["flux"][0])


@pytest.mark.parametrize(("event", "verbatim"), [
    ("Update", V.FLUX_UPDATE), ("StartOfTurn", V.FLUX_START_OF_TURN), ("EagerEndOfTurn", V.FLUX_EAGER_END_OF_TURN),
])
def test_flux_turn_info(seen: dict[str, Any], event: str, verbatim: dict[str, Any]) -> None:
    ok(verbatim, first(seen["flux"], type="TurnInfo", event=event))


def test_flux_end_of_turn(seen: dict[str, Any]) -> None:
    ok(V.FLUX_END_OF_TURN, first(seen["flux"], type="TurnInfo", event="EndOfTurn"), extra={"$.trigger"})


def test_flux_configure_success(seen: dict[str, Any]) -> None:
    ok(V.FLUX_CONFIGURE_SUCCESS, first(seen["flux"], type="ConfigureSuccess"))


def test_flux_force_end_turn_warning(seen: dict[str, Any]) -> None:
    warning = first(seen["flux_idle"], type="Warning")
    ok(V.FLUX_FORCE_END_TURN_WARNING, warning, extra={"$.request_id", "$.sequence_id"})
    assert warning["description"] == V.FLUX_FORCE_END_TURN_WARNING["description"]


def test_flux_fatal_error(seen: dict[str, Any]) -> None:
    ok(V.FLUX_FATAL_ERROR, first(seen["flux_bad"], type="Error"))


# --------------------------------------------------------------------------------------------- v1


def test_v1_results_interim_and_final(seen: dict[str, Any]) -> None:
    ok(V.V1_RESULTS_INTERIM, first(seen["v1"], type="Results", is_final=False))
    ok(V.V1_RESULTS_FINAL, first(seen["v1"], type="Results", is_final=True))


def test_v1_metadata_with_and_without_audio(seen: dict[str, Any]) -> None:
    ok(V.V1_METADATA_WITH_AUDIO, first(seen["v1"], type="Metadata"), dynamic=frozenset({"$.model_info"}))
    ok(V.V1_METADATA_NO_AUDIO, seen["v1_empty"][-1])
    ok(V.CLOSE_STREAM_METADATA, seen["v1_empty"][-1])


def test_v1_utterance_end_and_speech_started(seen: dict[str, Any]) -> None:
    ok(V.UTTERANCE_END, first(seen["v1"], type="UtteranceEnd"))
    ok(V.SPEECH_STARTED, first(seen["v1"], type="SpeechStarted"))


def test_prerecorded_metadata(seen: dict[str, Any]) -> None:
    body = seen["rest"]["prerecorded"].json()
    ok(V.PRERECORDED_METADATA, body["metadata"], dynamic=frozenset({"$.model_info"}))


# ------------------------------------------------------------------------------------ TTS and agent


def test_tts_messages(seen: dict[str, Any]) -> None:
    ok(V.TTS_FLUSHED, first(seen["tts"], type="Flushed"))
    ok(V.TTS_CLEARED, first(seen["tts"], type="Cleared"))


def test_agent_messages(seen: dict[str, Any]) -> None:
    ok(V.AGENT_WELCOME, first(seen["agent"], type="Welcome"))
    ok(V.AGENT_SETTINGS_APPLIED, first(seen["agent"], type="SettingsApplied"))
    ok(V.AGENT_ERROR_SPEC, first(seen["agent_bad"], type="Error"))


# ------------------------------------------------------------------------------------ error bodies


@pytest.mark.parametrize(("name", "verbatim", "status"), [
    ("invalid_auth", V.ERR_INVALID_AUTH, 401), ("not_entitled", V.ERR_NOT_ENTITLED, 403),
    ("flux_on_v1", V.ERR_FLUX_ON_V1, 400), ("aura_on_v2", V.ERR_AURA_ON_V2, 400),
    ("bad_query_string", V.ERR_BAD_QUERY_STRING, 400), ("bad_language", V.ERR_BAD_LANGUAGE, 400),
    ("payment", V.ERR_PAYMENT, 402),
])
def test_rest_error_bodies(seen: dict[str, Any], name: str, verbatim: dict[str, Any], status: int) -> None:
    resp = seen["rest"][name]
    assert resp.status_code == status
    ok(verbatim, resp.json(), extra=REQUEST_ID)
    assert resp.json()["err_code"] == verbatim["err_code"]
    assert resp.headers["dg-error"] == resp.json()["err_msg"]


def test_exact_words_where_the_reference_has_them(seen: dict[str, Any]) -> None:
    rest = seen["rest"]
    for name, verbatim in (("invalid_auth", V.ERR_INVALID_AUTH), ("not_entitled", V.ERR_NOT_ENTITLED),
                           ("aura_on_v2", V.ERR_AURA_ON_V2), ("bad_query_string", V.ERR_BAD_QUERY_STRING),
                           ("bad_language", V.ERR_BAD_LANGUAGE), ("payment", V.ERR_PAYMENT)):
        assert rest[name].json()["err_msg"] == verbatim["err_msg"], name
    assert seen["unknown_param"]["err_msg"] == V.ERR_UNKNOWN_PARAM["err_msg"]
    assert seen["features"]["err_msg"] == V.ERR_FEATURES["err_msg"]


def test_ws_error_bodies_and_headers(seen: dict[str, Any]) -> None:
    ok(V.ERR_UNKNOWN_PARAM, seen["unknown_param"], extra=REQUEST_ID)
    ok(V.ERR_FEATURES, seen["features"], extra=REQUEST_ID)
    bad = seen["bad_key"]
    assert bad.status == 401
    ok(V.ERR_INVALID_AUTH, bad.json_body())
    assert bad.headers["content-type"] == "application/json"
    assert bad.headers["dg-error"] == "Invalid credentials."
    assert bad.headers["dg-request-id"] == bad.json_body()["request_id"]
    assert int(bad.headers["content-length"]) == len(bad.body)


# ------------------------------------------------------------------------------- models and manage


def test_models_listing(seen: dict[str, Any]) -> None:
    body = seen["rest"]["models"].json()
    documented_extras = {"$.languages", "$.stt[0].multilingual", "$.tts[0].metadata.display_name",
                         "$.tts[0].metadata.age", "$.tts[0].metadata.use_cases"}
    ok(V.MODELS_EXAMPLE, body, extra=documented_extras)


@pytest.mark.parametrize(("name", "verbatim"), [
    ("grant", V.GRANT), ("projects", V.PROJECTS), ("keys", V.KEYS), ("balances", V.BALANCES),
])
def test_management_shapes(seen: dict[str, Any], name: str, verbatim: dict[str, Any]) -> None:
    ok(verbatim, seen["rest"][name].json())

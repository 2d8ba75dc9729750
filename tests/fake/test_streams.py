"""Accepted streams: v1 listen, Flux, TTS and the agent, driven through real WebSockets (§3.3, §3.5,
§3.7, §4)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from fake_kit import FULL_KEY, NO_FLUX_KEY, config, pcm, running, token, wav, ws_session
from fake_verbatim import AGENT_SETTINGS, NET_0001_REASON

from dg_entitlements.fake import FakeServer

V1 = "/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
FLUX = "/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"
KEY = token(FULL_KEY)


def chunks(seconds: float, step: float = 0.5) -> list[Any]:
    return [pcm(step) for _ in range(int(seconds / step))]


def run(url: str, send: list[Any], **kw: Any) -> Any:
    return asyncio.run(ws_session(url, KEY, send=send, first_window=kw.pop("first_window", 0.05), **kw))


# ---------------------------------------------------------------------------------------- v1 listen


def test_v1_interim_final_utterance_end_speech_started(fake: FakeServer) -> None:
    url = fake.ws_url + V1 + "&interim_results=true&utterance_end_ms=1000&vad_events=true&punctuate=true"
    res = run(url, [*chunks(4.0), {"type": "CloseStream"}])
    msgs = res.texts()
    types = [m["type"] for m in msgs]
    assert types[0] == "SpeechStarted"
    results = [m for m in msgs if m["type"] == "Results"]
    interim = [r for r in results if not r["is_final"]]
    finals = [r for r in results if r["is_final"]]
    assert interim and finals
    first_final = finals[0]
    assert (first_final["start"], first_final["duration"], first_final["speech_final"]) == (0.0, 3.0, True)
    words = first_final["channel"]["alternatives"][0]["words"]
    assert [w["word"] for w in words[:3]] == ["we", "the", "people"]
    assert words[0]["punctuated_word"] == "We" and words[-1]["punctuated_word"].endswith(".")
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(words))
    ue = types.index("UtteranceEnd")
    assert types[ue - 1] == "Results" and msgs[ue]["last_word_end"] == words[-1]["end"]
    assert types[-1] == "Metadata" and msgs[-1]["duration"] == 4.0 and msgs[-1]["models"]
    assert sum(r["duration"] for r in finals) == 4.0
    assert res.close_code == 1000
    assert all(r["metadata"]["request_id"] == res.headers["dg-request-id"] for r in results)


def test_v1_finalize_sets_from_finalize(fake: FakeServer) -> None:
    res = run(fake.ws_url + V1, [pcm(1.2), {"type": "Finalize"}, {"type": "KeepAlive"}, {"type": "CloseStream"}])
    finals = [m for m in res.texts() if m["type"] == "Results"]
    assert [m["from_finalize"] for m in finals] == [True]
    assert finals[0]["duration"] == 1.2 and finals[0]["channel"]["alternatives"][0]["transcript"]


def test_v1_transcripts_are_deterministic(fake: FakeServer) -> None:
    a = run(fake.ws_url + V1, [pcm(2.0), {"type": "CloseStream"}])
    b = run(fake.ws_url + V1, [pcm(1.0), pcm(1.0), {"type": "CloseStream"}])

    def words(res: Any) -> list[Any]:
        return [(w["word"], w["start"]) for m in res.texts() if m["type"] == "Results"
                for w in m["channel"]["alternatives"][0]["words"]]

    assert words(a) == words(b) and len(words(a)) == 5


def test_v1_wav_container_without_encoding(fake: FakeServer) -> None:
    res = run(fake.ws_url + "/v1/listen?model=nova-2", [wav(1.0), {"type": "CloseStream"}])
    assert res.texts()[-1]["duration"] == 1.0 and res.close_code == 1000


def test_v1_empty_binary_frame_closes(fake: FakeServer) -> None:
    res = run(fake.ws_url + V1, [pcm(0.5), b""])
    assert res.types()[-1] == "Metadata" and res.close_code == 1000


def test_v1_undecodable_audio_closes_1008_with_the_data_0000_knob() -> None:
    with running(config(fidelity={"undecodable_stream_audio": "data_0000"})) as server:
        res = asyncio.run(ws_session(server.ws_url + "/v1/listen?model=nova-3", token("dgfake-test-k1"),
                                     send=[b"this is not audio at all, just text bytes"], first_window=0.05))
    assert res.close_code == 1008 and "dpgr.am/data0000" in res.close_reason


def test_v1_idle_window_closes_1011_after_metadata() -> None:
    cfg = config(server={"idle_timeout_s": 0.3})
    with running(cfg) as server:
        res = asyncio.run(ws_session(server.ws_url + V1, token("dgfake-test-k1"), first_window=0.0))
    assert res.types() == ["Metadata"]
    assert (res.close_code, res.close_reason) == (1011, NET_0001_REASON)


# ------------------------------------------------------------------------------------------- Flux


def test_flux_idle_sends_inactive_client_then_closes_and_the_diagnosis_reads_it() -> None:
    """livekit/agents #3579 (maintainer): an idle Flux stream ends with Error INACTIVE_CLIENT. The same answer,
    diagnosed offline as a user would paste it, is an idle stream with the Flux remedy (no KeepAlive)."""
    from dg_entitlements.offline import SeenAnswer, diagnose_answer

    with running(config(server={"stream_idle_timeout_s": 0.3})) as server:
        res = asyncio.run(ws_session(server.ws_url + FLUX, token("dgfake-test-k1"), first_window=0.0))
    errors = [m for m in res.texts() if m["type"] == "Error"]
    assert [e["code"] for e in errors] == ["INACTIVE_CLIENT"] and res.close_code == 1011
    _, diagnosis = diagnose_answer("wss://api.deepgram.com" + FLUX,
                                   SeenAnswer(frames=tuple(errors), close_code=res.close_code))
    assert diagnosis.cause == "idle_timeout" and "silence" in diagnosis.remedy


def test_flux_idle_knob_closes_like_v1_listen() -> None:
    with running(config(server={"stream_idle_timeout_s": 0.3}, fidelity={"flux_idle": "net0001"})) as server:
        res = asyncio.run(ws_session(server.ws_url + FLUX, token("dgfake-test-k1"), first_window=0.0))
    assert not [m for m in res.texts() if m["type"] == "Error"]
    assert (res.close_code, res.close_reason) == (1011, NET_0001_REASON)


def check_flux_rules(msgs: list[dict[str, Any]]) -> None:
    """The documented state rules (docs flux/state), checked over a whole session."""
    assert [m["sequence_id"] for m in msgs] == list(range(len(msgs)))
    turns = [m for m in msgs if m["type"] == "TurnInfo"]
    last_eager: dict[int, str] = {}
    current = 0
    for prev, m in zip([None, *turns], turns, strict=False):
        assert m["turn_index"] == current
        if m["event"] == "EagerEndOfTurn":
            assert m["transcript"]
            last_eager[current] = m["transcript"]
        if m["event"] == "TurnResumed":
            assert prev is not None and prev["event"] == "EagerEndOfTurn"
        if m["event"] == "EndOfTurn":
            if current in last_eager:
                assert m["transcript"] == last_eager[current]
            current += 1


def test_flux_turns_with_eager_threshold(fake: FakeServer) -> None:
    url = fake.ws_url + FLUX + "&eager_eot_threshold=0.5&eot_threshold=0.8"
    res = run(url, [*chunks(6.0), {"type": "CloseStream"}])
    msgs = res.texts()
    events = [m["event"] for m in msgs if m["type"] == "TurnInfo"]
    assert msgs[0]["type"] == "Connected"
    assert len(events) == 24  # one TurnInfo per 0.25 s of audio
    for needed in ("Update", "StartOfTurn", "EagerEndOfTurn", "TurnResumed", "EndOfTurn"):
        assert needed in events
    check_flux_rules(msgs)
    assert events[-1] != "EndOfTurn" and msgs[-1]["type"] == "TurnInfo"  # CloseStream does not finalize
    assert res.close_code == 1005  # no status code in the close frame (docs)
    eot = next(m for m in msgs if m.get("event") == "EndOfTurn")
    assert eot["trigger"] == "model" and eot["end_of_turn_confidence"] >= 0.8


def test_flux_without_eager_has_no_eager_events(fake: FakeServer) -> None:
    res = run(fake.ws_url + FLUX, [*chunks(5.0), {"type": "CloseStream"}])
    events = [m["event"] for m in res.texts() if m["type"] == "TurnInfo"]
    assert "EagerEndOfTurn" not in events and "TurnResumed" not in events and events.count("EndOfTurn") == 2
    check_flux_rules(res.texts())


def test_flux_configure_success_and_failure(fake: FakeServer) -> None:
    res = run(fake.ws_url + FLUX, [
        {"type": "Configure", "thresholds": {"eot_threshold": 0.8, "eager_eot_threshold": 0.5},
         "keyterms": ["Deepgram"]},
        {"type": "Configure", "thresholds": {"eot_threshold": 0.2}},
        {"type": "CloseStream"}])
    ok, bad = [m for m in res.texts() if m["type"].startswith("Configure")]
    assert ok["type"] == "ConfigureSuccess"
    assert ok["thresholds"] == {"eot_threshold": 0.8, "eager_eot_threshold": 0.5, "eot_timeout_ms": 5000}
    assert ok["keyterms"] == ["Deepgram"] and ok["profanity_filter"] is False
    assert bad["type"] == "ConfigureFailure" and "eot_threshold" in bad["description"]


def test_flux_configure_with_string_numerals_is_fatal(fake: FakeServer) -> None:
    res = run(fake.ws_url + FLUX, [{"type": "Configure", "numerals": "true"}])
    error = res.texts()[-1]
    assert (error["type"], error["code"]) == ("Error", "UNPARSABLE_CLIENT_MESSAGE") and "request_id" not in error
    assert res.close_code == 1008


def test_flux_force_end_turn(fake: FakeServer) -> None:
    idle = run(fake.ws_url + FLUX, [{"type": "ForceEndTurn"}, {"type": "CloseStream"}])
    warning = idle.texts()[1]
    assert (warning["type"], warning["code"]) == ("Warning", "FORCE_END_TURN_NO_ACTIVE_TURN")
    active = run(fake.ws_url + FLUX, [pcm(1.0), {"type": "ForceEndTurn"}, pcm(0.5), {"type": "CloseStream"}])
    turns = [m for m in active.texts() if m["type"] == "TurnInfo"]
    eot = next(m for m in turns if m["event"] == "EndOfTurn")
    assert eot["trigger"] == "manual" and eot["transcript"]
    assert turns[-1]["turn_index"] == 1


def test_flux_keepalive_is_refused_as_observed(fake: FakeServer) -> None:
    res = run(fake.ws_url + FLUX, [{"type": "KeepAlive"}])
    error = res.texts()[-1]
    assert error["type"] == "Error" and "unknown variant `KeepAlive`" in error["description"]
    assert res.close_code == 1008 and "unknown variant `KeepAlive`" in res.close_reason


def test_flux_keepalive_ignore_is_configurable() -> None:
    with running(config(fidelity={"flux_keepalive": "ignore", "flux_close_code": 1000})) as server:
        res = asyncio.run(ws_session(server.ws_url + FLUX, token("dgfake-test-k1"),
                                     send=[{"type": "KeepAlive"}, {"type": "CloseStream"}]))
    assert res.types() == ["Connected"] and res.close_code == 1000


def test_flux_not_entitled_is_403(fake: FakeServer) -> None:
    res = asyncio.run(ws_session(fake.ws_url + FLUX, token(NO_FLUX_KEY)))
    assert res.status == 403 and res.json_body()["err_code"] == "INSUFFICIENT_PERMISSIONS"


# --------------------------------------------------------------------------------------------- TTS


def test_speak_v1_ws_flush_clear_close(fake: FakeServer) -> None:
    url = fake.ws_url + "/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=16000"
    res = run(url, [{"type": "Speak", "text": "Hello there."}, {"type": "Flush"}, {"type": "Speak", "text": "x"},
                    {"type": "Clear"}, {"type": "Flush"}, {"type": "Close"}], gap=0.05)
    kinds = [f["type"] if isinstance(f, dict) else f[0] for f in res.frames]
    assert kinds == ["Metadata", "binary", "Flushed", "Cleared", "Flushed"]
    assert res.frames[1][1] == int(16000 * 12 * 0.06) * 2  # 60 ms per character of 16-bit audio
    assert [f["sequence_id"] for f in res.texts() if f["type"] == "Flushed"] == [0, 1]
    assert res.close_code == 1000


def test_speak_flush_limit_warnings() -> None:
    cfg = config(fidelity={"tts_flush_limit": 2})
    with running(cfg) as server:
        v1 = asyncio.run(ws_session(server.ws_url + "/v1/speak?model=aura-asteria-en", token("dgfake-test-k1"),
                                    send=[{"type": "Flush"}] * 3 + [{"type": "Close"}]))
        v2 = asyncio.run(ws_session(server.ws_url + "/v2/speak?model=flux-alexis-en", token("dgfake-test-k1"),
                                    send=[{"type": "Speak", "text": "a"}, {"type": "Flush"}] * 3 + [{"type": "Close"}]))
    assert v1.texts()[-1] == {"type": "Warning", "warn_code": "EXCESSIVE_FLUSH",
                              "warn_msg": "Rate limit exceeded for flushes. Please try again later."}
    # v2: two turns flushed, the third Flush refused (its text stays buffered), then SessionMetadata on Close
    assert v2.types() == ["Connected", *["SpeechStarted", "SpeechMetadata", "Flushed"] * 2, "SpeechStarted",
                          "Warning", "SessionMetadata"]
    assert v2.texts()[-2] == {"type": "Warning", "code": "EXCESSIVE_FLUSH",
                              "description": "Rate limit exceeded for flushes. Please try again later."}


def test_speak_ws_unknown_message_closes(fake: FakeServer) -> None:
    res = run(fake.ws_url + "/v1/speak?model=aura-asteria-en", [{"type": "Shout"}])
    assert (res.close_code, res.close_reason) == (1008, "DATA-0000")


# ------------------------------------------------------------------------------------------- agent


def test_agent_welcome_settings_applied(fake: FakeServer) -> None:
    res = run(fake.ws_url + "/v1/agent/converse", [AGENT_SETTINGS, AGENT_SETTINGS, {"type": "KeepAlive"}],
              until_close=False, gap=0.1)
    assert res.types() == ["Welcome", "SettingsApplied", "Error"]
    assert res.texts()[2]["code"] == "INVALID_SETTINGS"


def test_agent_bad_settings_error(fake: FakeServer) -> None:
    nova_as_v2 = {"provider": {"type": "deepgram", "version": "v2", "model": "nova-3"}}
    bad = {**AGENT_SETTINGS, "agent": {**AGENT_SETTINGS["agent"], "listen": nova_as_v2}}
    res = run(fake.ws_url + "/v1/agent/converse", [bad])
    error = res.texts()[-1]
    assert error["type"] == "Error" and "agent.listen.provider.model" in error["description"]
    missing = run(fake.ws_url + "/v1/agent/converse", [{"type": "Settings", "agent": {}}])
    assert missing.texts()[-1]["code"] == "INVALID_SETTINGS"


def test_agent_flux_settings_refused_without_flux(fake: FakeServer) -> None:
    res = asyncio.run(ws_session(fake.ws_url + "/v1/agent/converse", token(NO_FLUX_KEY), send=[AGENT_SETTINGS]))
    assert res.types() == ["Welcome", "Error"]
    assert res.texts()[1]["description"] == "Project does not have access to the requested model."

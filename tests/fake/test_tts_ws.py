"""TTS WebSockets beyond the basics: Flux TTS turns on `/v2/speak` (SpeechStarted, SpeechMetadata,
Flushed, Interrupt, Configure, SessionMetadata, Error) and the character-rate limit (1008 DATA-0001)
on both versions (§3.5, §4.3)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fake_kit import FULL_KEY, config, running, token, ws_session

from dg_entitlements.fake import FakeServer
from dg_entitlements.fake.config import Fidelity
from dg_entitlements.fake.models import model_uuid

V2 = "/v2/speak?model=flux-alexis-en&encoding=linear16&sample_rate=16000"
V1 = "/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=16000"
KEY = token(FULL_KEY)
NO_CONTROLS = {"pronunciations_applied": 0, "breaks_applied": 0, "pronunciation_warnings": 0}


def run(url: str, send: list[Any], headers: dict[str, str] = KEY) -> Any:
    return asyncio.run(ws_session(url, headers, send=send, first_window=0.05, gap=0.05))


def kinds(frames: list[Any]) -> list[str]:
    return [f["type"] if isinstance(f, dict) else f[0] for f in frames]


def test_v2_turn_connected_started_audio_metadata_flushed_session(fake: FakeServer) -> None:
    res = run(fake.ws_url + V2, [{"type": "Speak", "text": "Hello there."}, {"type": "Speak", "text": " Bye."},
                                 {"type": "Flush"}, {"type": "Close"}])
    assert kinds(res.frames) == ["Connected", "SpeechStarted", "binary", "SpeechMetadata", "Flushed",
                                 "SessionMetadata"]
    connected, started, (_, n_bytes), meta, flushed, session = res.frames
    assert connected == {"type": "Connected", "request_id": connected["request_id"], "model_name": "flux-alexis-en",
                         "model_version": "2026-08-12.0", "model_uuids": [model_uuid("flux-alexis-en")]}
    assert re.fullmatch(r"dg_sp_[0-9a-f]{12}", started["speech_id"])
    sid = started["speech_id"]
    assert n_bytes == 16000 * 2 * 1020 // 1000  # 17 characters x 60 ms of 16 kHz linear16
    assert meta == {"type": "SpeechMetadata", "speech_id": sid, "audio_duration_ms": 1020,
                    "input_character_count": 17, "billable_character_count": 17, "controls_applied": NO_CONTROLS}
    assert flushed == {"type": "Flushed", "speech_id": sid}
    assert session == {"type": "SessionMetadata", "total_audio_duration_ms": 1020, "total_input_character_count": 17,
                       "total_billable_character_count": 17}
    assert res.close_code == 1000


def test_v2_each_flush_is_a_new_turn_and_flush_without_text_warns(fake: FakeServer) -> None:
    res = run(fake.ws_url + V2, [{"type": "Flush"}, {"type": "Speak", "text": "one"}, {"type": "Flush"},
                                 {"type": "Speak", "text": "two"}, {"type": "Flush"}, {"type": "Close"}])
    assert res.texts()[1] == {"type": "Warning", "code": "NO_ACTIVE_SPEECH",
                              "description": "Flush arrived with no active turn; it was ignored."}
    ids = [f["speech_id"] for f in res.texts() if f["type"] == "Flushed"]
    assert len(ids) == 2 and ids[0] != ids[1]
    assert res.texts()[-1]["total_audio_duration_ms"] == 360


def test_v2_interrupt_reports_the_playing_turn_and_drops_buffered_text(fake: FakeServer) -> None:
    res = run(fake.ws_url + V2, [
        {"type": "Speak", "text": "abcdefghij"}, {"type": "Flush"},  # 600 ms of audio
        {"type": "Speak", "text": "buffered text"},
        {"type": "Interrupt", "playback_offset": {"type": "time_ms", "value": 300}},
        {"type": "Flush"},  # nothing left to flush: the buffered text was dropped
        {"type": "Close"}])
    assert kinds(res.frames) == ["Connected", "SpeechStarted", "binary", "SpeechMetadata", "Flushed",
                                 "SpeechStarted", "SpeechInterrupted", "Warning", "SessionMetadata"]
    first = res.frames[1]["speech_id"]
    assert res.frames[6] == {
        "type": "SpeechInterrupted", "audio_played_ms": 300, "text_spoken": "abcde", "text_remaining": "fghij",
        "metadata": {"speech_id": first, "audio_duration_ms": 600, "input_character_count": 10,
                     "billable_character_count": 10, "controls_applied": NO_CONTROLS}}
    assert res.frames[7]["code"] == "NO_ACTIVE_SPEECH"
    assert res.frames[8] == {"type": "SessionMetadata", "total_audio_duration_ms": 300,
                             "total_input_character_count": 23, "total_billable_character_count": 10}


def test_v2_interrupt_without_offset_and_before_any_audio(fake: FakeServer) -> None:
    res = run(fake.ws_url + V2, [{"type": "Speak", "text": "abc"}, {"type": "Interrupt"}, {"type": "Flush"},
                                 {"type": "Interrupt"},
                                 {"type": "Interrupt", "playback_offset": {"type": "time_ms", "value": 100}},
                                 {"type": "Interrupt", "playback_offset": {"type": "time_ms", "value": 100}},
                                 {"type": "Close"}])
    texts = res.texts()
    assert texts[2] == {"type": "Warning", "code": "NO_AUDIO_GENERATED",
                        "description": "The session has produced no audio yet; Interrupt ignored."}
    assert [t["type"] for t in texts[3:]] == ["SpeechMetadata", "Flushed", "SpeechInterrupted", "SpeechInterrupted",
                                              "Warning", "SessionMetadata"]
    no_offset, with_offset, repeated = texts[5], texts[6], texts[7]
    assert no_offset["audio_played_ms"] == 180 and "text_spoken" not in no_offset  # buffer kept: 3 chars flushed
    assert (with_offset["text_spoken"], with_offset["text_remaining"]) == ("ab", "c")
    assert repeated["code"] == "INVALID_INTERRUPT_OFFSET"


def test_v2_configure_success_failure_and_speed_applies(fake: FakeServer) -> None:
    res = run(fake.ws_url + V2, [{"type": "Configure", "speed": 2.0}, {"type": "Configure", "speed": 1.03},
                                 {"type": "Configure", "speed": 1.2}, {"type": "Speak", "text": "abcdefghijkl"},
                                 {"type": "Flush"}, {"type": "Close"}])
    texts = res.texts()
    assert texts[1] == {"type": "ConfigureFailure", "code": "SPEED_OUT_OF_RANGE", "field": "speed", "value": 2.0,
                        "description": "speed 2.0 is outside the range 0.5 to 1.5."}
    assert texts[2] == {"type": "ConfigureFailure", "code": "SPEED_INCREMENT_INVALID", "field": "speed",
                        "value": 1.03, "description": "speed 1.03 is not a multiple of 0.05."}
    assert texts[3] == {"type": "ConfigureSuccess", "applied": {"speed": 1.2}}
    assert next(t for t in texts if t["type"] == "SpeechMetadata")["audio_duration_ms"] == 600  # 720 ms / 1.2


def test_v2_errors_precede_the_close(fake: FakeServer) -> None:
    binary = run(fake.ws_url + V2, [b"\x00\x01"])
    assert binary.texts()[-1] == {"type": "Error", "code": "MESSAGE-0000",
                                  "description": "Binary messages are not supported."}
    assert (binary.close_code, binary.close_reason) == (1003, "MESSAGE-0000")
    unknown = run(fake.ws_url + V2, [{"type": "Clear"}])  # Clear is /v1/speak only
    assert unknown.texts()[-1] == {"type": "Error", "code": "DATA-0000",
                                   "description": "Unsupported or malformed message type `Clear`."}
    assert (unknown.close_code, unknown.close_reason) == (1008, "DATA-0000")


def test_char_rate_limit_default_is_generous() -> None:
    assert (Fidelity().tts_ws_char_limit, Fidelity().tts_ws_char_window_s) == (100_000, 60.0)


def test_char_rate_limit_closes_1008_data_0001_on_both_versions() -> None:
    """20 characters per 60 s: 15 are spoken, the next 10 overflow the window and end the session."""
    cfg = config(fidelity={"tts_ws_char_limit": 20, "tts_ws_char_window_s": 60.0})
    send = [{"type": "Speak", "text": "a" * 15}, {"type": "Flush"}, {"type": "Speak", "text": "b" * 10},
            {"type": "Flush"}]
    key = token("dgfake-test-k1")
    with running(cfg) as server:
        v1 = run(server.ws_url + V1, send, key)
        v2 = run(server.ws_url + V2, send, key)
    assert kinds(v1.frames) == ["Metadata", "binary", "Flushed"]
    assert (v1.close_code, v1.close_reason) == (1008, "DATA-0001")
    assert kinds(v2.frames) == ["Connected", "SpeechStarted", "binary", "SpeechMetadata", "Flushed", "Error"]
    assert v2.texts()[-1] == {"type": "Error", "code": "DATA-0001",
                              "description": "Too many characters were sent within the time window."}
    assert (v2.close_code, v2.close_reason) == (1008, "DATA-0001")


def test_v2_empty_turn_query_speed_and_big_turn() -> None:
    cfg = config(fidelity={"tts_max_chars": 5})
    key = token("dgfake-test-k1")
    with running(cfg) as server:
        res = run(server.ws_url + V2 + "&speed=0.8", [{"type": "Speak", "text": " ..."}, {"type": "Flush"},
                                                      {"type": "Configure"}, {"type": "Speak", "text": "abcdef"}], key)
    assert kinds(res.frames) == ["Connected", "SpeechStarted", "Warning", "SpeechMetadata", "Flushed",
                                 "ConfigureSuccess", "SpeechStarted", "Error"]
    assert res.frames[2] == {"type": "Warning", "code": "NO_SYNTHESIZABLE_TEXT",
                             "description": "The turn's text produced no audio."}
    assert res.frames[3]["audio_duration_ms"] == 0 and res.frames[3]["input_character_count"] == 4
    assert res.frames[5] == {"type": "ConfigureSuccess", "applied": {"speed": 0.8}}
    assert res.frames[7] == {"type": "Error", "code": "BIG-0000",
                             "description": "The turn's text exceeds 5 characters."}
    assert (res.close_code, res.close_reason) == (1009, "BIG-0000")

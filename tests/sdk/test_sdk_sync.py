"""The official Python SDK's sync `DeepgramClient` (deepgram-sdk 7.x, unmodified) against the fake.

What an app developer does with the SDK must work against `dg-entitlements serve` as it does
against Deepgram: same methods, same parsed types, same errors. Every network step is bounded:
REST by the client's `timeout`, streams by `bounded()` (the SDK's socket recv has no timeout).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from deepgram import DeepgramClient
from deepgram.agent.v1.types import AgentV1Settings, AgentV1SettingsApplied, AgentV1Welcome
from deepgram.core.api_error import ApiError
from deepgram.listen.v1.types import ListenV1Metadata, ListenV1Results
from deepgram.listen.v2.types import ListenV2Connected, ListenV2TurnInfo
from deepgram.speak.v1.types import SpeakV1Flush, SpeakV1Flushed, SpeakV1Metadata, SpeakV1Text
from deepgram.speak.v2.types import (
    SpeakV2Connected,
    SpeakV2Flushed,
    SpeakV2SessionMetadata,
    SpeakV2Speak,
    SpeakV2SpeechMetadata,
    SpeakV2SpeechStarted,
)
from websockets.exceptions import InvalidStatus

from .conftest import AGENT_SETTINGS, READ_SUMMARY, READ_TEXT, SPEAK_PCM_BYTES, SPEAK_TEXT, Sdk, bounded

pytestmark = [
    pytest.mark.filterwarnings("ignore:.*websockets.*:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*InvalidStatusCode.*:DeprecationWarning"),
]

CHUNK = 3200  # 100 ms of 16 kHz linear16, the size an app streams


def chunks(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


# ------------------------------------------------------------------------------------ pre-recorded


def test_transcribe_file_returns_words_for_the_audio_length(sdk: Sdk, wav_bytes: bytes) -> None:
    """Raw bytes go up as application/octet-stream; the fake derives words and duration from the WAV."""
    resp = sdk.sync().listen.v1.media.transcribe_file(request=wav_bytes, model="nova-3", smart_format=True)
    assert resp.metadata.duration == pytest.approx(1.0)
    assert resp.metadata.sha256 == hashlib.sha256(wav_bytes).hexdigest()
    assert resp.metadata.request_id
    assert next(iter(resp.metadata.model_info.values()))["arch"] == "nova-3"
    alt = resp.results.channels[0].alternatives[0]
    assert alt.transcript.strip()
    assert alt.words and all(isinstance(w.word, str) and w.word for w in alt.words)
    assert all(0.0 <= w.start < w.end <= 1.0 for w in alt.words)
    assert alt.words[0].punctuated_word  # smart_format implies punctuated words
    assert 0.0 < alt.confidence <= 1.0


def test_transcribe_url_answers_without_fetching(sdk: Sdk) -> None:
    """The fake never downloads the URL: it pretends a stable 5-14 s length and hashes the URL string.

    `.invalid` can never resolve (RFC 6761), so a 200 here proves nothing was fetched.
    """
    url = "https://audio.example.invalid/meeting.wav"
    resp = sdk.sync().listen.v1.media.transcribe_url(url=url, model="nova-3")
    assert resp.metadata.sha256 == hashlib.sha256(url.encode()).hexdigest()
    assert 5.0 <= resp.metadata.duration < 15.0
    again = sdk.sync().listen.v1.media.transcribe_url(url=url, model="nova-3")
    assert again.metadata.duration == resp.metadata.duration  # deterministic per URL
    alt = resp.results.channels[0].alternatives[0]
    assert alt.transcript.strip() and len(alt.words) > 5


def test_transcribe_url_without_scheme_is_a_400_the_sdk_reports_with_body(sdk: Sdk) -> None:
    """REST errors keep Deepgram's JSON body in ApiError (unlike WebSocket handshakes)."""
    with pytest.raises(ApiError) as info:
        sdk.sync().listen.v1.media.transcribe_url(url="ftp://example.invalid/a.wav", model="nova-3")
    assert info.value.status_code == 400
    assert isinstance(info.value.body, dict)
    assert info.value.body["err_code"] == "REMOTE_CONTENT_ERROR"


def test_transcribe_without_credits_is_402_with_body(sdk: Sdk, wav_bytes: bytes) -> None:
    with pytest.raises(ApiError) as info:
        sdk.sync("no-credits").listen.v1.media.transcribe_file(request=wav_bytes, model="nova-3")
    assert info.value.status_code == 402
    assert info.value.body["err_code"] == "ASR_PAYMENT_REQUIRED"
    assert info.value.headers is not None and info.value.headers.get("dg-request-id")


# -------------------------------------------------------------------------------- streaming v1


def test_stream_v1_results_finalize_close_metadata(sdk: Sdk, pcm: bytes) -> None:
    """Send 3 s + 1 s of audio, Finalize, CloseStream: finals, a `from_finalize` final, then Metadata."""

    def conversation() -> list[Any]:
        seen: list[Any] = []
        with sdk.sync().listen.v1.connect(model="nova-3", encoding="linear16", sample_rate=16000,
                                          interim_results=False) as sock:
            for chunk in chunks(pcm * 4):
                sock.send_media(chunk)
            sock.send_finalize()
            while not any(isinstance(m, ListenV1Results) and m.from_finalize for m in seen):
                seen.append(sock.recv())
            sock.send_close_stream()
            seen.extend(sock)  # until the server closes the socket after Metadata
        return seen

    seen = bounded(conversation)
    results = [m for m in seen if isinstance(m, ListenV1Results)]
    assert results, f"no Results in {[type(m).__name__ for m in seen]}"
    words = [w.word for r in results for w in r.channel.alternatives[0].words]
    assert words and all(isinstance(w, str) and w for w in words)
    assert all(r.is_final for r in results)
    assert results[0].start == 0.0 and results[0].duration == pytest.approx(3.0)
    assert results[-1].from_finalize is True
    assert sum(r.duration for r in results) == pytest.approx(4.0)
    meta = [m for m in seen if isinstance(m, ListenV1Metadata)]
    assert len(meta) == 1 and isinstance(seen[-1], ListenV1Metadata)
    assert meta[0].duration == pytest.approx(4.0)
    assert meta[0].channels == 1 and meta[0].request_id == results[0].metadata.request_id


# ------------------------------------------------------------------------------------- Flux v2


def test_flux_connected_then_turn_info(sdk: Sdk, pcm: bytes) -> None:
    """Connected comes first (sequence_id 0), then TurnInfo Updates every 0.25 s of audio."""

    def conversation() -> list[Any]:
        seen: list[Any] = []
        with sdk.sync().listen.v2.connect(model="flux-general-en", encoding="linear16", sample_rate=16000) as sock:
            seen.append(sock.recv())
            for chunk in chunks(pcm):
                sock.send_media(chunk)
            while sum(isinstance(m, ListenV2TurnInfo) for m in seen) < 4:
                seen.append(sock.recv())
            sock.send_close_stream()
            seen.extend(sock)  # CloseStream: no EndOfTurn, close without status code
        return seen

    seen = bounded(conversation)
    assert isinstance(seen[0], ListenV2Connected) and seen[0].sequence_id == 0 and seen[0].request_id
    turns = [m for m in seen if isinstance(m, ListenV2TurnInfo)]
    assert [t.sequence_id for t in turns][:4] == [1, 2, 3, 4]
    assert turns[0].event == "Update" and turns[0].audio_window_end == pytest.approx(0.25)
    assert all(t.turn_index == 0 and isinstance(t.end_of_turn_confidence, float) for t in turns)
    assert any(t.event == "StartOfTurn" and t.transcript for t in turns)
    assert not any(t.event == "EndOfTurn" for t in turns)


# ------------------------------------------------------------------------------- rejected handshakes


def test_flux_without_entitlement_sync_sdk_exposes_status_headers_body(sdk: Sdk) -> None:
    """The sync SDK lets websockets' InvalidStatus through: Deepgram's status, dg-error and body survive."""

    def attempt() -> None:
        with sdk.sync("payg-no-flux").listen.v2.connect(model="flux-general-en", encoding="linear16",
                                                         sample_rate=16000):
            pass

    with pytest.raises(InvalidStatus) as info:
        bounded(attempt)
    response = info.value.response
    assert response.status_code == 403
    assert response.headers["dg-error"] == "Project does not have access to the requested model."
    assert response.headers["dg-request-id"]
    body = json.loads(bytes(response.body))
    assert body["err_code"] == "INSUFFICIENT_PERMISSIONS" and body["request_id"] == response.headers["dg-request-id"]


def test_flux_model_on_v1_listen_sync_sdk_sees_400(sdk: Sdk) -> None:
    def attempt() -> None:
        with sdk.sync().listen.v1.connect(model="flux-general-en", encoding="linear16", sample_rate=16000):
            pass

    with pytest.raises(InvalidStatus) as info:
        bounded(attempt)
    assert info.value.response.status_code == 400
    assert json.loads(bytes(info.value.response.body))["err_code"] == "V2_MODEL_ON_V1_LISTEN_ENDPOINT"


# ------------------------------------------------------------------------------------ speak, manage


def test_speak_rest_returns_mp3_and_dg_headers(sdk: Sdk) -> None:
    text = "Hello from the fake."
    client = sdk.sync()
    audio = b"".join(client.speak.v1.audio.generate(text=text, model="aura-2-thalia-en"))
    assert len(audio) > 1000
    assert audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0  # an MPEG audio frame sync
    with client.speak.v1.audio.with_raw_response.generate(text=text, model="aura-2-thalia-en") as raw:
        assert raw.headers["dg-char-count"] == str(len(text))
        assert raw.headers["dg-model-name"] == "aura-2-thalia-en"
        assert raw.headers["dg-request-id"]
        assert b"".join(raw.data) == audio  # deterministic synthesis


def test_speak_rest_is_streamed_chunked_as_deepgram_answers(sdk: Sdk) -> None:
    """Deepgram answers TTS REST with `transfer-encoding: chunked` and no content-length (reference
    §3.4: a live response in the Rust SDK, the Python SDK v4.8.1 fixture); SDKs 3.x/4.x read it as a
    stream. The official SDK (7.x) gets the audio through its streaming iterator in several pieces."""
    text = "A sentence long enough that its audio spans several chunks of the streamed answer."
    client = sdk.sync()
    with client.speak.v1.audio.with_raw_response.generate(text=text, model="aura-2-thalia-en",
                                                           encoding="linear16", container="wav") as raw:
        assert raw.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in raw.headers
        pieces = [p for p in raw.data if p]
    assert len(pieces) > 1 and b"".join(pieces)[:4] == b"RIFF"


def test_models_listing(sdk: Sdk) -> None:
    models = sdk.sync().manage.v1.models.list()
    assert models.stt and models.tts
    names = {m.canonical_name for m in models.stt}
    assert "nova-3-general" in names
    assert not any(n.startswith("flux") for n in names if n)  # Flux is never in the public list
    assert all(isinstance(m.streaming, bool) for m in models.stt)


def test_projects_listing_is_the_keys_project(sdk: Sdk) -> None:
    projects = sdk.sync().manage.v1.projects.list().projects
    assert projects is not None and len(projects) == 1
    assert projects[0].project_id == sdk.project_ids["payg-full"]
    assert projects[0].name == "payg-full (fake)"


def test_granted_token_works_as_bearer_on_voice_apis_not_on_management(sdk: Sdk, wav_bytes: bytes) -> None:
    """The browser/mobile flow: `auth.v1.tokens.grant` then `DeepgramClient(access_token=...)` (lower-case
    `bearer`), accepted on listen REST and on a Flux handshake, refused (403) on management."""
    grant = sdk.sync().auth.v1.tokens.grant(ttl_seconds=60)
    assert grant.expires_in == 60 and isinstance(grant.access_token, str) and grant.access_token.count(".") == 2
    bearer = DeepgramClient(access_token=grant.access_token, environment=sdk.environment, timeout=10.0,
                            httpx_client=sdk.http)
    assert bearer.listen.v1.media.transcribe_file(request=wav_bytes, model="nova-3").metadata.duration == 1.0

    def flux_greeting() -> Any:
        with bearer.listen.v2.connect(model="flux-general-en", encoding="linear16", sample_rate=16000) as sock:
            return sock.recv()

    assert isinstance(bounded(flux_greeting), ListenV2Connected)
    with pytest.raises(ApiError) as info:
        bearer.manage.v1.projects.list()
    assert info.value.status_code == 403
    assert info.value.body["err_code"] == "INSUFFICIENT_PERMISSIONS"


# ------------------------------------------------------------------------- TTS WebSocket, read, agent


def test_speak_ws_v1_text_flush_audio_flushed_close(sdk: Sdk) -> None:
    """Metadata on connect; Speak + Flush give the audio then Flushed; Close ends the socket (1000)."""

    def conversation() -> list[Any]:
        with sdk.sync().speak.v1.connect(model="aura-2-thalia-en", encoding="linear16", sample_rate=16000) as sock:
            seen: list[Any] = [sock.recv()]
            sock.send_text(SpeakV1Text(type="Speak", text=SPEAK_TEXT))
            sock.send_flush(SpeakV1Flush(type="Flush"))
            seen += [sock.recv(), sock.recv()]
            sock.send_close()
            seen.extend(sock)  # nothing more: the server closes after Close
        return seen

    seen = bounded(conversation)
    assert [type(m).__name__ for m in seen] == ["SpeakV1Metadata", "bytes", "SpeakV1Flushed"]
    meta, pcm, flushed = seen
    assert isinstance(meta, SpeakV1Metadata) and meta.model_name == "aura-2-thalia-en" and meta.request_id
    assert len(pcm) == SPEAK_PCM_BYTES
    assert isinstance(flushed, SpeakV1Flushed) and flushed.sequence_id == 0


def test_speak_ws_v2_flux_tts_turn(sdk: Sdk) -> None:
    """Flux TTS: Connected, SpeechStarted, audio, SpeechMetadata, Flushed with one speech_id; SessionMetadata
    on Close. Every message parses into the SDK's own v2 type."""

    def conversation() -> list[Any]:
        with sdk.sync().speak.v2.connect(model="flux-alexis-en", encoding="linear16", sample_rate=16000) as sock:
            seen: list[Any] = [sock.recv()]
            sock.send_speak(SpeakV2Speak(text=SPEAK_TEXT))
            sock.send_flush()
            seen += [sock.recv() for _ in range(4)]
            sock.send_close()
            seen.extend(sock)
        return seen

    seen = bounded(conversation)
    assert [type(m).__name__ for m in seen] == ["SpeakV2Connected", "SpeakV2SpeechStarted", "bytes",
                                                "SpeakV2SpeechMetadata", "SpeakV2Flushed", "SpeakV2SessionMetadata"]
    connected, started, pcm, meta, flushed, session = seen
    assert isinstance(connected, SpeakV2Connected) and connected.model_name == "flux-alexis-en"
    assert isinstance(started, SpeakV2SpeechStarted) and isinstance(flushed, SpeakV2Flushed)
    assert isinstance(meta, SpeakV2SpeechMetadata) and isinstance(session, SpeakV2SessionMetadata)
    assert started.speech_id == meta.speech_id == flushed.speech_id
    assert len(pcm) == SPEAK_PCM_BYTES and meta.audio_duration_ms == 720 and meta.input_character_count == 12
    assert (session.total_audio_duration_ms, session.total_input_character_count) == (720, 12)


def test_read_text_analyze_summarize(sdk: Sdk) -> None:
    resp = sdk.sync().read.v1.text.analyze(request={"text": READ_TEXT}, language="en", summarize=True)
    assert resp.results.summary is not None
    assert resp.results.summary.text == READ_SUMMARY  # type: ignore[attr-defined]  # docs shape, see README
    info = resp.metadata.metadata.summary_info if resp.metadata.metadata else None
    assert info is not None and (info.input_tokens, info.output_tokens) == (16, 12)


def test_agent_welcome_settings_applied(sdk: Sdk) -> None:
    def conversation() -> list[Any]:
        with sdk.sync().agent.v1.connect() as sock:
            welcome = sock.recv()
            sock.send_settings(AgentV1Settings(**AGENT_SETTINGS))  # type: ignore[arg-type]
            return [welcome, sock.recv()]

    welcome, applied = bounded(conversation)
    assert isinstance(welcome, AgentV1Welcome) and len(welcome.request_id) == 36
    assert isinstance(applied, AgentV1SettingsApplied) and applied.type == "SettingsApplied"

"""The official Python SDK's `AsyncDeepgramClient` (deepgram-sdk 7.x, unmodified) against the fake.

The fake runs in its own thread and loop, so each test's own event loop only hosts the SDK. Every
network step is bounded: REST by the client's `timeout`, streams by `asyncio.timeout`.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest
from deepgram.agent.v1.types import AgentV1Settings, AgentV1SettingsApplied, AgentV1Welcome
from deepgram.core.api_error import ApiError
from deepgram.listen.v1.types import ListenV1Metadata, ListenV1Results
from deepgram.listen.v2.types import ListenV2Connected, ListenV2TurnInfo
from deepgram.speak.v1.types import SpeakV1Flush, SpeakV1Flushed, SpeakV1Metadata, SpeakV1Text
from deepgram.speak.v2.types import SpeakV2SessionMetadata, SpeakV2Speak, SpeakV2SpeechMetadata

from .conftest import (
    AGENT_SETTINGS,
    READ_SUMMARY,
    READ_TEXT,
    SPEAK_PCM_BYTES,
    SPEAK_TEXT,
    STREAM_TIMEOUT_S,
    AsyncFactory,
    Sdk,
)

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:.*websockets.*:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:.*InvalidStatusCode.*:DeprecationWarning"),
]

CHUNK = 3200  # 100 ms of 16 kHz linear16


def chunks(data: bytes, size: int = CHUNK) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)]


async def test_transcribe_file(adg: AsyncFactory, wav_bytes: bytes) -> None:
    resp = await adg().listen.v1.media.transcribe_file(request=wav_bytes, model="nova-3")
    assert resp.metadata.duration == pytest.approx(1.0)
    assert resp.metadata.sha256 == hashlib.sha256(wav_bytes).hexdigest()
    alt = resp.results.channels[0].alternatives[0]
    assert alt.transcript.strip()
    assert alt.words and all(isinstance(w.word, str) and w.word and w.start < w.end for w in alt.words)


async def test_transcribe_url_answers_without_fetching(adg: AsyncFactory) -> None:
    """`.invalid` never resolves: a 200 whose sha256 is the URL's own hash shows the fake fetched nothing."""
    url = "https://audio.example.invalid/call.wav"
    resp = await adg().listen.v1.media.transcribe_url(url=url, model="nova-3")
    assert resp.metadata.sha256 == hashlib.sha256(url.encode()).hexdigest()
    assert 5.0 <= resp.metadata.duration < 15.0
    assert resp.results.channels[0].alternatives[0].transcript.strip()


async def test_stream_v1_results_finalize_close_metadata(adg: AsyncFactory, pcm: bytes) -> None:
    seen: list[Any] = []
    async with asyncio.timeout(STREAM_TIMEOUT_S):
        async with adg().listen.v1.connect(model="nova-3", encoding="linear16", sample_rate=16000) as sock:
            for chunk in chunks(pcm * 4):
                await sock.send_media(chunk)
            await sock.send_finalize()
            while not any(isinstance(m, ListenV1Results) and m.from_finalize for m in seen):
                seen.append(await sock.recv())
            await sock.send_close_stream()
            async for msg in sock:
                seen.append(msg)
    results = [m for m in seen if isinstance(m, ListenV1Results)]
    assert results and all(r.is_final for r in results)
    words = [w.word for r in results for w in r.channel.alternatives[0].words]
    assert words and all(isinstance(w, str) and w for w in words)
    assert results[-1].from_finalize is True
    assert isinstance(seen[-1], ListenV1Metadata)
    assert seen[-1].duration == pytest.approx(4.0) and seen[-1].request_id == results[0].metadata.request_id


async def test_flux_connected_then_turn_info(adg: AsyncFactory, pcm: bytes) -> None:
    seen: list[Any] = []
    async with asyncio.timeout(STREAM_TIMEOUT_S):
        async with adg().listen.v2.connect(model="flux-general-en", encoding="linear16",
                                                  sample_rate=16000) as sock:
            seen.append(await sock.recv())
            for chunk in chunks(pcm):
                await sock.send_media(chunk)
            while sum(isinstance(m, ListenV2TurnInfo) for m in seen) < 4:
                seen.append(await sock.recv())
            await sock.send_close_stream()
            async for msg in sock:
                seen.append(msg)
    assert isinstance(seen[0], ListenV2Connected) and seen[0].sequence_id == 0
    turns = [m for m in seen if isinstance(m, ListenV2TurnInfo)]
    assert turns[0].event == "Update" and turns[0].request_id == seen[0].request_id
    assert any(t.event == "StartOfTurn" and t.transcript and t.words for t in turns)
    assert not any(t.event == "EndOfTurn" for t in turns)  # CloseStream does not finalize on Flux


async def test_rejected_handshake_async_sdk_keeps_status_but_loses_deepgram_body(adg: AsyncFactory) -> None:
    """The async client turns a non-101 into ApiError with the right status, but its `body` is a fixed
    SDK sentence and its `headers` are the ones the SDK SENT: Deepgram's JSON body, `dg-error` and
    `dg-request-id` are lost. Apps (and this suite) must read the raw handshake to learn why.
    """
    with pytest.raises(ApiError) as info:
        async with asyncio.timeout(STREAM_TIMEOUT_S):
            async with adg("payg-no-flux").listen.v2.connect(model="flux-general-en", encoding="linear16",
                                                                    sample_rate=16000):
                pass
    err = info.value
    assert err.status_code == 403
    assert err.body == "Unexpected error when initializing websocket connection."
    assert err.headers is not None and "dg-error" not in {k.lower() for k in err.headers}
    assert err.headers["User-Agent"].startswith("deepgram-sdk/")  # the request's headers, not the response's


async def test_bad_key_async_sdk_reports_401(adg: AsyncFactory) -> None:
    client = adg(key="dgfake-unknown-k9")  # a key the fake does not know
    with pytest.raises(ApiError) as info:
        async with asyncio.timeout(STREAM_TIMEOUT_S):
            async with client.listen.v1.connect(model="nova-3"):
                pass
    assert info.value.status_code == 401
    assert info.value.body == "Websocket initialized with invalid credentials."


async def test_flux_on_v1_async_sdk_reports_400(adg: AsyncFactory) -> None:
    with pytest.raises(ApiError) as info:
        async with asyncio.timeout(STREAM_TIMEOUT_S):
            async with adg().listen.v1.connect(model="flux-general-en", encoding="linear16",
                                                      sample_rate=16000):
                pass
    assert info.value.status_code == 400


async def test_speak_rest(adg: AsyncFactory) -> None:
    audio = b""
    async for part in adg().speak.v1.audio.generate(text="Hello async.", model="aura-2-thalia-en"):
        audio += part
    assert len(audio) > 500 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0


async def test_models_and_projects_listing(sdk: Sdk, adg: AsyncFactory) -> None:
    client = adg()
    models, projects = await asyncio.gather(client.manage.v1.models.list(), client.manage.v1.projects.list())
    assert any(m.canonical_name == "nova-3-general" for m in models.stt or [])
    assert models.tts and all(isinstance(m.canonical_name, str) for m in models.tts)
    assert projects.projects is not None
    assert [p.project_id for p in projects.projects] == [sdk.project_ids["payg-full"]]


async def test_speak_ws_v1_text_flush_audio_flushed_close(adg: AsyncFactory) -> None:
    async with asyncio.timeout(STREAM_TIMEOUT_S):
        async with adg().speak.v1.connect(model="aura-2-thalia-en", encoding="linear16", sample_rate=16000) as sock:
            seen: list[Any] = [await sock.recv()]
            await sock.send_text(SpeakV1Text(type="Speak", text=SPEAK_TEXT))
            await sock.send_flush(SpeakV1Flush(type="Flush"))
            seen += [await sock.recv(), await sock.recv()]
            await sock.send_close()
            async for msg in sock:
                seen.append(msg)
    assert [type(m).__name__ for m in seen] == ["SpeakV1Metadata", "bytes", "SpeakV1Flushed"]
    assert isinstance(seen[0], SpeakV1Metadata) and seen[0].model_name == "aura-2-thalia-en"
    assert len(seen[1]) == SPEAK_PCM_BYTES
    assert isinstance(seen[2], SpeakV1Flushed) and seen[2].sequence_id == 0


async def test_speak_ws_v2_flux_tts_turn(adg: AsyncFactory) -> None:
    async with asyncio.timeout(STREAM_TIMEOUT_S):
        async with adg().speak.v2.connect(model="flux-alexis-en", encoding="linear16", sample_rate=16000) as sock:
            seen: list[Any] = [await sock.recv()]
            await sock.send_speak(SpeakV2Speak(text=SPEAK_TEXT))
            await sock.send_flush()
            seen += [await sock.recv() for _ in range(4)]
            await sock.send_close()
            async for msg in sock:
                seen.append(msg)
    assert [type(m).__name__ for m in seen] == ["SpeakV2Connected", "SpeakV2SpeechStarted", "bytes",
                                                "SpeakV2SpeechMetadata", "SpeakV2Flushed", "SpeakV2SessionMetadata"]
    meta, session = seen[3], seen[5]
    assert isinstance(meta, SpeakV2SpeechMetadata) and meta.audio_duration_ms == 720
    assert isinstance(session, SpeakV2SessionMetadata) and session.total_input_character_count == 12


async def test_read_text_analyze_summarize(adg: AsyncFactory) -> None:
    resp = await adg().read.v1.text.analyze(request={"text": READ_TEXT}, language="en", summarize=True)
    assert resp.results.summary is not None
    assert resp.results.summary.text == READ_SUMMARY  # type: ignore[attr-defined]  # docs shape, see README
    info = resp.metadata.metadata.summary_info if resp.metadata.metadata else None
    assert info is not None and (info.input_tokens, info.output_tokens) == (16, 12)


async def test_agent_welcome_settings_applied(adg: AsyncFactory) -> None:
    async with asyncio.timeout(STREAM_TIMEOUT_S):
        async with adg().agent.v1.connect() as sock:
            welcome = await sock.recv()
            await sock.send_settings(AgentV1Settings(**AGENT_SETTINGS))  # type: ignore[arg-type]
            applied = await sock.recv()
    assert isinstance(welcome, AgentV1Welcome) and len(welcome.request_id) == 36
    assert isinstance(applied, AgentV1SettingsApplied) and applied.type == "SettingsApplied"

"""The v1 streaming session (`wss /v1/listen`): Results (interim and final), SpeechStarted,
UtteranceEnd, Finalize, KeepAlive, CloseStream, the idle timeout and undecodable audio (docs/fidelity.md).

With `multichannel=true` every channel gets its own Results (`channel_index` [c, N]). Known fixture
audio (by the sha256 of every byte received so far) gets its known transcript (audio.KNOWN_TRANSCRIPTS).

Time is audio time: results are emitted as audio arrives, never on a wall clock, so a test that
sends N seconds of audio always gets the same messages. Only the idle timeout uses the wall clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from . import audio
from .call import Call
from .listen import now_iso, resolve_model
from .models import SttModel
from .ws import Channel

INTERIM_EVERY_S = 1.0
FINAL_EVERY_S = 3.0
NET_0001 = "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"


@dataclass
class V1Stream:
    call: Call
    chan: Channel
    model: SttModel
    encoding: str | None
    sample_rate: int
    channels: int
    interim: bool
    vad_events: bool
    utterance_end: bool
    endpointing: bool
    punctuate: bool
    multichannel: bool = False
    bytes_per_s: float | None = None  # known once the format is (raw: at once; container: first chunk)
    received_s: float = 0.0
    final_until: float = 0.0
    last_interim_at: float = 0.0
    speech_started: bool = False
    header_seen: bool = False
    undecodable: bool = False  # raw audio without `encoding`: accepted, nothing transcribed (docs/fidelity.md)
    last_word_end: float = 0.0
    hasher: Any = field(default_factory=hashlib.sha256)  # every byte as sent: known audio maps to known text

    @classmethod
    def open(cls, call: Call, chan: Channel) -> V1Stream:
        encoding = call.q("encoding")
        rate = int(call.q("sample_rate") or 16000)
        channels = int(call.q("channels") or 1)
        stream = cls(
            call=call, chan=chan, model=resolve_model(call), encoding=encoding, sample_rate=rate,
            channels=channels, interim=call.q("interim_results") == "true", vad_events=call.q("vad_events") == "true",
            utterance_end=call.q("utterance_end_ms") is not None, endpointing=call.q("endpointing") != "false",
            punctuate=call.q("punctuate") == "true" or call.q("smart_format") == "true",
            multichannel=call.q("multichannel") == "true",
        )
        if encoding:
            stream.bytes_per_s = audio.rate_of(encoding, rate, channels) or 4000.0
            stream.header_seen = True
        return stream

    # ------------------------------------------------------------------------------------ messages

    @property
    def transcribed(self) -> range:
        """The channels that get their own Results: all of them with multichannel=true, else one."""
        return range(self.channels if self.multichannel else 1)

    def results(self, start: float, end: float, is_final: bool, speech_final: bool,
                from_finalize: bool, channel: int = 0) -> dict[str, Any]:
        words = audio.words_for(start, end, channel, self.hasher.hexdigest(), self.received_s)
        shown = audio.punctuated_words(words, self.punctuate)
        conf = round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0
        return {
            "type": "Results", "channel_index": [channel, self.channels], "duration": round(end - start, 6),
            "start": round(start, 6), "is_final": is_final, "speech_final": speech_final,
            "channel": {"alternatives": [{
                "transcript": audio.transcript(words, self.punctuate), "confidence": conf,
                "words": [{"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence,
                           "punctuated_word": p} for w, p in zip(words, shown, strict=True)],
            }]},
            "metadata": {"request_id": self.call.request_id, "model_info": self.model.model_info(),
                         "model_uuid": self.model.uuid},
            "from_finalize": from_finalize,
        }

    def metadata(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "Metadata", "transaction_key": "deprecated", "request_id": self.call.request_id,
            "sha256": "incomplete", "created": now_iso(), "duration": round(self.received_s, 6),
            "channels": 0 if self.undecodable else self.channels,
        }
        if self.received_s > 0:  # models/model_info only when audio was processed (observed)
            out["models"] = [self.model.uuid]
            out["model_info"] = {self.model.uuid: self.model.model_info()}
        return out

    async def final(self, end: float, from_finalize: bool) -> None:
        if end <= self.final_until:
            return
        for c in self.transcribed:
            msg = self.results(self.final_until, end, True, self.endpointing and not from_finalize, from_finalize, c)
            words = msg["channel"]["alternatives"][0]["words"]
            if words and c == 0:
                self.last_word_end = words[-1]["end"]
            await self.chan.send_json(msg)
        if self.endpointing and not from_finalize and self.interim and self.utterance_end:
            for c in self.transcribed:
                await self.chan.send_json({"type": "UtteranceEnd", "channel": [c, self.channels],
                                           "last_word_end": self.last_word_end})
        self.final_until = end
        self.last_interim_at = end
        self.speech_started = False

    # --------------------------------------------------------------------------------------- audio

    async def on_audio(self, data: bytes) -> bool:
        """Account for a chunk and emit what it triggers. False when the audio cannot be decoded."""
        self.hasher.update(data)
        if self.undecodable:
            return True  # the stream stays open and transcribes nothing, as live Deepgram does
        if not self.header_seen:
            self.header_seen = True
            kind = audio.sniff_container(data)
            if kind is None:
                return False
            if kind == "wav":
                info = audio.wav_info(data)
                if info is None:
                    return False
                self.bytes_per_s = info.sample_rate * info.channels * info.bits / 8
                if self.call.q("channels") is None:
                    self.channels = info.channels
                data = data[info.data_offset:]
            else:
                self.bytes_per_s = float(audio.COMPRESSED_RATE[kind])
        assert self.bytes_per_s is not None
        self.received_s += len(data) / self.bytes_per_s
        if self.vad_events and not self.speech_started and self.received_s > self.final_until:
            self.speech_started = True
            for c in self.transcribed:
                await self.chan.send_json({"type": "SpeechStarted", "channel": [c, self.channels],
                                           "timestamp": round(self.final_until, 3)})
        while self.received_s - self.final_until >= FINAL_EVERY_S:
            await self.final(self.final_until + FINAL_EVERY_S, from_finalize=False)
        if self.interim and self.received_s - self.last_interim_at >= INTERIM_EVERY_S:
            self.last_interim_at = self.received_s
            for c in self.transcribed:
                await self.chan.send_json(self.results(self.final_until, self.received_s, False, False, False, c))
        return True

    async def finish(self, code: int | None, reason: str = "") -> None:
        """Final Results for what is pending, Metadata, then the close frame (observed order)."""
        await self.final(self.received_s, from_finalize=False)
        await self.chan.send_json(self.metadata())
        if code == 1011:
            await asyncio.sleep(0.025)  # live captures: Metadata about 25 ms before the close frame
        await self.chan.close(code, reason)


async def run(call: Call, chan: Channel) -> None:
    stream = V1Stream.open(call, chan)
    settings = call.state.config.server
    fid = call.state.config.fidelity
    last_activity = time.monotonic()
    while True:
        remaining = settings.idle_timeout_s - (time.monotonic() - last_activity)
        msg = await chan.receive(timeout=max(0.0, remaining))
        if msg.kind == "closed":
            return
        if msg.kind == "timeout":
            await stream.finish(1011, NET_0001)
            return
        if msg.kind == "bytes":
            last_activity = time.monotonic()
            if not msg.data:  # a zero-length binary frame is a close (SKILLS #4)
                await stream.finish(1000)
                return
            if not await stream.on_audio(msg.data):
                if fid.undecodable_stream_audio == "data_0000":
                    await chan.close(1008, fid.data_0000_reason)
                    return
                # Accepted but useless: only a Metadata with duration 0 and channels 0 at the end
                # (https://github.com/tempo-riz/deepgram_speech_to_text/issues/7, raw PCM without
                # encoding/sample_rate; https://github.com/livekit-examples/kitt/issues/9).
                stream.undecodable = True
            continue
        payload = msg.json()
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "KeepAlive":
            if fid.keepalive_resets_idle:
                last_activity = time.monotonic()
        elif kind == "Finalize":
            last_activity = time.monotonic()
            await stream.final(stream.received_s, from_finalize=True)
        elif kind == "CloseStream":
            await stream.finish(1000)
            return
        else:
            last_activity = time.monotonic()  # other text frames: ignored, as no source documents a reply

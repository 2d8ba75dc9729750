"""TTS WebSocket sessions (`/v1/speak` Aura, `/v2/speak` Flux TTS; docs/fidelity.md).

/v1/speak: `Metadata` on connect; Speak buffers text, Flush turns it into audio and `Flushed`, Clear
drops it (`Cleared`), Close ends with 1000; the flush limit gives a Warning.

/v2/speak is turn-based: `Connected` on connect; the first Speak of a turn opens it (`SpeechStarted`
with a `dg_sp_<12 hex>` speech_id); Flush synthesises it (audio, `SpeechMetadata`, `Flushed`);
Interrupt drops the buffered text and answers `SpeechInterrupted`; Configure changes the speed
(`ConfigureSuccess`/`ConfigureFailure`); Close sends `SessionMetadata` and closes with 1000. Fatal
problems send an `Error` before the close frame. Field names follow the SDK's generated v2 types
(the reference lists the message names only; see the README, "Fidelity").

Both versions: the Warning field names differ (v1 warn_code/warn_msg as captured live, v2
code/description as in the spec; docs/fidelity.md), and too many Speak characters within the configured window
close the socket with 1008 DATA-0001.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from . import audio
from .call import Call
from .models import TtsVoice
from .speak import is_v2, voice
from .ws import Channel

MS_PER_CHAR = 60  # synthesised audio: 60 ms per character at speed 1.0
SPEED_MIN, SPEED_MAX, SPEED_STEP = 0.5, 1.5, 0.05
FLUSH_WARNING = "Rate limit exceeded for flushes. Please try again later."


@dataclass
class CharRate:
    """Speak characters within a sliding window (DATA-0001 when over the limit)."""

    limit: int
    window_s: float
    seen: deque[tuple[float, int]] = field(default_factory=deque)
    total: int = 0

    def add(self, n: int) -> bool:
        """Count n characters now; False when the window now holds more than the limit."""
        now = time.monotonic()
        while self.seen and now - self.seen[0][0] > self.window_s:
            self.total -= self.seen.popleft()[1]
        self.seen.append((now, n))
        self.total += n
        return self.total <= self.limit


@dataclass
class FlushRate:
    limit: int
    window_s: float
    seen: deque[float] = field(default_factory=deque)

    def allow(self) -> bool:
        now = time.monotonic()
        while self.seen and now - self.seen[0] > self.window_s:
            self.seen.popleft()
        if len(self.seen) >= self.limit:
            return False
        self.seen.append(now)
        return True


async def run(call: Call, chan: Channel) -> None:
    found = voice(call)
    if is_v2(call):
        await FluxTts(call, chan, found).run()
    else:
        await aura(call, chan, found)


# ------------------------------------------------------------------------------------- /v1/speak


async def aura(call: Call, chan: Channel, found: TtsVoice) -> None:
    fid = call.state.config.fidelity
    encoding = call.q("encoding") or "linear16"
    rate = int(call.q("sample_rate") or 24000)
    await chan.send_json({"type": "Metadata", "request_id": call.request_id, "model_name": found.canonical_name,
                          "model_version": found.version, "model_uuid": found.uuid})
    buffer: list[str] = []
    flushes = FlushRate(fid.tts_flush_limit, fid.tts_flush_window_s)
    chars = CharRate(fid.tts_ws_char_limit, fid.tts_ws_char_window_s)
    flushed = cleared = 0
    idle = call.state.config.server.stream_idle_timeout_s
    while True:
        msg = await chan.receive(timeout=idle)
        if msg.kind == "closed":
            return
        if msg.kind == "timeout":
            await chan.close(1011, "NET-0001")
            return
        if msg.kind == "bytes":
            await chan.close(1003, "MESSAGE-0000")  # unsupported message type
            return
        payload = msg.json()
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "Speak" and isinstance(payload, dict) and isinstance(payload.get("text"), str):
            if not chars.add(len(payload["text"])):
                await chan.close(1008, "DATA-0001")  # too many characters in window
                return
            buffer.append(payload["text"])
            if sum(len(t) for t in buffer) > fid.tts_max_chars:
                await chan.close(1009, "BIG-0001")
                return
        elif kind == "Flush":
            if not flushes.allow():
                await chan.send_json({"type": "Warning", "warn_code": "EXCESSIVE_FLUSH", "warn_msg": FLUSH_WARNING})
                continue
            text = "".join(buffer)
            buffer.clear()
            if text:
                await chan.send_bytes(audio.pcm_chunk(len(text) * 0.06, encoding, rate))
            await chan.send_json({"type": "Flushed", "sequence_id": flushed})
            flushed += 1
        elif kind == "Clear":
            buffer.clear()
            await chan.send_json({"type": "Cleared", "sequence_id": cleared})
            cleared += 1
        elif kind == "Close":
            await chan.close(1000)
            return
        else:
            await chan.close(1008, "DATA-0000")  # invalid command
            return


# ------------------------------------------------------------------------------------- /v2/speak


def speech_id(request_id: str, turn: int) -> str:
    """`dg_sp_<12 hex>`, stable for a request and turn number."""
    return "dg_sp_" + hashlib.sha256(f"{request_id}:{turn}".encode()).hexdigest()[:12]


def speed_problem(value: Any) -> tuple[str, str] | None:
    """(code, description) when `speed` cannot be applied, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "SPEED_OUT_OF_RANGE", f"speed must be a number between {SPEED_MIN} and {SPEED_MAX}."
    if not SPEED_MIN <= value <= SPEED_MAX:
        return "SPEED_OUT_OF_RANGE", f"speed {value} is outside the range {SPEED_MIN} to {SPEED_MAX}."
    steps = value / SPEED_STEP
    if not math.isclose(steps, round(steps), abs_tol=1e-6):
        return "SPEED_INCREMENT_INVALID", f"speed {value} is not a multiple of {SPEED_STEP}."
    return None


@dataclass
class Turn:
    speech_id: str
    text: str = ""
    audio_start_ms: int = 0  # session audio position where this turn's audio begins
    audio_ms: int = 0


class FluxTts:
    def __init__(self, call: Call, chan: Channel, found: TtsVoice) -> None:
        self.call, self.chan, self.voice = call, chan, found
        fid = call.state.config.fidelity
        self.encoding = call.q("encoding") or "linear16"
        self.rate = int(call.q("sample_rate") or 24000)
        query_speed = call.q("speed")
        self.speed: float | None = float(query_speed) if query_speed is not None else None
        self.flushes = FlushRate(fid.tts_flush_limit, fid.tts_flush_window_s)
        self.chars = CharRate(fid.tts_ws_char_limit, fid.tts_ws_char_window_s)
        self.max_chars = fid.tts_max_chars
        self.turns = 0
        self.current: Turn | None = None  # the open (not yet flushed) turn
        self.done: list[Turn] = []  # flushed turns, in order
        self.total_audio_ms = 0
        self.total_chars = 0
        self.billable_chars = 0  # flushed text only: text dropped by Interrupt is never synthesised
        self.interrupted_at = -1  # the last Interrupt's playback offset

    async def warning(self, code: str, description: str) -> None:
        await self.chan.send_json({"type": "Warning", "code": code, "description": description})

    async def fatal(self, close_code: int, code: str, description: str) -> None:
        await self.chan.send_json({"type": "Error", "code": code, "description": description})
        await self.chan.close(close_code, code)

    @staticmethod
    def turn_metadata(turn: Turn) -> dict[str, Any]:
        return {"speech_id": turn.speech_id, "audio_duration_ms": turn.audio_ms,
                "input_character_count": len(turn.text), "billable_character_count": len(turn.text),
                "controls_applied": {"pronunciations_applied": 0, "breaks_applied": 0,
                                     "pronunciation_warnings": 0}}

    async def run(self) -> None:
        await self.chan.send_json({"type": "Connected", "request_id": self.call.request_id,
                                   "model_name": self.voice.canonical_name, "model_version": self.voice.version,
                                   "model_uuids": [self.voice.uuid]})
        idle = self.call.state.config.server.stream_idle_timeout_s
        while True:
            msg = await self.chan.receive(timeout=idle)
            if msg.kind == "closed":
                return
            if msg.kind == "timeout":
                await self.fatal(1011, "NET-0001", "No message was received within the timeout window.")
                return
            if msg.kind == "bytes":
                await self.fatal(1003, "MESSAGE-0000", "Binary messages are not supported.")
                return
            payload = msg.json()
            kind = payload.get("type") if isinstance(payload, dict) else None
            if kind == "Speak" and isinstance(payload, dict) and isinstance(payload.get("text"), str):
                if not await self.on_speak(payload["text"]):
                    return
            elif kind == "Flush":
                await self.on_flush()
            elif kind == "Interrupt" and isinstance(payload, dict):
                await self.on_interrupt(payload.get("playback_offset"))
            elif kind == "Configure" and isinstance(payload, dict):
                await self.on_configure(payload)
            elif kind == "Close":
                await self.chan.send_json({"type": "SessionMetadata", "total_audio_duration_ms": self.total_audio_ms,
                                           "total_input_character_count": self.total_chars,
                                           "total_billable_character_count": self.billable_chars})
                await self.chan.close(1000)
                return
            else:
                await self.fatal(1008, "DATA-0000", f"Unsupported or malformed message type `{kind}`.")
                return

    async def on_speak(self, text: str) -> bool:
        if not self.chars.add(len(text)):
            await self.fatal(1008, "DATA-0001", "Too many characters were sent within the time window.")
            return False
        if self.current is None:
            self.current = Turn(speech_id(self.call.request_id, self.turns))
            self.turns += 1
            await self.chan.send_json({"type": "SpeechStarted", "speech_id": self.current.speech_id})
        self.current.text += text
        self.total_chars += len(text)
        if len(self.current.text) > self.max_chars:
            await self.fatal(1009, "BIG-0000", f"The turn's text exceeds {self.max_chars} characters.")
            return False
        return True

    async def on_flush(self) -> None:
        if not self.flushes.allow():
            await self.warning("EXCESSIVE_FLUSH", FLUSH_WARNING)
            return
        turn = self.current
        if turn is None:
            await self.warning("NO_ACTIVE_SPEECH", "Flush arrived with no active turn; it was ignored.")
            return
        spoken = sum(1 for ch in turn.text if ch.isalnum())
        turn.audio_start_ms = self.total_audio_ms
        if spoken:
            turn.audio_ms = round(len(turn.text) * MS_PER_CHAR / (self.speed or 1.0))
            await self.chan.send_bytes(audio.raw_audio(turn.audio_ms / 1000, self.encoding, self.rate))
        else:
            await self.warning("NO_SYNTHESIZABLE_TEXT", "The turn's text produced no audio.")
        self.total_audio_ms += turn.audio_ms
        self.billable_chars += len(turn.text)
        self.current = None
        self.done.append(turn)
        await self.chan.send_json({"type": "SpeechMetadata", **self.turn_metadata(turn)})
        await self.chan.send_json({"type": "Flushed", "speech_id": turn.speech_id})

    async def on_interrupt(self, offset: Any) -> None:
        if self.total_audio_ms == 0:
            await self.warning("NO_AUDIO_GENERATED", "The session has produced no audio yet; Interrupt ignored.")
            return
        played: int | None = None
        if isinstance(offset, dict) and isinstance(offset.get("value"), int) and not isinstance(offset["value"], bool):
            played = offset["value"]
            if played <= self.interrupted_at:
                await self.warning("INVALID_INTERRUPT_OFFSET",
                                   "playback_offset must advance past the previous Interrupt; Interrupt ignored.")
                return
        # The interrupted turn is the one being played: the last flushed turn whose audio starts at or
        # before the offset (the last flushed turn without an offset).
        turn = self.done[-1]
        if played is not None:
            turn = next((t for t in reversed(self.done) if t.audio_start_ms <= played), self.done[0])
        out: dict[str, Any] = {"type": "SpeechInterrupted",
                               "audio_played_ms": played if played is not None else self.total_audio_ms}
        if played is not None:
            self.interrupted_at = played
            heard_ms = min(max(played - turn.audio_start_ms, 0), turn.audio_ms)
            cut = round(len(turn.text) * heard_ms / turn.audio_ms) if turn.audio_ms else 0
            out["text_spoken"], out["text_remaining"] = turn.text[:cut], turn.text[cut:]
            self.total_audio_ms = min(self.total_audio_ms, played)  # rebased onto what the client played
        out["metadata"] = self.turn_metadata(turn)
        self.current = None  # text buffered for the next turn is dropped, never synthesised
        await self.chan.send_json(out)

    async def on_configure(self, payload: dict[str, Any]) -> None:
        if "speed" in payload:
            problem = speed_problem(payload["speed"])
            if problem is not None:
                failure: dict[str, Any] = {"type": "ConfigureFailure", "code": problem[0], "field": "speed"}
                if isinstance(payload["speed"], int | float) and not isinstance(payload["speed"], bool):
                    failure["value"] = payload["speed"]
                failure["description"] = problem[1]
                await self.chan.send_json(failure)
                return
            self.speed = float(payload["speed"])
        applied = {} if self.speed is None else {"speed": self.speed}
        await self.chan.send_json({"type": "ConfigureSuccess", "applied": applied})

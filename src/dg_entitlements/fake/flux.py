"""Flux (`wss /v2/listen`): query validation before auth, the entitlement check, and the session
with its TurnInfo state machine (docs/fidelity.md).

Turns are laid on audio time: each turn is 2.5 s (speech from +0.25 s to +2.0 s, EagerEndOfTurn at
+2.25 s when asked for, EndOfTurn at +2.5 s), one TurnInfo per 0.25 s of audio. On odd turns with
an eager threshold the speaker "resumes" once (EagerEndOfTurn at +1.0 s, TurnResumed at +1.25 s),
so clients see every documented event and every documented rule holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from . import audio, vocabulary
from .call import Call
from .errors import DgError, invalid_query, no_model_access
from .models import entitled
from .ws import Channel

KNOWN_PARAMS = ("model", "encoding", "sample_rate", "eot_threshold", "eager_eot_threshold", "eot_timeout_ms",
                "keyterm", "language_hint", "profanity_filter", "numerals", "redact", "mip_opt_out", "tag")
ENCODINGS = ("linear16", "linear32", "mulaw", "alaw", "opus", "ogg-opus")
SAMPLE_RATES = (8000, 16000, 24000, 44100, 48000)
STEP_S = 0.25
SPEECH_FROM, SPEECH_TO, EAGER_AT, EOT_AT = 0.25, 2.0, 2.25, 2.5
NET_0001 = "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"


def _float(call: Call, name: str) -> float | None:
    value = call.q(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise invalid_query(f"Failed to deserialize query parameters: invalid float literal for `{name}`") from None


def check_thresholds(eot: float | None, eager: float | None, timeout_ms: float | None) -> str | None:
    """The first range violation as a sentence, or None (newer DOCS/SKILLS ranges)."""
    if eot is not None and not 0.5 <= eot <= 1.0:
        return "eot_threshold must be between 0.5 and 1.0"
    if eager is not None and not 0.3 <= eager <= 0.9:
        return "eager_eot_threshold must be between 0.3 and 0.9"
    if eager is not None and eager > (eot if eot is not None else 0.7):
        return "eager_eot_threshold must be less than or equal to eot_threshold"
    if timeout_ms is not None and not 500 <= timeout_ms <= 60000:
        return "eot_timeout_ms must be between 500 and 60000"
    return None


def pre_auth(call: Call) -> None:
    """Everything /v2/listen rejects before it looks at the key (observed: 400 with a bogus key)."""
    fid = call.state.config.fidelity
    unknown: list[str] = []
    for name, _ in call.query:
        if name not in KNOWN_PARAMS and name not in unknown:
            unknown.append(name)
    if unknown:
        raise invalid_query(f"Unknown query parameters: {', '.join(unknown)}")
    model = call.q("model")
    if model is None:
        raise invalid_query("Failed to deserialize query parameters: missing field `model`")
    if not model.startswith("flux"):
        raise DgError(400, fid.nova_on_v2_listen_err_code, fid.nova_on_v2_listen_err_msg)
    found = call.state.registry.find_stt(model)
    if found is None or not found.is_flux:
        raise invalid_query(f"Failed to deserialize query parameters: unknown variant `{model}`, expected "
                            "`flux-general-en` or `flux-general-multi`")
    encoding = call.q("encoding")
    if encoding is not None and encoding not in ENCODINGS:
        raise invalid_query(f"Failed to deserialize query parameters: unknown variant `{encoding}`, expected one of "
                            + ", ".join(f"`{e}`" for e in ENCODINGS))
    rate = call.q("sample_rate")
    if rate is not None and (not rate.isdigit() or int(rate) not in SAMPLE_RATES):
        raise invalid_query(f"Unsupported sample_rate: {rate}")
    for name in ("profanity_filter", "numerals", "mip_opt_out"):
        if call.q(name) not in (None, "true", "false"):
            raise invalid_query(
                f"Failed to deserialize query parameters: invalid value for `{name}`, expected a boolean")
    problem = check_thresholds(_float(call, "eot_threshold"), _float(call, "eager_eot_threshold"),
                               _float(call, "eot_timeout_ms"))
    if problem:
        raise invalid_query(problem)
    if call.q_all("language_hint") and model != "flux-general-multi":
        raise invalid_query("`language_hint` is only supported with flux-general-multi.")
    for value in call.q_all("redact"):
        if value not in ("numbers", "aggressive_numbers"):
            raise invalid_query(f"Invalid redact value `{value}`: only `numbers` and `aggressive_numbers` are "
                                "supported.")


def entitle(call: Call) -> None:
    vocabulary.check_flux(call)  # after auth, before entitlement: a key-independent 400 (one report)
    model = call.q("model") or ""
    if not entitled(call.need_account(), model):
        raise no_model_access(call.state.config.fidelity.flux_not_entitled_status)


# ------------------------------------------------------------------------------------------ session


@dataclass
class FluxSession:
    call: Call
    chan: Channel
    eot: float = 0.7
    eager: float | None = None
    timeout_ms: float = 5000.0
    keyterms: list[str] = field(default_factory=list)
    language_hints: list[str] = field(default_factory=list)
    numerals: bool | None = None
    profanity_filter: bool = False
    bytes_per_s: float = 32000.0
    header_pending: bool = True
    seq: int = 0
    received_s: float = 0.0
    next_step: float = STEP_S
    turn_index: int = 0
    turn_start: float = 0.0
    state: str = "idle"  # idle -> speaking -> eager -> (speaking | next turn)
    eager_words: list[audio.Word] = field(default_factory=list)
    resumed: bool = False
    last_event_end: float = 0.0

    @classmethod
    def open(cls, call: Call, chan: Channel) -> FluxSession:
        s = cls(call=call, chan=chan)
        s.eot = _float(call, "eot_threshold") or 0.7
        s.eager = _float(call, "eager_eot_threshold")
        s.timeout_ms = _float(call, "eot_timeout_ms") or 5000.0
        s.keyterms = call.q_all("keyterm")
        s.language_hints = call.q_all("language_hint")
        s.profanity_filter = call.q("profanity_filter") == "true"
        if call.q("numerals") is not None:
            s.numerals = call.q("numerals") == "true"
        encoding = call.q("encoding")
        if encoding:
            s.header_pending = False
            s.bytes_per_s = audio.rate_of(encoding, int(call.q("sample_rate") or 16000), 1) or 4000.0
        return s

    async def send(self, payload: dict[str, Any], with_request_id: bool = True) -> None:
        msg = {"type": payload.pop("type")}
        if with_request_id:
            msg["request_id"] = self.call.request_id
        msg.update(payload)
        msg["sequence_id"] = self.seq
        self.seq += 1
        await self.chan.send_json(msg)

    def words(self, upto: float) -> list[audio.Word]:
        return audio.words_between(self.turn_start + SPEECH_FROM, min(upto, self.turn_start + SPEECH_TO))

    async def turn_info(self, event: str, end: float, words: list[audio.Word], confidence: float,
                        trigger: str | None = None) -> None:
        payload: dict[str, Any] = {
            "type": "TurnInfo", "event": event, "turn_index": self.turn_index,
            "audio_window_start": round(self.turn_start, 3), "audio_window_end": round(end, 3),
            "transcript": audio.transcript(words), "words": [
                {"word": w.word, "confidence": w.confidence, "start": w.start, "end": w.end} for w in words],
            "end_of_turn_confidence": round(confidence, 4),
        }
        if trigger and self.call.state.config.fidelity.flux_end_of_turn_trigger:
            payload["trigger"] = trigger
        self.last_event_end = end
        await self.send(payload)

    async def end_turn(self, end: float, words: list[audio.Word], trigger: str) -> None:
        await self.turn_info("EndOfTurn", end, words, min(1.0, self.eot + (1 - self.eot) / 2), trigger)
        self.turn_index += 1  # increments right after EndOfTurn (docs, flux/state)
        self.turn_start = end
        self.state = "idle"
        self.resumed = False
        self.eager_words = []

    async def step(self, end: float) -> None:
        """One TurnInfo for the audio window ending at `end`, obeying the documented state rules."""
        rel = end - self.turn_start
        words = self.words(end)
        eot_at = EOT_AT if self.eot < 1.0 else SPEECH_TO + self.timeout_ms / 1000.0
        if self.state == "idle":
            if words:
                self.state = "speaking"
                await self.turn_info("StartOfTurn", end, words, 0.02)
            else:
                await self.turn_info("Update", end, words, 0.05)
        elif self.state == "speaking":
            resume_turn = self.eager is not None and self.turn_index % 2 == 1 and not self.resumed
            if self.eager is not None and words and ((resume_turn and rel >= 1.0) or rel >= EAGER_AT):
                self.state = "eager"
                self.eager_words = words
                await self.turn_info("EagerEndOfTurn", end, words, max(self.eager, 0.5) + 0.01)
            elif self.eager is None and rel >= eot_at:
                await self.end_turn(end, words, "model" if self.eot < 1.0 else "timeout")
            else:
                await self.turn_info("Update", end, words, 0.1)
        elif self.state == "eager":
            if rel < EAGER_AT and not self.resumed:
                self.resumed = True
                self.state = "speaking"
                await self.turn_info("TurnResumed", end, words, 0.1)
            elif rel >= eot_at:
                await self.end_turn(end, self.eager_words, "model")  # same transcript as the eager one
            else:
                await self.turn_info("Update", end, self.eager_words, 0.4)

    async def on_audio(self, data: bytes) -> None:
        if self.header_pending:
            self.header_pending = False
            info = audio.wav_info(data) if audio.sniff_container(data) == "wav" else None
            if info is not None:
                self.bytes_per_s = info.sample_rate * info.channels * info.bits / 8
                data = data[info.data_offset:]
        self.received_s += len(data) / self.bytes_per_s
        while self.next_step <= self.received_s + 1e-9:
            await self.step(self.next_step)
            self.next_step += STEP_S

    async def configure(self, msg: dict[str, Any]) -> bool:
        """ConfigureSuccess or ConfigureFailure; False after a fatal Error (a non-boolean numerals)."""
        if "numerals" in msg and not isinstance(msg["numerals"], bool):
            await self.fatal("UNPARSABLE_CLIENT_MESSAGE", "invalid type for `numerals`: expected a boolean")
            return False
        thresholds = msg.get("thresholds") or {}
        if not isinstance(thresholds, dict):
            await self.fatal("UNPARSABLE_CLIENT_MESSAGE", "invalid type for `thresholds`: expected a map")
            return False
        eot = thresholds.get("eot_threshold", self.eot)
        eager = thresholds.get("eager_eot_threshold", self.eager)
        timeout_ms = thresholds.get("eot_timeout_ms", self.timeout_ms)
        problem = None
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (eot, timeout_ms)) or (
                eager is not None and not isinstance(eager, int | float)):
            problem = "thresholds must be numbers"
        problem = problem or check_thresholds(eot, eager, timeout_ms)
        hints = msg.get("language_hints")
        if problem is None and hints and self.call.q("model") != "flux-general-multi":
            problem = "language_hints are only supported with flux-general-multi"
        if problem:
            await self.send({"type": "ConfigureFailure", "code": "INVALID_CONFIGURATION", "description": problem})
            return True
        self.eot, self.eager, self.timeout_ms = float(eot), (None if eager is None else float(eager)), float(timeout_ms)
        if isinstance(msg.get("keyterms"), list):
            self.keyterms = [str(k) for k in msg["keyterms"]]
        if isinstance(hints, list):
            self.language_hints = [str(h) for h in hints]
        if "numerals" in msg:
            self.numerals = msg["numerals"]
        shown: dict[str, Any] = {"eot_threshold": self.eot}
        if self.eager is not None:
            shown["eager_eot_threshold"] = self.eager
        shown["eot_timeout_ms"] = int(self.timeout_ms)
        reply: dict[str, Any] = {"type": "ConfigureSuccess", "thresholds": shown, "keyterms": self.keyterms}
        if self.call.q("model") == "flux-general-multi":
            reply["language_hints"] = self.language_hints
        if self.numerals is not None:
            reply["numerals"] = self.numerals
        reply["profanity_filter"] = self.profanity_filter
        await self.send(reply)
        return True

    async def force_end_turn(self) -> None:
        if self.state == "idle":
            await self.send({"type": "Warning", "code": "FORCE_END_TURN_NO_ACTIVE_TURN",
                             "description": "Received ForceEndTurn while no turn was active; the request was ignored."})
            return
        words = self.eager_words if self.state == "eager" else self.words(self.received_s)
        await self.end_turn(max(self.received_s, self.last_event_end), words, "manual")

    async def fatal(self, code: str, description: str) -> None:
        """Fatal Error has no request_id (SPEC-AA ListenV2FatalError), then the server closes."""
        await self.send({"type": "Error", "code": code, "description": description}, with_request_id=False)
        await self.chan.close(self.call.state.config.fidelity.flux_bad_message_close_code, description[:120])


async def run(call: Call, chan: Channel) -> None:
    session = FluxSession.open(call, chan)
    fid = call.state.config.fidelity
    await session.send({"type": "Connected"})
    idle = call.state.config.server.stream_idle_timeout_s
    last = time.monotonic()
    while True:
        msg = await chan.receive(timeout=max(0.0, idle - (time.monotonic() - last)))
        if msg.kind == "closed":
            return
        if msg.kind == "timeout":
            if fid.flux_idle == "error":
                await session.send({"type": "Error", "code": "INACTIVE_CLIENT"})  # the code is all the report shows
                await chan.close(1011)
            else:
                await chan.close(1011, NET_0001)
            return
        last = time.monotonic()
        if msg.kind == "bytes":
            await session.on_audio(msg.data)
            continue
        payload = msg.json()
        kind = payload.get("type") if isinstance(payload, dict) else None
        if kind == "CloseStream":
            # Does not finalize: no EndOfTurn; the last message is an Update for pending audio (docs).
            if session.received_s > session.last_event_end + 1e-9:
                await session.turn_info("Update", session.received_s, session.words(session.received_s)
                                        if session.state != "eager" else session.eager_words, 0.1)
            await chan.close(fid.flux_close_code or None)
            return
        if kind == "Configure" and isinstance(payload, dict):
            if not await session.configure(payload):
                return
        elif kind == "ForceEndTurn":
            await session.force_end_turn()
        elif kind == "KeepAlive" and fid.flux_keepalive == "ignore":
            continue
        else:
            if kind is None:
                what = "expected value at line 1 column 1" if payload is None else "missing field `type`"
            else:
                what = f"unknown variant `{kind}`, expected one of `CloseStream`, `ForceEndTurn`, `Configure`"
            await session.fatal("UNPARSABLE_CLIENT_MESSAGE", what)
            return

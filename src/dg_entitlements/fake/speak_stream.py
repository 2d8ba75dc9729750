"""TTS WebSocket sessions (`/v1/speak`, `/v2/speak`): Speak buffers text, Flush turns it into audio
and `Flushed`, Clear drops it, Close ends with 1000; the flush limit gives a Warning (§3.5).

The two versions differ in their greeting (v1 Metadata, v2 Connected) and in the Warning field
names (v1 warn_code/warn_msg as captured live, v2 code/description as in the spec; §9.7).
"""

from __future__ import annotations

import time
from collections import deque

from . import audio
from .call import Call
from .speak import is_v2, voice
from .ws import Channel


async def run(call: Call, chan: Channel) -> None:
    found = voice(call)
    v2 = is_v2(call)
    fid = call.state.config.fidelity
    encoding = call.q("encoding") or "linear16"
    rate = int(call.q("sample_rate") or 24000)
    if v2:
        await chan.send_json({"type": "Connected", "request_id": call.request_id})
    else:
        await chan.send_json({"type": "Metadata", "request_id": call.request_id, "model_name": found.canonical_name,
                              "model_version": found.version, "model_uuid": found.uuid})
    buffer: list[str] = []
    flushes: deque[float] = deque()
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
            buffer.append(payload["text"])
            if sum(len(t) for t in buffer) > fid.tts_max_chars:
                await chan.close(1009, "BIG-0001")
                return
        elif kind == "Flush":
            now = time.monotonic()
            while flushes and now - flushes[0] > fid.tts_flush_window_s:
                flushes.popleft()
            if len(flushes) >= fid.tts_flush_limit:
                warning = "Rate limit exceeded for flushes. Please try again later."
                await chan.send_json({"type": "Warning", "code": "EXCESSIVE_FLUSH", "description": warning} if v2
                                     else {"type": "Warning", "warn_code": "EXCESSIVE_FLUSH", "warn_msg": warning})
                continue
            flushes.append(now)
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

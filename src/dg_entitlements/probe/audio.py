"""The shortest valid audio a pre-recorded probe sends: about one second, deterministic, tiny."""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import lru_cache

SAMPLE_RATE = 16000


@lru_cache(maxsize=4)
def probe_wav(seconds: float = 1.0, sample_rate: int = SAMPLE_RATE) -> bytes:
    """A quiet 440 Hz tone as 16-bit mono WAV: valid audio for every model, 32 kB for one second."""
    frames = int(seconds * sample_rate)
    samples = (int(3000 * math.sin(2 * math.pi * 440 * i / sample_rate)) for i in range(frames))
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return buf.getvalue()


def wav_seconds(data: bytes) -> float:
    """Length of a WAV body, for cost accounting; 0 when it is not WAV."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            return round(wav.getnframes() / float(wav.getframerate()), 3)
    except (wave.Error, EOFError):
        return 0.0

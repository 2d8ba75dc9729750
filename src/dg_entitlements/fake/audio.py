"""Audio in and out, just enough to be plausible: how long is what the client sent (raw encodings
by arithmetic, containers by their header), can it be decoded at all, and which words it "says".

The fake never recognises speech; its transcripts are a fixed text laid over the audio's length, so
the same audio always gives the same words and timings.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass

BYTES_PER_SAMPLE = {"linear16": 2, "linear32": 4, "mulaw": 1, "alaw": 1}
# Compressed encodings: a typical bit rate in bytes per second, for a duration estimate.
COMPRESSED_RATE = {"flac": 24_000, "opus": 4_000, "ogg-opus": 4_000, "amr-nb": 1_600, "amr-wb": 3_000,
                   "speex": 2_000, "g729": 1_000, "mp3": 6_000, "webm": 4_000, "ogg": 4_000, "aac": 6_000}

_PREAMBLE = ("we the people of the united states in order to form a more perfect union establish justice "
             "insure domestic tranquility provide for the common defence promote the general welfare and secure "
             "the blessings of liberty to ourselves and our posterity do ordain and establish this constitution "
             "for the united states of america")
TEXT: tuple[str, ...] = tuple(_PREAMBLE.split(" "))
WORD_STEP_S = 0.4  # one word every 0.4 s of audio: about 150 words a minute
WORD_LEN_S = 0.3


def sniff_container(data: bytes) -> str | None:
    """The container named by the first bytes, or None when they are not a format we know."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


@dataclass(frozen=True)
class WavInfo:
    sample_rate: int
    channels: int
    bits: int
    data_offset: int


def wav_info(data: bytes) -> WavInfo | None:
    """Walk the RIFF chunks for fmt and data; None when the header is incomplete or odd."""
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt " and pos + 24 <= len(data):
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[pos + 8:pos + 24])
            fmt = (rate, channels, bits)
        elif cid == b"data" and fmt is not None:
            return WavInfo(fmt[0], max(1, fmt[1]), max(8, fmt[2]), pos + 8)
        pos += 8 + size + (size & 1)
    return None


def rate_of(encoding: str | None, sample_rate: int, channels: int) -> float | None:
    """Bytes per second of a raw stream, or a typical rate for compressed ones."""
    if encoding in BYTES_PER_SAMPLE:
        return float(BYTES_PER_SAMPLE[encoding] * sample_rate * max(1, channels))
    if encoding in COMPRESSED_RATE:
        return float(COMPRESSED_RATE[encoding])
    return None


def duration_of(data: bytes, encoding: str | None, sample_rate: int, channels: int) -> float | None:
    """Seconds of audio in a whole file, or None when it cannot be decoded (no encoding, no known header)."""
    if not data:
        return None
    if encoding:
        rate = rate_of(encoding, sample_rate, channels)
        return None if rate is None else len(data) / rate
    kind = sniff_container(data)
    if kind == "wav":
        info = wav_info(data)
        if info is None:
            return None
        return (len(data) - info.data_offset) / (info.sample_rate * info.channels * info.bits / 8)
    if kind is None:
        return None
    return len(data) / COMPRESSED_RATE[kind]


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    confidence: float


CHANNEL_SHIFT = 7  # channel c of a multichannel request reads the fixed text from word 7c: channels differ

# Known audio -> known transcript, by the sha256 of the bytes as sent (the whole file, header included).
# fixtures/audio/probe-1s.wav: 1 s, 16 kHz mono linear16.
KNOWN_TRANSCRIPTS: dict[str, str] = {
    "c4a948f325d39c925685c2f91f30453f46903bf6e1826eed691cbd8f86643061": "deepgram entitlement probe",
}


def _confidence(i: int) -> float:
    return round(0.9 + (int(hashlib.sha1(str(i).encode()).hexdigest()[:4], 16) % 1000) / 10_000, 4)


def words_between(start: float, end: float, channel: int = 0) -> list[Word]:
    """The fixed text's words whose slot begins in [start, end): the same audio span, the same words."""
    first = math.ceil(round(start / WORD_STEP_S, 6))
    out = []
    i = first
    while i * WORD_STEP_S + WORD_LEN_S <= end + 1e-9:
        t = i * WORD_STEP_S
        out.append(Word(TEXT[(i + channel * CHANNEL_SHIFT) % len(TEXT)], round(t, 3), round(t + WORD_LEN_S, 3),
                        _confidence(i)))
        i += 1
    return out


def known_words(text: str, duration: float) -> list[Word]:
    """A known transcript laid evenly over the whole audio: word k in slot k of len(words)."""
    names = text.split()
    slot = duration / len(names)
    return [Word(w, round(k * slot, 3), round(k * slot + slot * 0.75, 3), _confidence(k))
            for k, w in enumerate(names)]


def words_for(start: float, end: float, channel: int = 0, digest: str | None = None,
              duration: float | None = None) -> list[Word]:
    """The words of [start, end): the known transcript when `digest` names known audio of `duration`
    seconds (words whose start falls in the span), else the fixed text."""
    known = KNOWN_TRANSCRIPTS.get(digest or "")
    if known is not None and duration:
        return [w for w in known_words(known, duration) if start - 1e-9 <= w.start < end - 1e-9]
    return words_between(start, end, channel)


def transcript(words: list[Word], punctuate: bool = False) -> str:
    text = " ".join(w.word for w in words)
    if punctuate and text:
        text = text[0].upper() + text[1:] + "."
    return text


def punctuated_words(words: list[Word], punctuate: bool) -> list[str]:
    out = [w.word for w in words]
    if punctuate and out:
        out[0] = out[0].capitalize()
        out[-1] = out[-1] + "."
    return out


# -------------------------------------------------------------------------------- synthesis (TTS)

MP3_SILENT_FRAME = bytes([0xFF, 0xF3, 0x64, 0xC0]) + bytes(140)  # MPEG-2 L3, 48 kbps, 24 kHz, mono: 24 ms


def synthesize(chars: int, encoding: str, sample_rate: int, container: str) -> tuple[bytes, str]:
    """Quiet, valid audio about as long as speaking `chars` characters (60 ms each): (bytes, content type)."""
    seconds = max(0.2, chars * 0.06)
    if encoding == "mp3":
        return MP3_SILENT_FRAME * max(1, int(seconds / 0.024)), "audio/mpeg"
    if encoding in ("opus", "flac", "aac"):
        body = bytes(int(COMPRESSED_RATE.get(encoding, 4000) * seconds))
        header = {"opus": b"OggS", "flac": b"fLaC", "aac": b"\xff\xf1"}[encoding]
        media = {"opus": "audio/ogg", "flac": "audio/flac", "aac": "audio/aac"}[encoding]
        return header + body, media
    width = BYTES_PER_SAMPLE.get(encoding, 2)
    pcm = raw_audio(seconds, encoding, sample_rate)
    if container == "wav":
        fmt_tag = {"linear16": 1, "mulaw": 7, "alaw": 6}.get(encoding, 1)
        header = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVEfmt "
                  + struct.pack("<IHHIIHH", 16, fmt_tag, 1, sample_rate, sample_rate * width, width, width * 8)
                  + b"data" + struct.pack("<I", len(pcm)))
        return header + pcm, "audio/wav"
    media = {"linear16": "audio/l16", "mulaw": "audio/basic", "alaw": "audio/x-alaw-basic"}.get(encoding, "audio/l16")
    return pcm, media


def raw_audio(seconds: float, encoding: str, sample_rate: int) -> bytes:
    """Exactly `seconds` of headerless audio: a quiet 200 Hz tone (linear16) or silence (mulaw, alaw)."""
    n = int(round(sample_rate * seconds, 6))
    if encoding == "linear16":
        period = max(2, sample_rate // 200)  # one period tiled
        one = b"".join(struct.pack("<h", int(300 * math.sin(2 * math.pi * i / period))) for i in range(period))
        return (one * (n // period + 1))[: n * 2]
    return bytes([0xFF if encoding == "mulaw" else 0xD5]) * n


def pcm_chunk(seconds: float, encoding: str, sample_rate: int) -> bytes:
    """Raw audio for a TTS stream (no container on WebSocket)."""
    data, _ = synthesize(max(1, int(seconds / 0.06)), encoding, sample_rate, "none")
    return data

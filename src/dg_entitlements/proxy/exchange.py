"""The facts of one request as the proxy relays it, collected without slowing the relay down.

A `Tap` is filled in by the relay as bytes pass (a few attribute writes per message, bounded copies
only), then frozen into an `Exchange`, which becomes the same `Observation` the probe runner makes, so
the suite's verdict and diagnosis code judges the app's traffic exactly as it judges the suite's own.
The credential is never kept: only its form (`AuthForm`) and fingerprint.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from ..diagnosis import AuthForm
from ..model import Cost, Frame, Observation, RequestSummary, Transport
from ..offline import safe_url
from ..probe.answers import HEADER_ALLOW, MAX_JSON_BYTES, MAX_TEXT, SECRET_FIELDS, redact_secrets
from ..secrets import scrub

MAX_FRAMES = 1000  # server messages kept per stream for the verdict and the cassette
MAX_LATE_FRAMES = 100  # Error/Metadata/Warning messages kept past MAX_FRAMES (bounded too)
MAX_BODY = 1 << 20  # response bytes kept for the verdict and the cassette (TTS audio beyond is only counted)
KEEP_ALWAYS = ("error", "metadata", "warning")
# Linear16 at 16 kHz mono when the query does not say: only used to say "audio was sent" and roughly how much.
DEFAULT_BYTES_PER_S = 32000


def allow_listed(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in headers:
        low = name.lower()
        if low in HEADER_ALLOW and low != "sec-websocket-protocol":
            out[low] = value
    return out


def decode_content(raw: bytes, encoding: str | None) -> bytes:
    """The body as the client will read it: gzip/deflate undone (the relay forwards the raw bytes)."""
    enc = (encoding or "").lower().strip()
    try:
        if enc == "gzip":
            return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(raw)
        if enc == "deflate":
            return zlib.decompressobj().decompress(raw)
    except zlib.error:
        return raw
    return raw


def parse_body(raw: bytes, content_type: str | None) -> tuple[Any, Literal["json", "text", "binary", "empty"]]:
    if not raw:
        return None, "empty"
    ctype = (content_type or "").lower()
    if ctype.startswith(("audio/", "application/octet-stream", "video/")):
        return None, "binary"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None, "binary"
    if text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text), "json"
        except ValueError:
            pass
    return text[:MAX_TEXT], "text"


def may_hold_secrets(body: Any) -> bool:
    """False only when `redact_secrets(body)` would return `body` unchanged, found cheaply.

    `redact_secrets` scrubs every string one by one: 6 ms for the fake's 50 KB model list, on the proxy's
    event loop; this check takes about half of that (most of it the scrubber's own whole-text patterns).
    Here the scrubber runs once over the body serialised without escapes (ensure_ascii=False), where
    every string appears verbatim between quotes, so whatever it would find in one string it finds there
    (a match across two strings only sends the body down the slow path). A secret-bearing field, an
    over-long key or string, or any character JSON must escape (quote, backslash, control character,
    which would hide whitespace from the scrubber's patterns) also takes the slow path.
    """
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if not isinstance(k, str) or len(k) > MAX_TEXT or (k.lower() in SECRET_FIELDS and isinstance(v, str)):
                    return True
                stack.append(v)
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and len(value) > MAX_JSON_BYTES:
            return True
    text = json.dumps(body, ensure_ascii=False)
    return "\\" in text or scrub(text) != text


def redact_body(body: Any) -> Any:
    """`redact_secrets(body)`, skipped when it cannot change anything (`may_hold_secrets`)."""
    return redact_secrets(body) if may_hold_secrets(body) else body


def parse_frame(data: str | bytes, at_ms: float) -> Frame:
    if isinstance(data, bytes):
        return Frame(kind="binary", at_ms=at_ms, size=len(data))
    try:
        parsed: Any = json.loads(data)
    except ValueError:
        parsed = data[:MAX_TEXT]
    return Frame(kind="text", at_ms=at_ms, data=parsed, size=len(data))


def _keep(data: str) -> bool:
    """A message past the cap is kept if it may be an Error/Metadata/Warning (cheap test, parsed later)."""
    head = data[:200].lower()
    return any(f'"{kind}"' in head for kind in KEEP_ALWAYS)


@dataclass
class Tap:
    """Mutable while the exchange runs; `freeze()` when it ends. One per request, owned by one task."""

    transport: Transport
    method: str
    path: str
    query: str
    upstream_url: str  # may carry a credential in its query: only `safe_url` of it is ever shown
    auth: AuthForm
    account: str  # "key#abcd1234" fingerprint, or "no-key"
    started: float = field(default_factory=time.perf_counter)
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="milliseconds"))
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None
    content_encoding: str | None = None
    body: bytearray = field(default_factory=bytearray)
    body_size: int = 0
    request_body: bytearray = field(default_factory=bytearray)
    request_bytes: int = 0
    raw_frames: list[tuple[float, str | int]] = field(default_factory=list)  # parsed off the relay's path
    parsed: list[Frame] = field(default_factory=list)  # raw_frames[:len(parsed)], parsed (`parse_frames`)
    frames_seen: int = 0
    client_messages: int = 0
    audio_bytes: int = 0
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: Literal["server", "client"] | None = None
    error: str | None = None
    error_detail: str | None = None
    latency_ms: float = 0.0
    selected_subprotocol: str | None = None

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self.started) * 1000.0

    def answered(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.latency_ms = self.elapsed_ms()
        self.status = status
        self.headers = allow_listed(headers)
        lower = {k.lower(): v for k, v in headers}
        self.content_type = lower.get("content-type")
        self.content_encoding = lower.get("content-encoding")

    def body_chunk(self, chunk: bytes) -> None:
        self.body_size += len(chunk)
        room = MAX_BODY - len(self.body)
        if room > 0:
            self.body += chunk[:room]

    def request_chunk(self, chunk: bytes) -> None:
        self.request_bytes += len(chunk)
        room = MAX_BODY - len(self.request_body)
        if room > 0:
            self.request_body += chunk[:room]

    def server_message(self, data: str | bytes) -> None:
        """Called after the message was forwarded: an append, no parsing, no copy (binary audio is only
        counted; a text message is an immutable str, kept by reference)."""
        self.frames_seen += 1
        kept = len(self.raw_frames)
        if kept < MAX_FRAMES:
            self.raw_frames.append((self.elapsed_ms(), len(data) if isinstance(data, bytes) else data))
        elif kept < MAX_FRAMES + MAX_LATE_FRAMES and isinstance(data, str) and _keep(data):
            self.raw_frames.append((self.elapsed_ms(), data))

    def client_message(self, data: str | bytes) -> None:
        self.client_messages += 1
        if isinstance(data, bytes):
            self.audio_bytes += len(data)

    def closed(self, code: int | None, reason: str | None, by: Literal["server", "client"]) -> None:
        if self.closed_by is None:
            self.close_code, self.close_reason, self.closed_by = code, reason or None, by

    def failed(self, kind: str, detail: str) -> None:
        self.error, self.error_detail = kind, detail[:300]

    def parse_frames(self, budget: int) -> bool:
        """Parse up to `budget` more kept messages; True when all are parsed. A long stream's thousand JSON
        messages take milliseconds to parse: the observer does it a slice at a time, between relays."""
        start = len(self.parsed)
        for at, data in self.raw_frames[start:start + budget]:
            at_ms = round(at, 1)
            self.parsed.append(Frame(kind="binary", at_ms=at_ms, size=data) if isinstance(data, int)
                               else parse_frame(data, at_ms))
        return len(self.parsed) >= len(self.raw_frames)

    def frames(self) -> tuple[Frame, ...]:
        self.parse_frames(len(self.raw_frames))
        return tuple(self.parsed)

    def freeze(self) -> Exchange:
        raw = decode_content(bytes(self.body), self.content_encoding)
        body, kind = parse_body(raw, self.content_type)
        if kind == "json":  # a grant's access_token, a created key: registered with the scrubber, then replaced
            redacted = redact_body(body)
            if redacted is not body:
                body, raw = redacted, json.dumps(redacted).encode()
        return Exchange(
            transport=self.transport, method=self.method, path=self.path, query=self.query,
            url=safe_url(self.upstream_url), auth=self.auth, account=self.account, at=self.at,
            status=self.status, headers=dict(self.headers), content_type=self.content_type, body=body,
            body_kind=kind, body_size=self.body_size, raw_body=raw, request_body=bytes(self.request_body),
            request_bytes=self.request_bytes, frames=self.frames(), frames_seen=self.frames_seen,
            client_messages=self.client_messages, audio_bytes=self.audio_bytes, close_code=self.close_code,
            close_reason=self.close_reason, closed_by=self.closed_by, error=self.error,
            error_detail=self.error_detail, latency_ms=round(self.latency_ms, 1),
            duration_ms=round(self.elapsed_ms(), 1), subprotocol=self.selected_subprotocol)


@dataclass(frozen=True)
class Exchange:
    """One finished request/stream, with no credential in it (the URL is `safe_url`-ed)."""

    transport: Transport
    method: str
    path: str
    query: str
    url: str
    auth: AuthForm
    account: str
    at: str
    status: int | None
    headers: dict[str, str]
    content_type: str | None
    body: Any
    body_kind: Literal["json", "text", "binary", "empty"]
    body_size: int
    raw_body: bytes
    request_body: bytes
    request_bytes: int
    frames: tuple[Frame, ...]
    frames_seen: int
    client_messages: int
    audio_bytes: int
    close_code: int | None
    close_reason: str | None
    closed_by: Literal["server", "client"] | None
    error: str | None
    error_detail: str | None
    latency_ms: float
    duration_ms: float
    subprotocol: str | None = None

    def observation(self, answered_by: str | None = None) -> Observation:
        audio_s = self.audio_bytes / DEFAULT_BYTES_PER_S
        if self.transport == "http" and self.request_bytes and self.request_body.lstrip()[:1] not in (b"{", b"["):
            audio_s = self.request_bytes / DEFAULT_BYTES_PER_S  # an uploaded file (a JSON body names a URL)
        scheme = self.auth.scheme if self.auth.where == "header" else None
        return Observation(
            status=self.status, headers=dict(self.headers), body=self.body, body_kind=self.body_kind,
            body_size=self.body_size, content_type=self.content_type, frames=self.frames,
            close_code=self.close_code, close_reason=self.close_reason, closed_by=self.closed_by,
            error=self.error, error_detail=self.error_detail, latency_ms=self.latency_ms,
            cost=Cost(requests=1, audio_seconds=round(audio_s, 3)),
            request=RequestSummary(method=self.method, url=self.url, auth_scheme=scheme or None,
                                   body_bytes=self.request_bytes),
            at=self.at, answered_by=answered_by)

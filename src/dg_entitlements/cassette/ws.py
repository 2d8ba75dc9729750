"""Our WebSocket cassette format (vcrpy cannot see WebSocket traffic at all).

One JSON file per account, `<cassettes>/<alias>/ws.json`:

    {"schema": 1,
     "meta": {"recorded_at": ISO-8601 UTC, "host": "wss://api.deepgram.com", "tool_version": "0.1.0",
              "account": "<alias>"},
     "streams": [{"path": "/v1/listen", "query": "model=nova-3&encoding=linear16",
                  "handshake": {"status": 101 | 4xx | 5xx | null, "headers": {allow-listed dg-* headers},
                                "body": JSON value | text | null, "ms": 12.3},
                  "frames": [{"kind": "text", "data": JSON value | text, "at_ms": 3.1},
                             {"kind": "binary", "size": 960, "at_ms": 5.0}],
                  "close": {"code": 1000 | null, "reason": "", "by": "server" | "client" | null},
                  "error": null | "reset" | ...}]}

Headers are an allow-list, bodies and frames were already stripped of secrets by the probe, and
the file passes the scrubber before it is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..model import Observation
from ..probe.timeouts import MAX_WS_MESSAGE_BYTES
from .matching import StreamKey

SCHEMA = 1


@dataclass(frozen=True)
class WsStream:
    path: str
    query: str
    status: int | None
    headers: dict[str, str]
    body: Any
    frames: tuple[dict[str, Any], ...]
    close_code: int | None
    close_reason: str | None
    closed_by: str | None
    error: str | None

    @property
    def key(self) -> StreamKey:
        """What replay looks a stream up by (cassette/matching.py)."""
        return (self.path, self.query)


def stream_from_observation(path: str, query: str, obs: Observation) -> WsStream:
    frames = tuple(
        {"kind": f.kind, "data": f.data, "at_ms": f.at_ms} if f.kind == "text"
        else {"kind": "binary", "size": f.size, "at_ms": f.at_ms}
        for f in obs.frames
    )
    return WsStream(path, query, obs.status, dict(obs.headers), obs.body, frames, obs.close_code, obs.close_reason,
                    obs.closed_by, obs.error)


def to_json(streams: list[WsStream], meta: dict[str, Any]) -> str:
    data = {
        "schema": SCHEMA, "meta": meta,
        "streams": [{
            "path": s.path, "query": s.query,
            "handshake": {"status": s.status, "headers": s.headers, "body": s.body},
            "frames": list(s.frames),
            "close": {"code": s.close_code, "reason": s.close_reason, "by": s.closed_by},
            "error": s.error,
        } for s in sorted(streams, key=lambda s: s.key)],
    }
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_iso(value: str) -> bool:
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return len(value) <= 64


def _bad(path: Path, key: str, problem: str) -> ConfigError:
    return ConfigError(str(path), key, f"corrupt WebSocket cassette: {problem}",
                       "re-record it (make record) or restore it from git")


def load_ws(path: Path) -> tuple[dict[str, Any], dict[StreamKey, WsStream]]:
    """Read and validate a cassette; anything off is one ConfigError naming the file, never a traceback."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad(path, "", f"unreadable ({exc})") from None
    except (ValueError, RecursionError) as exc:
        raise _bad(path, "", f"not JSON ({str(exc)[:80]})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise _bad(path, "schema", f"expected schema {SCHEMA}")
    meta = data.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("recorded_at"), str):
        raise _bad(path, "meta.recorded_at", "missing")
    if not _is_iso(meta["recorded_at"]):
        raise _bad(path, "meta.recorded_at", "not an ISO-8601 time")
    streams: dict[StreamKey, WsStream] = {}
    raw_streams = data.get("streams")
    if not isinstance(raw_streams, list):
        raise _bad(path, "streams", "not a list")
    for i, raw in enumerate(raw_streams):
        key = f"streams[{i}]"
        try:
            hs = raw["handshake"]
            close = raw.get("close") or {}
            status = hs["status"]
            if status is not None and (not _is_int(status) or not 100 <= status <= 599):
                raise TypeError("status is not an HTTP status")
            frames = tuple(raw.get("frames") or ())
            for frame in frames:
                if frame.get("kind") not in ("text", "binary"):
                    raise ValueError("frame kind")
                if frame["kind"] == "binary" and not (_is_int(frame.get("size", 0)) and
                                                       0 <= frame.get("size", 0) <= MAX_WS_MESSAGE_BYTES):
                    raise ValueError("frame size")
                if not isinstance(frame.get("at_ms", 0), (int, float)):
                    raise ValueError("frame at_ms")
            code = close.get("code")
            if code is not None and (not _is_int(code) or not 1000 <= code <= 4999):
                raise ValueError("close code")
            for name, value in (("path", raw["path"]), ("query", raw.get("query", "")),
                                ("close reason", close.get("reason")), ("error", raw.get("error"))):
                if value is not None and not isinstance(value, str):
                    raise TypeError(f"{name} is not text")
            if close.get("by") not in ("server", "client", None):
                raise ValueError("close by")
            stream = WsStream(
                path=str(raw["path"]), query=str(raw.get("query", "")), status=status,
                headers={str(k): str(v) for k, v in dict(hs.get("headers") or {}).items()}, body=hs.get("body"),
                frames=frames, close_code=code, close_reason=close.get("reason"),
                closed_by=close.get("by"), error=raw.get("error"),
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise _bad(path, key, f"malformed entry ({str(exc)[:80]})") from None
        streams[stream.key] = stream
    return meta, streams

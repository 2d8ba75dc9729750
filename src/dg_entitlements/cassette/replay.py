"""Replay: HTTP from vcrpy with recording forbidden; WebSocket cassettes served by the fake server.

Before anything is sent, every selected combination is looked up in the cassettes: a missing one is
one line naming the combination, the file and the command that records it (exit 2), never a
vcrpy traceback halfway through the run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import ConfigError
from ..fake.app import WsResponder
from ..model import Combo
from ..probe.request import build_request
from ..probe.target import Target
from .aliases import AliasMap
from .http import ACCOUNT_OBSERVER, HTTP_FILE, SplitPersister, make_vcr, recorded_keys
from .matching import PROJECT_WILDCARD, RequestKey, StreamKey, covers, request_key, stream_key
from .record import META_FILE, WS_FILE, parse_recorded_at, read_meta
from .settings import CassetteSession, CassetteSettings
from .ws import WsStream, load_ws

RECORD_HINT = "record it: make record (or dg-entitlements check --dg-record ...)"
PLACEHOLDER = Target("http://replay.invalid", "ws://replay.invalid", "ws://replay.invalid")
WsCassettes = dict[str, dict[StreamKey, WsStream]]  # alias -> recorded streams


def check_coverage(pairs: Sequence[tuple[str, Combo]], directory: Path, ws: WsCassettes) -> None:
    """Every selected (account, combination) has a recorded answer, or one clear ConfigError."""
    http_keys: dict[str, set[RequestKey]] = {}
    for alias, combo in pairs:
        request = build_request(combo, PLACEHOLDER, project_id=PROJECT_WILDCARD)
        recorded: Iterable[RequestKey | StreamKey]
        if request.transport == "ws":
            file = directory / alias / WS_FILE
            wanted: RequestKey | StreamKey = stream_key(request.url)
            recorded = ws.get(alias, {})
        else:
            file = directory / alias / HTTP_FILE
            if alias not in http_keys:
                http_keys[alias] = recorded_keys(file)
            wanted = request_key(request.method, request.url)
            recorded = http_keys[alias]
        if not any(covers(key, wanted) for key in recorded):
            raise ConfigError(str(file), f"{alias}::{combo.id}", "no recorded answer for this combination",
                              RECORD_HINT)


def age_info(metas: dict[str, dict[str, Any]], max_age_days: int, now: datetime | None = None) -> dict[str, Any]:
    """How old the cassettes are; past the configured age the report warns."""
    now = now or datetime.now(UTC)
    oldest = min(metas.values(), key=lambda m: m["recorded_at"])
    recorded = parse_recorded_at(oldest["recorded_at"])  # checked when read (read_meta)
    age_days = round((now - recorded).total_seconds() / 86400, 1)
    info: dict[str, Any] = {"recorded_at": oldest["recorded_at"], "age_days": age_days,
                            "hosts": sorted({str(m.get("host", "")) for m in metas.values()}),
                            "max_age_days": max_age_days}
    if age_days > max_age_days:
        info["warning"] = (f"cassettes are {age_days:.0f} days old (limit {max_age_days}): re-record them "
                           "against live Deepgram so replay still says what Deepgram says")
    return info


def make_responder(alias_map: AliasMap, ws: WsCassettes) -> WsResponder:
    """Serve recorded WebSocket answers: the same handshake status, headers, body, frames and close."""

    async def respond(websocket: WebSocket) -> bool:
        alias = alias_map.alias_for_authorization(websocket.headers.get("authorization"))
        stream = ws.get(alias, {}).get(stream_key(str(websocket.url)))
        if stream is None:
            await websocket.send_denial_response(Response(
                f"no WebSocket cassette for {alias} {websocket.url.path}?{websocket.url.query}",
                status_code=599, media_type="text/plain"))
            return True
        if stream.status != 101:
            await _deny(websocket, stream)
            return True
        await websocket.accept(headers=[(k.encode(), v.encode()) for k, v in stream.headers.items()
                                        if k.startswith("dg-")])
        for frame in stream.frames:
            if frame["kind"] == "binary":
                await websocket.send_bytes(b"\x00" * int(frame.get("size", 0)))
            else:
                data = frame.get("data")
                await websocket.send_text(data if isinstance(data, str) else json.dumps(data, separators=(",", ":")))
        if stream.closed_by == "server":
            await _wait_for_client_message(websocket)
            await _close_as_recorded(websocket, stream)
        else:
            await _wait_for_client_message(websocket, until_disconnect=True)
        return True

    return respond


async def _close_as_recorded(websocket: WebSocket, stream: WsStream) -> None:
    """1005 (a close frame with no status, as Flux does) is sent as such; 1006 has no frame to send."""
    code = stream.close_code
    if code == 1006:
        return
    status: int | None = None if code in (None, 1005) else code
    reason = (stream.close_reason or "") if status else ""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, OSError):
        await websocket.send({"type": "websocket.close", "code": status, "reason": reason})


async def _deny(websocket: WebSocket, stream: WsStream) -> None:
    body = stream.body
    raw = json.dumps(body, separators=(",", ":")) if isinstance(body, (dict, list)) else (body or "")
    headers = {k: v for k, v in stream.headers.items() if k not in ("content-length", "content-type")}
    media = stream.headers.get("content-type", "application/json" if isinstance(body, (dict, list)) else "text/plain")
    await websocket.send_denial_response(Response(raw, status_code=stream.status or 500, headers=headers,
                                                  media_type=media))


async def _wait_for_client_message(websocket: WebSocket, until_disconnect: bool = False) -> None:
    import asyncio

    try:
        async with asyncio.timeout(10):
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    return
                if not until_disconnect:
                    return
    except (TimeoutError, WebSocketDisconnect, RuntimeError):
        return


def read_cassettes(settings: CassetteSettings, pairs: Sequence[tuple[str, Combo]]
                   ) -> tuple[dict[str, dict[str, Any]], WsCassettes]:
    """Read and check every cassette the selection needs: unknown alias, corrupt file, missing
    combination are each one ConfigError before anything is sent."""
    directory = settings.directory
    metas: dict[str, dict[str, Any]] = {}
    ws: WsCassettes = {}
    for alias in settings.aliases:
        meta = read_meta(directory, alias)
        if meta is None:
            raise ConfigError(str(directory / alias / META_FILE), alias,
                              f"no cassettes for account alias {alias!r}", RECORD_HINT)
        metas[alias] = meta
        ws_path = directory / alias / WS_FILE
        ws[alias] = load_ws(ws_path)[1] if ws_path.is_file() else {}
    check_coverage(pairs, directory, ws)
    return metas, ws


@contextlib.contextmanager
def replay_context(settings: CassetteSettings, pairs: Sequence[tuple[str, Combo]]) -> Iterator[CassetteSession]:
    """HTTP from the cassettes through vcrpy (recording forbidden), WebSocket through the responder."""
    metas, ws = read_cassettes(settings, pairs)
    vcr = make_vcr(SplitPersister(settings.directory, settings.aliases), settings.alias_map, record=False)
    info = age_info(metas, settings.max_age_days) | {"directory": str(settings.directory)}
    with vcr.use_cassette(str(settings.directory / "http"), allow_playback_repeats=True):
        yield CassetteSession(info, (ACCOUNT_OBSERVER,), make_responder(settings.alias_map, ws))

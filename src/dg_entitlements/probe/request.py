"""Turn a combination into the exact request a probe sends: pure, so it is tested without sockets.

The key is not part of a ProbeRequest: it is added as a header at send time by the I/O layer,
so no URL, log line or cassette built from a ProbeRequest can ever hold it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ..model import Combo, Cost
from .audio import probe_wav, wav_seconds
from .target import Target


class MissingPrerequisite(Exception):
    """The request needs something the run could not learn (the project id), so it is not sent."""


@dataclass(frozen=True)
class ProbeRequest:
    combo_id: str
    transport: str
    method: str
    url: str
    body: bytes = b""
    content_type: str | None = None
    close_message: dict[str, Any] | None = None
    send: tuple[dict[str, Any], ...] = ()
    auth: bool = True
    auth_scheme: str = "Token"  # "Bearer" for a temporary JWT (explain reproduces the user's own scheme)
    # explain and the proxy reproduce a user's exact request: their other headers, sent as given, and
    # the browser form of the credential (Sec-WebSocket-Protocol: <scheme>, <key>) instead of a header.
    headers: tuple[tuple[str, str], ...] = ()
    auth_via: str = "header"  # "header" | "subprotocol"
    cost: Cost = Cost()


def build_request(combo: Combo, target: Target, project_id: str | None = None, with_key: bool = True) -> ProbeRequest:
    surface = combo.surface
    path = surface.path
    if "{project_id}" in path:
        if not project_id:
            raise MissingPrerequisite("no project id: set project_id for the account or let GET /v1/projects answer")
        path = path.replace("{project_id}", project_id)
    query = urlencode(combo.query())
    url = target.base_for(surface.transport, surface.host) + path + (f"?{query}" if query else "")
    body = b""
    content_type = None
    characters = 0
    if surface.body == "audio":
        body = probe_wav()
        content_type = "application/octet-stream"
    elif surface.body == "json":
        payload = combo.json_body if combo.json_body is not None else {}
        body = json.dumps(payload, separators=(",", ":")).encode()
        content_type = "application/json"
        if isinstance(payload, dict) and isinstance(payload.get("text"), str):
            characters = len(payload["text"])
    cost = Cost(requests=1, audio_seconds=wav_seconds(body) if surface.body == "audio" else 0.0,
                characters=characters)
    return ProbeRequest(
        combo_id=combo.id, transport=surface.transport, method=surface.method, url=url, body=body,
        content_type=content_type, close_message=surface.close_message, send=combo.send,
        auth=surface.auth and with_key, cost=cost,
    )

"""What the cassette layer needs to know, and what it hands back to a run: nothing more.

The cassette code used to take the whole loaded configuration, which tied it to `modes` both ways
(an import cycle kept quiet with TYPE_CHECKING). `modes.py` builds these settings from the loaded
configuration and the run's keys; the cassette layer reads only them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..probe.runner import ProbeObserver
from .aliases import AliasMap

if TYPE_CHECKING:  # a type only: the fake server (starlette, uvicorn) is imported when a mode starts it
    from ..fake.app import WsResponder


@dataclass(frozen=True)
class CassetteSettings:
    directory: Path  # <cassettes>/<alias>/{http.yaml, ws.json, meta.json}
    aliases: tuple[str, ...]  # the run's accounts, sorted: one folder each
    alias_map: AliasMap  # credential -> alias, for requests that name no account of their own
    mode: str  # the mode a recording wraps (fake or live): written into meta.json
    alias_project_ids: bool  # store stand-ins for project ids (record only)
    max_age_days: int  # older cassettes make replay warn


@dataclass(frozen=True)
class CassetteSession:
    """An open recording or replay: what the run result's `cassettes` says, the observers the runner
    calls for every probe, and (replay) what answers WebSocket handshakes in place of the fake."""

    info: dict[str, Any]
    observers: tuple[ProbeObserver, ...] = ()
    ws_responder: WsResponder | None = None

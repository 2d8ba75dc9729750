"""The route table: every path the fake serves, what each accepts, and which checks apply.

One table for REST and WebSocket, so "which paths exist" (404) and "which methods a path takes"
(405: POST /v2/listen, GET or an upgrade on /v1/read) are decided in one place for both.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from starlette.requests import Request
from starlette.responses import Response

from . import agent, flux, listen, listen_stream, manage, read, speak, speak_stream
from .call import Call
from .ws import Channel

HttpHandler = Callable[[Call, Request], Awaitable[Response]]
WsHandler = Callable[[Call, Channel], Awaitable[None]]
Check = Callable[[Call], None]
Kind = Literal["voice", "manage", "public"]


@dataclass(frozen=True)
class Endpoint:
    template: str  # "/v1/projects/{project_id}/keys"
    kind: Kind
    http: Mapping[str, HttpHandler] = field(default_factory=dict)  # method -> handler
    ws: WsHandler | None = None
    pre_auth: Check | None = None  # checks Deepgram makes before it reads the key
    validate: Check | None = None  # per-endpoint checks after auth
    entitle: Check | None = None  # model entitlement
    scopes: Mapping[str, str] = field(default_factory=dict)  # method -> permission needed
    tts: bool = False  # 429 bodies differ for TTS

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template) + "/?$")


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("/v1/listen", "voice", {"POST": listen.prerecorded}, listen_stream.run,
             validate=listen.validate, entitle=listen.entitle),
    Endpoint("/v2/listen", "voice", {}, flux.run, pre_auth=flux.pre_auth, entitle=flux.entitle),
    Endpoint("/v1/speak", "voice", {"POST": speak.speak_rest}, speak_stream.run, validate=speak.validate,
             entitle=speak.entitle, tts=True),
    Endpoint("/v2/speak", "voice", {"POST": speak.speak_rest}, speak_stream.run, pre_auth=speak.pre_auth_v2,
             validate=speak.validate, entitle=speak.entitle, tts=True),
    Endpoint("/v1/read", "voice", {"POST": read.read_rest}, validate=read.validate),
    Endpoint("/v1/agent/converse", "voice", {}, agent.run),
    Endpoint("/v1/models", "public", {"GET": manage.public_models}),
    Endpoint("/v1/models/{model_id}", "public", {"GET": manage.public_model}),
    Endpoint("/v2/models", "public", {"GET": manage.flux_voices}),
    Endpoint("/v1/auth/grant", "manage", {"POST": manage.grant}, scopes={"POST": "usage:write"}),
    Endpoint("/v1/auth/token", "manage", {"GET": manage.token_info}),
    Endpoint("/v1/projects", "manage", {"GET": manage.projects}, scopes={"GET": "project:read"}),
    Endpoint("/v1/projects/{project_id}", "manage", {"GET": manage.project}, validate=manage.check_project,
             scopes={"GET": "project:read"}),
    Endpoint("/v1/projects/{project_id}/models", "manage", {"GET": manage.project_models},
             validate=manage.check_project, scopes={"GET": "project:read"}),
    Endpoint("/v1/projects/{project_id}/models/{model_id}", "manage", {"GET": manage.project_model},
             validate=manage.check_project, scopes={"GET": "project:read"}),
    Endpoint("/v1/projects/{project_id}/keys", "manage", {"GET": manage.list_keys, "POST": manage.create_key},
             validate=manage.check_project, scopes={"GET": "keys:read", "POST": "keys:write"}),
    Endpoint("/v1/projects/{project_id}/keys/{key_id}", "manage", {"GET": manage.get_key, "DELETE": manage.delete_key},
             validate=manage.check_project, scopes={"GET": "keys:read", "DELETE": "keys:write"}),
    Endpoint("/v1/projects/{project_id}/members", "manage", {"GET": manage.members}, validate=manage.check_project,
             scopes={"GET": "members:read"}),
    Endpoint("/v1/projects/{project_id}/members/{member_id}/scopes", "manage", {"GET": manage.member_scopes},
             validate=manage.check_project, scopes={"GET": "members:read"}),
    Endpoint("/v1/projects/{project_id}/balances", "manage", {"GET": manage.balances},
             validate=manage.check_project, scopes={"GET": "billing:read"}),
    Endpoint("/v1/projects/{project_id}/balances/{balance_id}", "manage", {"GET": manage.balance},
             validate=manage.check_project, scopes={"GET": "billing:read"}),
    Endpoint("/v1/projects/{project_id}/usage", "manage", {"GET": manage.usage}, validate=manage.check_project,
             scopes={"GET": "usage:read"}),
    Endpoint("/v1/projects/{project_id}/requests", "manage", {"GET": manage.requests},
             validate=manage.check_project, scopes={"GET": "usage:read"}),
)
_COMPILED = tuple((ep, ep.pattern) for ep in ENDPOINTS)


def resolve(path: str) -> tuple[Endpoint, dict[str, str]] | None:
    for ep, pattern in _COMPILED:
        match = pattern.match(path)
        if match:
            return ep, match.groupdict()
    return None


def is_project_path(path: str) -> bool:
    return path == "/v1/projects" or path.startswith("/v1/projects/")

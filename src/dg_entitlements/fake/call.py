"""One request as the checks see it, the same for REST and WebSocket, so the order of checks is
written once and both transports share it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .config import FakeAccount, Faults

if TYPE_CHECKING:
    from .state import FakeState, KeyRecord


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key, or a temporary token minted from one."""

    kind: Literal["key", "jwt"]
    account: FakeAccount
    key: KeyRecord

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset({"usage:write"}) if self.kind == "jwt" else self.key.permissions


@dataclass
class Call:
    transport: Literal["http", "ws"]
    method: str  # GET, POST, ... ; "WS" for an upgrade
    path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names
    subprotocols: list[str]
    state: FakeState
    path_params: dict[str, str] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    principal: Principal | None = None

    def q(self, name: str) -> str | None:
        for k, v in self.query:
            if k == name:
                return v
        return None

    def q_all(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    @property
    def account(self) -> FakeAccount | None:
        return self.principal.account if self.principal else None

    @property
    def faults(self) -> Faults | None:
        return self.principal.account.faults if self.principal else None

    def need_account(self) -> FakeAccount:
        assert self.principal is not None, "checks after auth only"
        return self.principal.account

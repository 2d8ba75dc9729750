"""What one running fake server remembers: keys (configured and created), issued tokens' secret,
open streams per project, fault counters and usage. Lives on one event loop, so no locks."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field

from .config import FakeAccount, FakeConfig
from .limits import StreamSlots
from .models import Registry

ROLE_SCOPES: dict[str, frozenset[str]] = {
    "member": frozenset({"member", "project:read", "usage:write"}),
    "admin": frozenset({"admin", "project:read", "usage:write", "usage:read", "keys:read", "keys:write",
                        "members:read", "billing:read"}),
    "owner": frozenset({"owner", "project:read", "project:write", "usage:write", "usage:read", "keys:read",
                        "keys:write", "members:read", "members:write", "billing:read", "billing:write"}),
}


@dataclass
class KeyRecord:
    key_id: str
    account: FakeAccount
    comment: str
    scopes: tuple[str, ...]  # as listed, e.g. ("member",)
    created: str
    tags: tuple[str, ...] = ()
    expiration_date: str | None = None

    @property
    def permissions(self) -> frozenset[str]:
        out: set[str] = set()
        for scope in self.scopes:
            out |= ROLE_SCOPES.get(scope, frozenset({scope}))
        return frozenset(out)


@dataclass
class FakeState:
    config: FakeConfig
    registry: Registry = field(default_factory=Registry)
    keys: dict[str, KeyRecord] = field(default_factory=dict)
    jwt_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    slots: StreamSlots = field(default_factory=StreamSlots)
    fault_counts: Counter[str] = field(default_factory=Counter)
    usage: Counter[str] = field(default_factory=Counter)  # project_id -> requests served

    def __post_init__(self) -> None:
        for i, acc in enumerate(self.config.accounts):
            self.keys[acc.key] = KeyRecord(
                key_id=f"{acc.project_id[:8]}-key-{i:04d}", account=acc, comment=f"{acc.alias} (fake)",
                scopes=(acc.role,), created="2026-01-01T00:00:00.000Z",
            )


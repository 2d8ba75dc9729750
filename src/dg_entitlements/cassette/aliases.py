"""Keys are never matched on, never stored: each maps to a stable, non-secret account alias.

The known vcrpy pitfall: with the Authorization header filtered out, two accounts calling the same
URL replay each other's answers. So the header is rewritten to `alias:<alias>` before recording
and before matching; the rewrite is idempotent because vcrpy may apply it twice to one request.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping

ALIAS_PREFIX = "alias:"
PUBLIC = "_public"  # requests sent without a key (GET /v1/models): the same for every account


class AliasMap:
    def __init__(self, key_to_alias: Mapping[str, str]) -> None:
        self._map = dict(key_to_alias)

    def alias_for_credential(self, credential: str | None) -> str | None:
        if credential is None:
            return None
        return self._map.get(credential)

    def alias_for_authorization(self, value: str | None) -> str:
        """'Token KEY' / 'Bearer JWT' / 'alias:x' -> the alias; no header -> PUBLIC; unknown -> 'unknown'."""
        if not value:
            return PUBLIC
        value = value.strip()
        if value.startswith(ALIAS_PREFIX):
            return value[len(ALIAS_PREFIX):]
        _, _, credential = value.partition(" ")
        return self._map.get(credential.strip()) or self._map.get(value) or "unknown"


def replay_credential(alias: str) -> str:
    """What a replayed account sends when its real key is not at hand: clearly not a key."""
    return f"dgreplay-{alias}"


PROJECT_ID_FIELD = re.compile(
    r"(?:project_id|dg-project-id)\W{1,8}([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def project_alias(alias: str, project_id: str) -> str:
    """A stable stand-in for a project id: UUID-shaped (so paths stay valid), the same in every file of
    an account's cassettes, and not reversible to the real id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"dg-entitlements:{alias}:{project_id}"))


def alias_project_ids(text: str, alias: str) -> str:
    """Replace every project id the text names (in `project_id` fields and `dg-project-id` headers),
    wherever it appears, paths included; replay then learns the stand-in from GET /v1/projects and
    asks for the same paths, so it still matches."""
    for real in sorted(set(PROJECT_ID_FIELD.findall(text))):
        text = text.replace(real, project_alias(alias, real))
    return text

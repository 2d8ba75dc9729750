"""Credentials as Deepgram reads them: `Token <key>` (any case), `Bearer <jwt>` from /v1/auth/grant,
and the browser form `Sec-WebSocket-Protocol: token, <key>`. Never a key in the query string.

The temporary token is a real HS256 JWT signed with a per-server secret, built at run time so no
JWT-shaped literal sits in the repository for scanners to flag.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from .call import Call, Principal
from .errors import invalid_auth
from .state import FakeState, KeyRecord


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_jwt(state: FakeState, record: KeyRecord, ttl_s: float, now: float | None = None) -> str:
    """A token naming the key it was minted from; it dies with the key and at `exp`."""
    now = time.time() if now is None else now
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    claims = {"sub": record.key_id, "pid": record.account.project_id, "iat": int(now),
              "exp": now + ttl_s, "jti": str(uuid.uuid4()), "scope": "usage:write"}
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(state.jwt_secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(sig)}"


def verify_jwt(state: FakeState, token: str, now: float | None = None) -> dict[str, Any] | None:
    """The claims of a token this server issued and that has not expired; None otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        expected = hmac.new(state.jwt_secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(parts[2])):
            return None
        claims: dict[str, Any] = json.loads(_unb64(parts[1]))
    except (ValueError, TypeError):
        return None
    now = time.time() if now is None else now
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] <= now:
        return None
    return claims


def credentials(call: Call) -> tuple[str, str] | None:
    """(scheme, credential) from the Authorization header, else the browser subprotocol form."""
    header = call.headers.get("authorization")
    if header is not None:
        scheme, _, value = header.strip().partition(" ")
        return (scheme.lower(), value.strip()) if value.strip() else ("malformed", "")
    protos = call.subprotocols
    if call.transport == "ws" and len(protos) >= 2 and protos[0].lower() in ("token", "bearer"):
        return protos[0].lower(), protos[1]
    return None


def selected_subprotocol(call: Call) -> str | None:
    """What to echo in Sec-WebSocket-Protocol: `token`/`bearer` for the credential form, else the first
    value offered, because browsers and node `ws` fail a connection whose offer gets no echo."""
    if not call.subprotocols:
        return None
    first = call.subprotocols[0]
    return first.lower() if first.lower() in ("token", "bearer") else first


def authenticate(call: Call) -> Principal:
    """Set and return the caller, or raise 401 INVALID_AUTH for missing, malformed or wrong credentials."""
    found = credentials(call)
    if found is None:
        raise invalid_auth()
    scheme, value = found
    state = call.state
    if scheme == "token":
        record = state.keys.get(value)
        if record is None:
            raise invalid_auth()
        call.principal = Principal("key", record.account, record)
        return call.principal
    if scheme == "bearer":
        claims = verify_jwt(state, value)  # a raw API key as Bearer fails here: 401, as Deepgram does
        if claims is None:
            raise invalid_auth()
        for record in state.keys.values():
            if record.key_id == claims.get("sub"):
                call.principal = Principal("jwt", record.account, record)
                return call.principal
    raise invalid_auth()

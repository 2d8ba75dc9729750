"""Management and public REST: projects, project models, keys, members, balances, usage, the public
model lists and `POST /v1/auth/grant` (docs/fidelity.md).

Project-scoped paths check the project id the way Deepgram's errors suggest: a malformed id is a
plain-text 404 from the UUID parser, a well-formed id the key cannot see is 404 PROJECT_NOT_FOUND.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .auth import mint_jwt
from .call import Call
from .errors import DgError, not_found
from .listen import now_iso, parse_json_body, read_body, success_headers
from .state import KeyRecord


def _ok(call: Call, payload: Any) -> Response:
    return JSONResponse(payload, headers=success_headers(call))


def check_project(call: Call) -> None:
    pid = call.path_params.get("project_id")
    if pid is None:
        return
    try:
        uuid.UUID(pid)
    except ValueError:
        bad = next(((i, c) for i, c in enumerate(pid, 1) if c not in "0123456789abcdefABCDEF-"), (1, pid[:1] or " "))
        raise DgError(404, "NOT_FOUND", "UUID parsing failed: invalid character: expected an optional prefix of "
                      f"`urn:uuid:` followed by [0-9a-zA-Z], found `{bad[1]}` at {bad[0]}", shape="text") from None
    if pid.lower() != call.need_account().project_id:
        raise DgError(404, "PROJECT_NOT_FOUND", "Project not found.", with_request_id=False)


# ------------------------------------------------------------------------------------------ public


async def public_models(call: Call, request: Request) -> Response:
    return _ok(call, call.state.registry.public_listing())


async def public_model(call: Call, request: Request) -> Response:
    item = call.state.registry.find_any(call.path_params["model_id"])
    if item is None or not getattr(item, "public", True) or getattr(item, "is_flux", False):
        raise not_found("Model not found.")
    return _ok(call, item.listing())


async def flux_voices(call: Call, request: Request) -> Response:
    return _ok(call, call.state.registry.flux_tts_listing())


# --------------------------------------------------------------------------------------------- auth


async def grant(call: Call, request: Request) -> Response:
    body = await read_body(call, request)
    ttl: float = 30.0
    if body.strip():
        payload = parse_json_body(body)
        value = payload.get("ttl_seconds", 30) if isinstance(payload, dict) else None
        if isinstance(value, bool) or not isinstance(value, int | float) or not 1 <= value <= 3600:
            raise DgError(400, "INVALID_QUERY_PARAMETER" if value is not None else "Bad Request",
                          "ttl_seconds must be a number between 1 and 3600.")
        ttl = float(value)
    assert call.principal is not None
    token = mint_jwt(call.state, call.principal.key, ttl)
    return _ok(call, {"access_token": token, "expires_in": int(ttl) if ttl.is_integer() else ttl})


async def token_info(call: Call, request: Request) -> Response:
    assert call.principal is not None
    key = call.principal.key
    return _ok(call, {"api_key_id": key.key_id, "comment": key.comment, "scopes": list(key.scopes),
                      "project_id": key.account.project_id})


# ---------------------------------------------------------------------------------------- projects


async def projects(call: Call, request: Request) -> Response:
    acc = call.need_account()
    return _ok(call, {"projects": [{"project_id": acc.project_id, "name": acc.project_name}]})


async def project(call: Call, request: Request) -> Response:
    acc = call.need_account()
    return _ok(call, {"project_id": acc.project_id, "name": acc.project_name, "mip_opt_out": False})


async def project_models(call: Call, request: Request) -> Response:
    return _ok(call, call.state.registry.project_listing(call.need_account()))


async def project_model(call: Call, request: Request) -> Response:
    listing = call.state.registry.project_listing(call.need_account())
    wanted = call.path_params["model_id"]
    for item in (*listing["stt"], *listing["tts"]):
        if wanted in (item["uuid"], item["canonical_name"]):
            return _ok(call, item)
    raise not_found("Model not found.")


# -------------------------------------------------------------------------------------------- keys


def _project_keys(call: Call) -> list[KeyRecord]:
    pid = call.need_account().project_id
    return [k for k in call.state.keys.values() if k.account.project_id == pid]


def _key_item(record: KeyRecord) -> dict[str, Any]:
    return {"member": {"member_id": _member_id(record), "email": f"{record.account.alias}@example.invalid"},
            "api_key": {"api_key_id": record.key_id, "comment": record.comment, "scopes": list(record.scopes),
                        "created": record.created}}


def _member_id(record: KeyRecord) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"member:{record.account.project_id}"))


async def list_keys(call: Call, request: Request) -> Response:
    return _ok(call, {"api_keys": [_key_item(k) for k in _project_keys(call)]})


async def get_key(call: Call, request: Request) -> Response:
    for record in _project_keys(call):
        if record.key_id == call.path_params["key_id"]:
            item = _key_item(record)
            item["api_key"].update({"tags": list(record.tags), "expiration_date": record.expiration_date})
            return _ok(call, item)
    raise not_found("API key not found.")


async def create_key(call: Call, request: Request) -> Response:
    """A new key that works at once, with the scopes asked for (never wider than the creator's role)."""
    payload = parse_json_body(await read_body(call, request))
    if not isinstance(payload, dict) or not isinstance(payload.get("comment"), str) or not isinstance(
            payload.get("scopes"), list):
        raise DgError(400, "Bad Request", "Invalid request: `comment` and `scopes` are required.", shape="text")
    if "expiration_date" in payload and "time_to_live_in_seconds" in payload:
        raise DgError(400, "Bad Request", "Invalid request: use either expiration_date or time_to_live_in_seconds.",
                      shape="text")
    scopes = [str(s) for s in payload["scopes"]]
    if any(s in ("owner", "admin") for s in scopes) and call.need_account().role == "member":
        raise DgError(400, "Bad Request", "Invalid request: scope must be either 'member', 'admin' or 'owner'.",
                      shape="text")
    expiration = payload.get("expiration_date")
    if "time_to_live_in_seconds" in payload:
        expiration = (datetime.now(UTC) + timedelta(seconds=float(payload["time_to_live_in_seconds"]))).isoformat()
    secret = "dgfake-created-" + secrets.token_hex(8)
    record = KeyRecord(key_id=str(uuid.uuid4()), account=call.need_account(), comment=payload["comment"],
                       scopes=tuple(scopes), created=now_iso(), tags=tuple(str(t) for t in payload.get("tags", [])),
                       expiration_date=expiration)
    call.state.keys[secret] = record
    return _ok(call, {"api_key_id": record.key_id, "key": secret, "comment": record.comment, "scopes": scopes,
                      "tags": list(record.tags), "expiration_date": expiration})


async def delete_key(call: Call, request: Request) -> Response:
    for secret, record in list(call.state.keys.items()):
        if record.key_id == call.path_params["key_id"] and record.account.project_id == call.need_account().project_id:
            del call.state.keys[secret]
            return _ok(call, {"message": "Successfully deleted the API key!"})
    raise not_found("API key not found.")


# ---------------------------------------------------------------------------- members and billing


async def members(call: Call, request: Request) -> Response:
    acc = call.need_account()
    record = _project_keys(call)[0]
    return _ok(call, {"members": [{"member_id": _member_id(record), "email": f"{acc.alias}@example.invalid",
                                   "first_name": acc.alias, "last_name": "(fake)", "scopes": [acc.role]}]})


async def member_scopes(call: Call, request: Request) -> Response:
    return _ok(call, {"scopes": [call.need_account().role]})


async def balances(call: Call, request: Request) -> Response:
    acc = call.need_account()
    return _ok(call, {"balances": [_balance(acc.project_id, acc.credits)]})


def _balance(project_id: str, amount: float) -> dict[str, Any]:
    return {"balance_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"balance:{project_id}")), "amount": amount,
            "units": "usd", "purchase_order_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"po:{project_id}"))}


async def balance(call: Call, request: Request) -> Response:
    acc = call.need_account()
    item = _balance(acc.project_id, acc.credits)
    if call.path_params["balance_id"] != item["balance_id"]:
        raise not_found("Balance not found.")
    return _ok(call, item)


async def usage(call: Call, request: Request) -> Response:
    today = datetime.now(UTC).date().isoformat()
    count = call.state.usage[call.need_account().project_id]
    return _ok(call, {"start": call.q("start") or today, "end": call.q("end") or today,
                      "resolution": {"units": "day", "amount": 1},
                      "results": [{"start": today, "end": today, "hours": 0.0, "total_hours": 0.0,
                                   "requests": count}]})


async def requests(call: Call, request: Request) -> Response:
    return _ok(call, {"page": 0, "limit": int(call.q("limit") or 10), "requests": []})

"""The order of checks, written once for REST and WebSocket (docs/deepgram-facts.md):

route (404) and method (405) -> pre-auth query validation (/v2/listen, /v2/speak) -> auth (401) ->
regional 404 on /v1/projects/* -> per-endpoint validation (400/403 features) -> model entitlement
(403, TTS 400) -> management scope (403/401) -> credits (402) -> concurrency (429) -> faults.

The order matters more than any single answer: it is what lets a client tell "bad parameter" from
"bad key" from "not entitled", and what the suite's verdicts rely on.
"""

from __future__ import annotations

from dataclasses import dataclass

from .auth import authenticate
from .call import Call
from .errors import insufficient_permissions, invalid_auth, method_not_allowed, not_found, payment_required
from .errors import too_many as too_many_error
from .faults import ResetConnection, at_admission
from .routes import Endpoint, is_project_path, resolve

__all__ = ["Admission", "ResetConnection", "admit", "release", "route"]


@dataclass
class Admission:
    endpoint: Endpoint
    slot_project: str | None = None  # a stream slot to give back when the stream ends


def route(call: Call) -> Endpoint:
    found = resolve(call.path)
    if found is None:
        raise not_found()
    endpoint, params = found
    call.path_params = params
    if call.transport == "ws" and endpoint.ws is None:
        raise method_not_allowed()
    if call.transport == "http" and call.method not in endpoint.http:
        raise method_not_allowed()
    return endpoint


async def admit(call: Call) -> Admission:
    """Run every check; raise DgError for the first that refuses. Acquires a stream slot for streams."""
    endpoint = route(call)
    if endpoint.pre_auth is not None:
        endpoint.pre_auth(call)
    if endpoint.kind == "public":
        return Admission(endpoint)
    principal = authenticate(call)
    state = call.state
    fid = state.config.fidelity
    if state.config.server.regional and is_project_path(call.path):
        raise not_found()
    if endpoint.validate is not None:
        endpoint.validate(call)
    if endpoint.entitle is not None:
        endpoint.entitle(call)
    if endpoint.kind == "manage":
        if principal.kind == "jwt":  # temporary tokens never work on management (SPEC-OA grant description)
            raise invalid_auth() if fid.jwt_on_manage == "invalid_auth" else insufficient_permissions(
                fid.scope_denied_status)
        needed = endpoint.scopes.get(call.method)
        if needed is not None and needed not in principal.permissions:
            raise insufficient_permissions(fid.scope_denied_status)
    account = principal.account
    if endpoint.kind == "voice" and account.credits <= 0:
        raise payment_required()
    admission = Admission(endpoint)
    faults = account.faults
    if endpoint.kind == "voice" and call.transport == "ws":
        if not state.slots.try_acquire(account.project_id, account.max_concurrent_streams):
            raise too_many_error(endpoint.tts, faults.retry_after_s)
        admission.slot_project = account.project_id
    try:
        await at_admission(call)
    except BaseException:
        release(call, admission)
        raise
    if endpoint.kind == "voice":
        state.usage[account.project_id] += 1
    return admission


def release(call: Call, admission: Admission) -> None:
    if admission.slot_project is not None:
        call.state.slots.release(admission.slot_project)
        admission.slot_project = None


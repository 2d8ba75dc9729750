"""`dg-entitlements explain`: a run of one cell, built from the user's exact request.

The request is taken as the user gives it (URL with its query string, method, every header, the
browser's Sec-WebSocket-Protocol form, a body or audio file), so a malformed query or a key in the
URL is reproduced, not corrected. It then goes through the engine like any cell of the suite: the
same judgement, the same evidence (model lists, control probes) and the same diagnosis. The key
comes from the request's own credential or from the environment, is registered with the scrubber at
once, and is never printed back: everything shown passes `secrets.scrub`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .accounts import Account
from .catalogue import Catalogue
from .diagnosis import AuthForm
from .errors import ConfigError
from .facts import URL_KEY_PARAMETERS
from .model import Cell, Combo, Diagnosis, Judgement, Observation, RunResult
from .offline import auth_form
from .probe.request import ProbeRequest
from .probe.target import target_from_base_url
from .secrets import ApiKey, register_secret, scrub
from .userrequest import combo_for, method_for, transport_of

ALIAS = "explain"
MAX_BODY_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class UserRequest:
    """The user's request, split into what we send and the credential we hold apart."""

    combo: Combo
    request: ProbeRequest
    key: ApiKey | None
    scheme: str  # the scheme word the user used ("Token", "Bearer"), "" if none
    base: str  # scheme://host of the request
    form: AuthForm | None = None  # how the user's own headers or URL carried the credential (None: the env key)


def _credential(headers: list[str], env_key: str | None) -> tuple[str, str | None, str, list[tuple[str, str]]]:
    """(scheme, key, via, other headers) from the user's -H list; the environment's key if none."""
    others: list[tuple[str, str]] = []
    scheme, key, via = "", None, "header"
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep or not name.strip():
            raise ConfigError("explain", "-H", "a header must be 'Name: value'", "write -H 'Authorization: Token ...'")
        lname, value = name.strip().lower(), value.strip()
        if lname == "authorization":
            first, _, rest = value.partition(" ")
            scheme, key = (first, rest.strip()) if rest.strip() else ("", first)
        elif lname == "sec-websocket-protocol":
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if parts and parts[0].lower() in ("token", "bearer") and len(parts) > 1:
                scheme, key, via = parts[0], parts[1], "subprotocol"
            elif parts:
                scheme, key, via = "", parts[0], "subprotocol"
        elif lname not in ("host", "content-length", "connection", "upgrade") and not lname.startswith("sec-websocket"):
            others.append((name.strip(), value))
    if key is None and env_key:
        scheme, key = "Token", env_key
    if key:
        register_secret(key)
    return scheme, key or None, via, others


def parse_user_request(catalogue: Catalogue, url: str, method: str | None, headers: list[str],
                       body: bytes, env_key: str | None) -> UserRequest:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ConfigError("explain", "URL", "not an http(s):// or ws(s):// URL", "give the full URL your code uses")
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in (*URL_KEY_PARAMETERS, "authorization"):
            register_secret(value)
            register_secret(value.split(" ", 1)[-1])
    base = f"{parts.scheme}://{parts.netloc}"
    target_from_base_url(base, "explain URL")  # validates host and port before anything is sent
    transport = transport_of(url)
    scheme, key_text, via, others = _credential(headers, env_key)
    verb = "GET" if transport == "ws" else (method or method_for(catalogue, parts.path, bool(body))).upper()
    combo = combo_for(catalogue, url, verb)
    content_type = next((v for n, v in others if n.lower() == "content-type"), None)
    others = [(n, v) for n, v in others if n.lower() != "content-type"]
    key = ApiKey(key_text, "request" if headers else "env") if key_text else None
    request = ProbeRequest(
        combo_id=combo.id, transport=transport, method=verb, url=urlunsplit(parts._replace(fragment="")),
        body=body, content_type=content_type or (_guess_type(body) if body else None),
        close_message=combo.surface.close_message, auth=key is not None, auth_scheme=scheme,
        headers=tuple(others), auth_via=via,
    )
    # The form of the user's own credential, as explain --offline reads it ("a key sent as Bearer", "no scheme
    # word"); the environment's key is sent the right way, so it has no form to judge.
    form = auth_form(url, headers)
    return UserRequest(combo, request, key, scheme, base, form if form.where not in ("unknown", "none") else None)


def _guess_type(body: bytes) -> str:
    return "application/json" if body[:1] in (b"{", b"[") else "application/octet-stream"


def read_body(path: str | None, what: str) -> bytes:
    if not path:
        return b""
    file = Path(path)
    try:
        if not file.is_file():
            raise ConfigError(path, what, "not a regular file", "give a readable file")
        if file.stat().st_size > MAX_BODY_BYTES:
            raise ConfigError(path, what, f"larger than {MAX_BODY_BYTES // 1024 // 1024} MB", "give a shorter file")
        return file.read_bytes()
    except OSError as exc:
        raise ConfigError(path, what, f"cannot read: {exc.strerror}", "give a readable file") from None


def explain_run(catalogue: Catalogue, req: UserRequest, controls: bool = True) -> RunResult:
    """The user's request as a one-cell run through the engine (same evidence as the suite)."""
    from .engine import run_plan
    from .pipeline import RunPlan, Selected
    from .probe.runner import ProbeSettings

    target = target_from_base_url(req.base, "explain URL")
    account = Account(alias=ALIAS, source="explain")
    plan = RunPlan(mode="explain", catalogue=catalogue, selected=(Selected(account, req.combo, req.request, req.form),),
                   targets={ALIAS: target}, keys={ALIAS: req.key},
                   settings=ProbeSettings(concurrency=4, loopback=target.is_loopback), controls=controls)
    return run_plan(plan)


def render(req: UserRequest, cell: Cell) -> str:
    """Each fact once: the request, the answer in Deepgram's words, the verdict, the cause, the remedy."""
    observation, judgement, diagnosis = cell.observation, cell.judgement, cell.diagnosis
    assert observation is not None and judgement is not None
    auth = "no credential"
    if req.key:
        form = "Sec-WebSocket-Protocol" if req.request.auth_via == "subprotocol" else "Authorization header"
        auth = f"{req.scheme or '(no scheme word)'} {req.key.fingerprint}, in the {form}"
    answer = observation.status if observation.status is not None else observation.error
    lines = [f"request:  {req.request.method} {req.request.url}", f"auth:     {auth}",
             f"answer:   {answer}  request id: {observation.request_id or '-'}"]
    if observation.close_code is not None:
        lines.append(f"close:    {observation.close_code} {observation.close_reason or ''}".rstrip())
    said = " ".join(p for p in (judgement.err_code, f'"{judgement.err_msg}"' if judgement.err_msg else "") if p)
    if said:
        lines.append(f"Deepgram: {said}")
    elif observation.dg_error:
        lines.append(f"dg-error: {observation.dg_error}")
    lines.append(f"verdict:  {judgement.verdict.value}: {judgement.reason}")
    if diagnosis is not None:
        lines += [f"cause:    {diagnosis.title}", f"remedy:   {diagnosis.remedy}"]
        if not diagnosis.is_entitlement:
            lines.append("note:     this is not an entitlement problem")
        said_already = {str(v) for v in (observation.request_id, observation.status, observation.dg_error,
                                           judgement.err_msg, judgement.err_code, said) if v}
        for ev in diagnosis.evidence:  # each fact once: skip evidence the lines above already say
            if ev.value and ev.value.strip('"') not in said_already:
                lines.append(f"  - {ev.label}: {ev.value}")
    return scrub("\n".join(lines))


def as_json(judgement: Judgement | None, diagnosis: Diagnosis | None, observation: Observation | None) -> str:
    """The judgement and diagnosis in the run result's shapes, for scripts and CI."""
    from .report.json import _to_plain

    data: dict[str, Any] = {
        "verdict": judgement.verdict.value if judgement else None,
        "judgement": _to_plain(judgement) if judgement else None,
        "diagnosis": _to_plain(diagnosis) if diagnosis else None,
        "status": observation.status if observation else None,
        "request_id": observation.request_id if observation else None,
    }
    if diagnosis is not None:
        data.update(cause=diagnosis.cause, title=diagnosis.title, remedy=diagnosis.remedy,
                    parameter=judgement.parameter if judgement else None)
    return scrub(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


def explain(catalogue: Catalogue, url: str, method: str | None, headers: list[str], body_file: str | None,
            env_key: str | None, controls: bool = True) -> tuple[str, Any]:
    """The whole of `explain URL` as a library call: the text to print and the verdict."""
    req = parse_user_request(catalogue, url, method, headers, read_body(body_file, "--body"), env_key)
    cell = explain_run(catalogue, req, controls).cells[0]
    if cell.observation is None or cell.judgement is None:
        raise ConfigError("explain", url, cell.skipped_reason or "not sent", "check the URL")
    return render(req, cell), cell.judgement.verdict

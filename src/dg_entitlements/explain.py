"""`dg-entitlements explain`: probe the exact request a user's own code makes and explain the answer.

The request is taken as the user gives it (URL with its query string, method, headers, body), so a
malformed query or a key in the URL is reproduced, not corrected. The key comes from the request's
own Authorization header or from the environment, is registered with the scrubber at once, and is
never printed back: everything shown passes `secrets.scrub`.
"""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .catalogue import Catalogue
from .errors import ConfigError
from .model import AccountInfo, Cell, Combo, Expectation, Judgement, Observation, Surface, Verdict
from .probe.request import ProbeRequest
from .probe.runner import ProbeJob, ProbeSettings, run_probes
from .secrets import ApiKey, register_secret, scrub

KEY_QUERY_NAMES = ("token", "access_token", "key", "api_key", "apikey")


@dataclass(frozen=True)
class UserRequest:
    """The user's request, split into what we send and the credential we hold apart."""

    combo: Combo
    request: ProbeRequest
    key: ApiKey | None
    scheme: str  # the Authorization scheme the user used ("Token", "Bearer") or "" if none
    base: str  # scheme://host of the request


def _surface_for(catalogue: Catalogue, transport: str, method: str, path: str) -> Surface:
    """The catalogue surface serving this path (project ids as wildcards), else an ad hoc one."""
    for surface in catalogue.surfaces.values():
        pattern = surface.path.replace("{project_id}", "*")
        if surface.transport == transport and fnmatch.fnmatchcase(path, pattern) and \
                (transport == "ws" or surface.method == method):
            return surface
    return Surface(name=f"adhoc:{method} {path}", transport=transport, method=method, path=path,  # type: ignore[arg-type]
                   success_status=101 if transport == "ws" else 200, title=f"{method} {path}")


def parse_user_request(catalogue: Catalogue, url: str, method: str | None, headers: list[str],
                       body: bytes, env_key: str | None) -> UserRequest:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
        raise ConfigError("explain", "URL", "not an http(s):// or ws(s):// URL", "give the full URL your code uses")
    transport = "ws" if parts.scheme in ("ws", "wss") else "http"
    verb = "GET" if transport == "ws" else (method or ("POST" if body else "GET")).upper()
    query = parse_qsl(parts.query, keep_blank_values=True)
    for name, value in query:
        if name.lower() in KEY_QUERY_NAMES:
            register_secret(value)
    auth_value: str | None = None
    content_type: str | None = None
    for header in headers:
        name, sep, value = header.partition(":")
        if not sep:
            raise ConfigError("explain", "-H", "a header must be 'Name: value'", "write -H 'Authorization: Token ...'")
        if name.strip().lower() == "authorization":
            auth_value = value.strip()
        elif name.strip().lower() == "content-type":
            content_type = value.strip()
    scheme, key_text = "", None
    if auth_value:
        scheme, _, key_text = auth_value.partition(" ")
        key_text = key_text.strip() or None
    elif env_key:
        scheme, key_text = "Token", env_key
    if key_text:
        register_secret(key_text)
    key = ApiKey(key_text, "request" if auth_value else "env") if key_text else None
    surface = _surface_for(catalogue, transport, verb, parts.path)
    model = dict(query).get("model")
    params = tuple((k, v) for k, v in query if k != "model")
    combo = Combo(id=f"{surface.name}::{model or 'request'}", surface=surface, model=model, params=params,
                  why="the request given to explain")
    request = ProbeRequest(
        combo_id=combo.id, transport=transport, method=verb, url=urlunsplit(parts._replace(fragment="")),
        body=body, content_type=content_type or ("application/json" if body[:1] in (b"{", b"[") else
                                                 "application/octet-stream" if body else None),
        close_message=surface.close_message, auth=key is not None, auth_scheme=scheme or "Token",
    )
    return UserRequest(combo, request, key, scheme, f"{parts.scheme}://{parts.netloc}")


async def _probe(req: UserRequest, settings: ProbeSettings) -> Observation:
    results = await run_probes([ProbeJob("explain", req.request, req.key)], settings)
    return results["explain"]


def explain(catalogue: Catalogue, url: str, method: str | None, headers: list[str], body_file: str | None,
            env_key: str | None, controls: bool = True) -> tuple[str, Verdict]:
    """Probe, judge, run controls, diagnose; return the text to print and the verdict."""
    from .controls import plan_controls
    from .diagnosis import DiagnosisContext, diagnose
    from .outcomes import outcome_for
    from .probe.request import build_request
    from .probe.target import target_from_base_url
    from .verdicts import judge

    body = b""
    if body_file:
        try:
            body = Path(body_file).read_bytes()
        except OSError as exc:
            raise ConfigError(body_file, "--body", f"cannot read: {exc}", "give a readable file") from None
    req = parse_user_request(catalogue, url, method, headers, body, env_key)
    target = target_from_base_url(req.base, "explain URL")
    loopback = target.is_loopback
    settings = ProbeSettings(concurrency=4, loopback=loopback)
    observation = asyncio.run(_probe(req, settings))
    judgement = judge(observation, req.combo)
    expectation = Expectation(Verdict.ENTITLED, req.combo.surface.success_status, "explain")
    cell = Cell(account="explain", combo_id=req.combo.id, surface=req.combo.surface.name, variant=req.combo.variant,
                model=req.combo.model, expectation=expectation,
                outcome=outcome_for(expectation, judgement, observation.status), judgement=judgement,
                observation=observation)
    control_results = []
    if controls and judgement.verdict is not Verdict.ENTITLED and not req.combo.surface.name.startswith("adhoc"):
        from .model import ControlResult

        specs = plan_controls(cell, req.combo, catalogue.known_good, catalogue.bogus_model)
        jobs = [ProbeJob(i, build_request(s.combo, target), req.key if s.with_key else None)
                for i, s in enumerate(specs) if "{project_id}" not in s.combo.surface.path]
        found = asyncio.run(run_probes(jobs, settings)) if jobs else {}
        for i, spec in enumerate(specs):
            if i in found:
                obs = found[i]
                control_results.append(ControlResult(spec.purpose, spec.combo.id, obs.status,
                                                     judge(obs, spec.combo).verdict, obs.request_id))
    info = AccountInfo(alias="explain", fingerprint=req.key.fingerprint if req.key else None, project_id=None,
                       base_url=req.base, key_source=req.key.source if req.key else "none")
    diagnosis = diagnose(cell, req.combo, DiagnosisContext(info, None, None, tuple(control_results)))
    return scrub(render(req, observation, judgement, diagnosis)), judgement.verdict


def render(req: UserRequest, observation: Observation, judgement: Judgement, diagnosis: object) -> str:
    lines = [
        f"request:  {req.request.method} {req.request.url}",
        f"auth:     {req.scheme + ' ' + req.key.fingerprint if req.key else 'no credential'}",
        f"answer:   {observation.status if observation.status is not None else observation.error}"
        f"  request id: {observation.request_id or '-'}",
    ]
    if observation.dg_error:
        lines.append(f"dg-error: {observation.dg_error}")
    lines.append(f"verdict:  {judgement.verdict.value}: {judgement.reason}")
    if diagnosis is not None:
        title = getattr(diagnosis, "title", "")
        remedy = getattr(diagnosis, "remedy", "")
        lines += [f"cause:    {title}", f"remedy:   {remedy}"]
        if not getattr(diagnosis, "is_entitlement", True):
            lines.append("note:     this is not an entitlement problem")
        for ev in getattr(diagnosis, "evidence", ()):
            lines.append(f"  - {ev.label}: {ev.value}")
        for control in getattr(diagnosis, "controls", ()):
            lines.append(f"  control {control.purpose}: {control.status} {control.verdict.value}"
                         f" (request id {control.request_id or '-'})")
    return "\n".join(lines)

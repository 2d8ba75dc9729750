"""Why a cell came out as it did: one root cause, the evidence for it, one sentence to act on (pure).

A status code is not an answer. The diagnosis tells an engineer whether a failure is their code
(malformed request, wrong endpoint, a feature the surface does not offer), their key (invalid,
missing scope, expired token), their account (not entitled, no credits) or the network/service
(rate limits, 5xx, timeouts: inconclusive, never a denial), and it never claims more than the
evidence shows: Deepgram answers "not entitled" and "no such model" with the same 403, so that
call is made from the model lists and the control probes, or honestly left open. When only a status
survives, the diagnosis says so (`status_only`), ranks the causes it allows and gives the command
that gets Deepgram's words. The mapping is two tables (FINDERS per verdict, HINT_FINDERS per cause
the verdict evidence decided): no verdict falls through to a silent default.

When the answer says little (a bare status, a hidden handshake, an accepted stream that produced nothing,
or nothing at all), the request itself is evidence: `request_suspects` lists the defects it shows (the
credential's form, the endpoint for the model, a feature a stream refuses, a parameter the model refuses, a
language the model does not offer, a voice Deepgram does not publish), each with the statuses Deepgram
refuses it with. They rank the candidates; they decide the cause only when nothing else was seen (or, for a
request with no credential at all, whenever the key is in question).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from . import facts
from .controls import BOGUS, KNOWN_GOOD, MINIMAL, NO_KEY
from .model import (
    AccountInfo,
    Cell,
    Combo,
    ControlResult,
    Diagnosis,
    Evidence,
    Family,
    Judgement,
    Observation,
    Outcome,
    Verdict,
)
from .secrets import scrub
from .verdicts import (
    decode_body,
    deepgram_words,
    endpoint_for_wrong_family,
    is_aura,
    is_batch_only,
    is_flux,
    is_published_model,
    key_in_url,
    request_parameters,
    suspicious_parameter,
)

# Higher = more serious; the report panel lists causes in this order.
SEVERITY: Mapping[str, int] = {
    "not_entitled": 90,
    "no_credits": 88,
    "not_entitled_or_no_such_model": 85,
    "invalid_key": 80,
    "missing_key": 80,
    "expired_token": 78,
    "missing_scope": 70,
    "unexpected_allow": 60,
    "malformed_request": 55,
    "wrong_endpoint": 55,
    "no_such_model": 50,
    "feature_not_allowed": 45,
    "not_found": 40,
    "unrecognised": 30,
    "server_error": 25,
    "timeout": 20,
    "network_error": 20,
    "rate_limited": 15,
    "wrong_auth_scheme": 79,
    "key_in_url": 77,
    "unsupported_language": 52,
    "undecodable_audio": 50,
    "remote_media_error": 24,
    "idle_timeout": 22,
    "tts_rate_limit": 16,
    "not_deepgram": 35,
    "handshake_hidden": 33,
    "status_only": 32,
}
# Causes that never earn a support ticket: Deepgram did not answer, so there is nothing to ask Deepgram.
NO_TICKET_CAUSES = frozenset({"not_deepgram"})
EXPECTED_SEVERITY = 1  # a refusal the contract expected is shown, but last
FLUX_MODELS_TEXT = "flux-general-en, flux-general-multi"


@dataclass(frozen=True)
class AuthForm:
    """How the request carried its credential, by shape only: the credential itself is never kept.

    `where`: header | subprotocol | url | none | unknown (the request's headers were not given).
    `scheme`: the scheme word as sent ("Token", "Bearer", "" for none, or the subprotocol's first entry).
    `shape`: jwt | key (40 hex) | empty | other.
    `order_ok`: False when a subprotocol list put the credential before the scheme word (or alone).
    """

    where: str = "none"
    scheme: str | None = None
    shape: str = "other"
    url_param: str | None = None
    order_ok: bool = True


@dataclass(frozen=True)
class DiagnosisContext:
    """Account-wide evidence: the model lists (None when unavailable) and this cell's control probes."""

    account: AccountInfo
    public_models: frozenset[str] | None
    project_models: frozenset[str] | None
    controls: tuple[ControlResult, ...] = ()
    auth: AuthForm | None = None  # known when diagnosing a request someone else made (explain --offline)


@dataclass(frozen=True)
class Finding:
    """A diagnosis before the shared evidence and severity are attached."""

    cause: str
    title: str
    remedy: str
    is_entitlement: bool
    evidence: tuple[Evidence, ...] = ()
    candidates: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------- model lists


def model_names(body: Any) -> frozenset[str]:
    """Every `name` and `canonical_name` in a /v1/models or /v1/projects/{id}/models body, lower-cased."""
    body = decode_body(body)
    items: list[Any] = []
    if isinstance(body, Mapping):
        for key in ("stt", "tts", "models"):
            value = body.get(key)
            if isinstance(value, list):
                items.extend(value)
    elif isinstance(body, list):
        items = body
    names: set[str] = set()
    for item in items:
        if isinstance(item, Mapping):
            for key in ("name", "canonical_name"):
                value = item.get(key)
                if isinstance(value, str) and value.strip():
                    names.add(value.strip().lower())
    return frozenset(names)


def listed(model: str, names: frozenset[str] | None) -> bool | None:
    """Is the model in the list (None: no list)? An alias counts: `nova-3` is listed as `nova-3-general`."""
    if names is None:
        return None
    wanted = model.strip().lower()
    return wanted in names or f"{wanted}-general" in names


# ---------------------------------------------------------------------------------------- evidence


def _endpoint(combo: Combo) -> str:
    return combo.surface.title or f"{combo.surface.method} {combo.surface.path}"


def observation_evidence(observation: Observation | None, judgement: Judgement) -> list[Evidence]:
    """Deepgram's status, code, words, headers and request id, as a reader would want them."""
    if observation is None:
        return []
    out = [Evidence("status", str(observation.status) if observation.status is not None else "no answer")]
    if judgement.err_code:
        out.append(Evidence("err_code", judgement.err_code))
    if judgement.err_msg:
        out.append(Evidence("err_msg", judgement.err_msg))
    dg_error = observation.headers.get("dg-error") if isinstance(observation.headers, Mapping) else None
    if dg_error:
        out.append(Evidence("dg-error", str(dg_error)))
    rid = _request_id(observation)
    if rid:
        out.append(Evidence("request id", rid))
    if observation.close_code is not None:
        out.append(Evidence("close", f"{observation.close_code} {observation.close_reason or ''}".strip()))
    if observation.error:
        detail = f" ({observation.error_detail})" if observation.error_detail else ""
        out.append(Evidence("network", f"{observation.error}{detail}"))
    if observation.tries > 1:
        out.append(Evidence("tries", str(observation.tries)))
    if judgement.parameter:
        out.append(Evidence("parameter", judgement.parameter))
    if judgement.right_endpoint:
        out.append(Evidence("right endpoint", judgement.right_endpoint))
    return out


def _request_id(observation: Observation) -> str | None:
    try:
        return observation.request_id or deepgram_words(observation).request_id
    except Exception:  # a garbage frame or body must not cost us the diagnosis
        return None


def control_evidence(controls: Iterable[ControlResult]) -> list[Evidence]:
    out = []
    for c in controls:
        rid = f", request id {c.request_id}" if c.request_id else ""
        note = f"; {c.note}" if c.note else ""
        status = c.status if c.status is not None else "no answer"
        value = f"{c.combo_id} -> {status} {c.verdict.value}{rid}{note}"
        out.append(Evidence(f"control: {c.purpose}", value))
    return out


def _control(ctx: DiagnosisContext, purpose: str) -> ControlResult | None:
    return next((c for c in ctx.controls if c.purpose == purpose), None)


def _control_model(control: ControlResult) -> str:
    """The model a control probed, from its id `<surface>::<model>@control:<purpose>`."""
    variant = control.combo_id.split("::", 1)[-1]
    return variant.split("@control:", 1)[0]


# -------------------------------------------------------------------------------------- root causes


def find_malformed(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    j = _j(cell)
    param = j.parameter
    where = _endpoint(combo)
    message = (j.err_msg or "").lower()
    evidence: list[Evidence] = []
    minimal, no_key = _control(ctx, MINIMAL), _control(ctx, NO_KEY)
    if minimal is not None and minimal.verdict is Verdict.ENTITLED:
        evidence.append(Evidence("ruled out", "an entitlement problem: the same request with only the "
                                 "required parameters is accepted"))
    if no_key is not None and no_key.status == (cell.observation.status if cell.observation else None):
        evidence.append(Evidence("ruled out", "the account: the same request with no key gets the same "
                                 "answer"))
    status = cell.observation.status if cell.observation else None
    if status == 101 and cell.observation is not None and cell.observation.close_code in facts.NORMAL_CLOSE_CODES:
        return find_client_asked_close(cell, combo, ctx)  # refused by a normal close: the client asked for it
    suspects = status_suspects(combo, ctx, status) if not param and generic_words(j, status) else []
    if suspects:  # Deepgram's words name nothing ("Bad Request"): the request's own documented defect does
        ranked = tuple(dict.fromkeys([s.cause for s in suspects] + list(facts.candidates_for(status,
                                                                                            combo.surface.family))))
        title = f"Deepgram refused the request on {where} without saying why; the request shows: {suspects[0].why}"
        return suspect_finding(cell, combo, ctx, suspects[0], title, ranked)
    variant = UNKNOWN_VARIANT.search(j.err_msg or "") or UNKNOWN_VARIANT.search(
        (cell.observation.close_reason if cell.observation else None) or "")
    if variant:  # serde's words: the client sent a message type this endpoint does not take
        sent, expected = variant.group(1), ", ".join(f"`{m}`" for m in BACKTICKED_NAME.findall(variant.group(2)))
        return Finding("malformed_request", f"Malformed request, not an entitlement problem: {where} does not take "
                       f"a `{sent}` message", f"Stop sending `{sent}` on this stream: it accepts only {expected} "
                       "as client messages (Deepgram closes or stops the stream on anything else); no plan change "
                       "will help.", False, tuple(evidence))
    if "unknown query parameter" in message and param:
        names = [p.strip() for p in param.split(",") if p.strip()]
        ticked = ", ".join(f"`{n}`" for n in names)
        noun = "parameters" if len(names) > 1 else "parameter"
        title = f"Malformed request, not an entitlement problem: unknown query {noun} {ticked} on {where}"
        pronoun = "them" if len(names) > 1 else "it"
        remedy = f"Remove {ticked} from the request: {combo.surface.path} does not take {pronoun}."
        if combo.surface.family == Family.FLUX:
            remedy = (f"Remove `{param}` from the /v2/listen URL: Flux takes model, encoding, sample_rate, "
                      "eot_threshold, eager_eot_threshold, eot_timeout_ms, keyterm and a few others, not v1 "
                      "options.")
    elif param and param.split(",")[0].strip() in facts.PARAMETER_ADVICE and param != "language":
        name = param.split(",")[0].strip()
        title = f"Malformed request, not an entitlement problem: parameter `{name}` on {where}"
        conflict = dict(facts.parameter_conflicts(combo.model, list(combo.query())))
        remedy = f"{conflict.get(name) or facts.PARAMETER_ADVICE[name]}; no plan change will help."
    elif param == "language":
        title = (f"Malformed request, not an entitlement problem: `language` is not offered for {combo.model} "
                 f"on {where}")
        remedy = (f"Use a language {combo.model or 'this model'} supports (see GET /v1/models) or drop "
                  "`language`.")
    elif param:
        names = [p.strip() for p in param.split(",") if p.strip()]
        ticked = ", ".join(f"`{n}`" for n in names)
        title = (f"Malformed request, not an entitlement problem: parameter{'s' if len(names) > 1 else ''} {ticked} "
                 f"on {where}")
        if j.err_msg:
            remedy = (f"Change {ticked} as Deepgram's message says (\"{_clause(j.err_msg)}\"); no plan change "
                      "will help.")
        else:
            remedy = (f"Fix or remove {ticked} (booleans are lower-case true/false, numbers are plain numbers, "
                      "callbacks are full https:// URLs); no plan change will help.")
    else:
        title = f"Malformed request, not an entitlement problem, on {where}"
        remedy = "Fix the request as Deepgram's message says; no plan change or support ticket will help."
    return Finding("malformed_request", title, remedy, False, tuple(evidence))


# "unknown variant `KeepAlive`, expected one of `CloseStream`, `ForceEndTurn`, `Configure`" (Flux; surtitle tests,
# docs/deepgram-facts.md), "unknown variant `Configure`, expected `CloseStream`" (pipecat #5498, SageMaker Flux).
UNKNOWN_VARIANT = re.compile(r"unknown variant `([^`]+)`,\s*expected (?:one of )?(.+)", re.I)
BACKTICKED_NAME = re.compile(r"`([^`]+)`")


def _clause(text: str, limit: int = 160) -> str:
    """Deepgram's message as one quotable clause: flat, bounded, no trailing full stop."""
    flat = " ".join(text.split()).rstrip(".")
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def generic_words(judgement: Judgement, status: int | None) -> bool:
    """Deepgram's words say no more than the status does ("Bad Request", `dg-error: Bad Request`)."""
    phrase = _status_phrase(status)
    said = {" ".join(str(w).lower().replace(":", " ").split()) for w in (judgement.err_code, judgement.err_msg) if w}
    return bool(phrase) and said <= {phrase, f"{phrase} {phrase}"}


def _status_phrase(status: int | None) -> str:
    try:
        return HTTPStatus(status or 0).phrase.lower()
    except ValueError:
        return ""


def key_in_url_finding(name: str, where: str | None = None) -> Finding:
    """The one wording of a credential in the URL, whether the request's form or Deepgram's words showed it."""
    on = f", on {where}" if where else ""
    return Finding(
        "key_in_url", f"API key passed in the URL (`{name}=`) instead of the Authorization header{on}",
        "Send the key as `Authorization: Token <your key>` (a temporary JWT as `Authorization: Bearer <your JWT>`; "
        f"browsers: `Sec-WebSocket-Protocol: token, <your key>`) and drop `{name}` from the URL; this is not an "
        "entitlement problem.", False, (Evidence("parameter", name),),
    )


def find_key_in_url(cell: Cell, combo: Combo, name: str) -> Finding:
    return key_in_url_finding(name, _endpoint(combo))


def find_wrong_endpoint(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    j = _j(cell)
    right = j.right_endpoint or "the endpoint for its model family"
    model = combo.model or "this model"
    family = "a v1 (Nova/Whisper)"
    if is_flux(combo.model) or is_aura(combo.model):
        family = "a Flux" if is_flux(combo.model) else "an Aura"
    if right.startswith("POST"):
        return Finding("wrong_endpoint", f"Wrong endpoint, not an entitlement problem: {model} is served pre-recorded "
                       "only, not on a stream", f"Send {model} audio to {right}, or stream with a streaming model "
                       "(e.g. nova-3).", False)
    how = f" (WebSocket only: wss://{facts.MANAGE_HOST}{facts.LISTEN_V2})" if right == facts.LISTEN_V2 else ""
    return Finding(
        "wrong_endpoint",
        f"Wrong endpoint, not an entitlement problem: {model} is {family} model; use {right}",
        f"Send {model} to {right}{how} instead of {combo.surface.path}.",
        False,
    )


def find_model_refusal(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """Not entitled vs no such model, decided from the lists and controls, or honestly left open."""
    model = combo.model or "the requested model"
    where = _endpoint(combo)
    flux = is_flux(combo.model) and combo.surface.family == Family.FLUX
    published = bool(combo.model) and is_published_model(model, combo.surface.family)
    in_public = None if flux else listed(model, ctx.public_models)
    in_project = None if flux else listed(model, ctx.project_models)
    good, bogus = _control(ctx, KNOWN_GOOD), _control(ctx, BOGUS)
    evidence: list[Evidence] = []
    if flux:
        evidence.append(Evidence("model lists", "Flux models are absent from /v1/models and project model "
                                 "lists, so the control probes carry the weight"))
    if in_public is not None:
        verb = "is" if in_public else "is not"
        evidence.append(Evidence("public model list", f"{model} {verb} in GET /v1/models"))
    if in_project is not None:
        evidence.append(Evidence("project model list", f"{model} {'is' if in_project else 'is not'} in "
                                 "GET /v1/projects/{id}/models"))
    evidence.append(Evidence("published name", f"{model} {'is' if published else 'is not'} a model name "
                             "Deepgram's spec publishes"))
    good_ok = good is not None and good.verdict is Verdict.ENTITLED
    good_refused = good is not None and good.verdict is Verdict.NOT_ENTITLED
    bogus_differs = (bogus is not None and not bogus.verdict.is_inconclusive
                     and bogus.verdict not in (Verdict.NOT_ENTITLED, Verdict.ENTITLED))
    if bogus is not None and bogus.verdict is Verdict.NOT_ENTITLED:
        evidence.append(Evidence("ruled in", "a made-up model gets the very same refusal, so the answer "
                                 "alone cannot tell not-entitled from no-such-model"))

    def not_entitled(title: str) -> Finding:
        remedy = (f"Ask Deepgram (or your account owner) to enable {model} for project "
                  f"{ctx.account.project_id or '(your project)'}; the ticket text has the evidence.")
        return Finding("not_entitled", title, remedy, True, tuple(evidence))

    def no_such(title: str) -> Finding:
        names = FLUX_MODELS_TEXT if flux else "GET /v1/models"
        remedy = (f"Check the spelling of {model} against {names}: Deepgram answers a name that does not "
                  "exist with the same 403 as a missing entitlement.")
        return Finding("no_such_model", title, remedy, False, tuple(evidence))

    if bogus_differs:
        return not_entitled(f"Not entitled: {model} on {where} is refused, and a made-up model gets a "
                            "different answer, so the model exists")
    if in_project:
        return not_entitled(f"Not entitled: {model} is refused on {where} although the project's model list "
                            "includes it")
    if in_public:
        return not_entitled(f"Not entitled: the project may not use {model} on {where} (a public model)")
    if flux:
        if published and good_ok:
            other = _control_model(good) if good else "another Flux model"
            return not_entitled(f"Not entitled: this project may use Flux ({other}) but not {model}")
        if published and good_refused:
            other = _control_model(good) if good else "another Flux model"
            return not_entitled(f"Not entitled: Flux is not enabled for this project ({other} is refused too)")
        if published:
            return not_entitled(f"Not entitled: the project may not use {model} on {where} (a published Flux "
                                "model)")
        if good_ok:
            other = _control_model(good) if good else "another Flux model"
            return no_such(f"No such model: {model} is not a Flux model, and Flux works for this project "
                           f"({other} is accepted)")
    else:
        if in_public is False and in_project is False:
            return no_such(f"No such model: {model} is in neither the public nor the project's model list")
        if in_public is False and not published and good_ok:
            return no_such(f"No such model: {model} is not in the public model list, and {where} works for "
                           "this project with another model")
        if in_public is None and in_project is None and published:
            return not_entitled(f"Not entitled: the project may not use {model} on {where} (a name Deepgram "
                                "publishes)")
    hint = "a name Deepgram publishes" if published else "not a name Deepgram publishes: check the spelling"
    return Finding(
        "not_entitled_or_no_such_model",
        f"Not entitled, or no such model: {model} was refused on {where} and the evidence cannot tell which "
        f"({hint})",
        f"Check the spelling of {model}; if it is right, ask Deepgram to check project "
        f"{ctx.account.project_id or '(your project)'} with the ticket text.",
        True, tuple(evidence),
    )


def find_unknown_model(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    model = combo.model or "the requested model"
    catalogue = "GET /v2/models (Flux voices)" if is_flux(combo.model) else "GET /v1/models (tts)"
    return Finding("no_such_model", f"No such model: {_endpoint(combo)} has no voice or model named {model}",
                   f"Pick a voice listed by {catalogue}; this is not an entitlement problem.", False)


def find_invalid_auth(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    observation = cell.observation
    scheme = observation.request.auth_scheme if observation and observation.request else "unknown"
    text = " ".join(p for p in (_j(cell).err_code, _j(cell).err_msg) if p).lower()
    evidence = []
    if combo.surface.path.rstrip("/") in facts.VALIDATES_BEFORE_AUTH:
        evidence.append(Evidence("ruled out", f"a malformed request: {combo.surface.path} checks parameters "
                                 "before the key, and they passed"))
    unknown = ctx.auth is not None and ctx.auth.where == "unknown"  # offline, no request headers given
    if scheme is None and combo.surface.auth and not unknown:
        return Finding("missing_key", f"No key was sent to {_endpoint(combo)}",
                       "Set the account's key (DEEPGRAM_API_KEY, key_env or key_file) so it is sent as "
                       "`Authorization: Token <key>`.", False, tuple(evidence))
    if (scheme or "").lower() == "bearer" or "expired" in text or "jwt" in text:
        return Finding("expired_token", "The temporary token (Bearer) was refused: expired, invalid, or an API "
                       "key sent as Bearer", "Mint a fresh token with POST /v1/auth/grant just before connecting "
                       "(default TTL 30 s), and send API keys as `Token <key>`, never `Bearer`.", False,
                       tuple(evidence))
    return Finding("invalid_key", f"Invalid key: Deepgram refused the credentials on {_endpoint(combo)}",
                   "Check the key is current (not revoked or expired), complete, for this region's project, "
                   "and sent as `Authorization: Token <key>`.", False, tuple(evidence))


def find_missing_scope(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    observation = cell.observation
    scheme = observation.request.auth_scheme if observation and observation.request else None
    where = _endpoint(combo)
    if (scheme or "").lower() == "bearer" and combo.surface.family == Family.MANAGE:
        return Finding("missing_scope", f"Temporary tokens cannot use the Manage APIs ({where})",
                       "Call management endpoints with an API key (`Token <key>`), not a token from "
                       "/v1/auth/grant.",
                       False)
    if combo.surface.path.rstrip("/") == facts.AUTH_GRANT:
        return Finding("missing_scope", "The key may not mint temporary tokens (needs Member role or higher)",
                       "Use a key created by a Member, Admin or Owner of the project.", False)
    return Finding("missing_scope", f"The key lacks the permission (scope or role) for {where}",
                   "Use a key with the needed scope (e.g. keys:read for /keys) or ask the project owner to "
                   "grant it; the project's entitlements are not in question.", False)


def find_feature(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    named = [f.strip() for f in (_j(cell).parameter or "").split(",") if f.strip()]
    features = ", ".join(f"`{f}`" for f in named) or "the requested feature"
    evidence = []
    minimal = _control(ctx, MINIMAL)
    if minimal is not None and minimal.verdict is Verdict.ENTITLED:
        evidence.append(Evidence("ruled out", f"a model entitlement: the same request without {features} is "
                                 "accepted"))
    advice = facts.PARAMETER_ADVICE.get(named[0]) if named else None
    remedy = (f"Drop {features} from this request, or use it where Deepgram offers it (pre-recorded "
              "POST /v1/listen or POST /v1/read).")
    return Finding("feature_not_allowed",
                   f"Feature not allowed on {_endpoint(combo)}: {features} (not a model entitlement)",
                   f"{remedy} {advice[0].upper() + advice[1:]}." if advice else remedy, False, tuple(evidence))


def find_payment(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    return Finding("no_credits", f"No credits: the project cannot pay for requests on {_endpoint(combo)}",
                   "Add credits or an overage agreement in the Deepgram console; paid requests fail until "
                   "then.",
                   False)


def find_not_found(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    path = combo.surface.path.rstrip("/")
    base = ctx.account.base_url or ""
    if path == facts.LISTEN_V2 and combo.surface.transport == "http":
        return Finding("not_found", "/v2/listen is WebSocket only",
                       "Open wss://…/v2/listen instead of POSTing.", False)
    host = urlsplit(base).hostname or ""
    if path.startswith(facts.PROJECTS_PREFIX) and host != facts.MANAGE_HOST:
        regional = any(f".{r}." in base for r in ("eu", "au", "in", "us"))
        title = ("The management API is not served on regional hosts" if regional else
                 f"This host does not serve {combo.surface.method} {combo.surface.path} "
                 "(regional hosts answer 404 on /v1/projects/*)")
        return Finding("not_found", title, "Call /v1/projects/* on https://api.deepgram.com; keep the regional "
                       "host for listen/speak.", False)
    return Finding("not_found", f"This host does not serve {combo.surface.method} {combo.surface.path}",
                   "Check the base URL and path (the voice agent lives on agent.deepgram.com; /v1/read "
                   "refuses GET and WebSocket).", False)


def find_transient(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """Rate limits, server errors, timeouts, network failures and unreadable answers: inconclusive."""
    verdict = _j(cell).verdict
    observation = cell.observation
    error = (observation.error or "") if observation else ""
    where = _endpoint(combo)
    if verdict is Verdict.RATE_LIMITED:
        return Finding("rate_limited", f"Rate limited on {where} (inconclusive)",
                       "Limits are per project concurrency: lower --dg-concurrency or retry later; this says "
                       "nothing about entitlements.", False)
    if verdict is Verdict.SERVER_ERROR:
        return Finding("server_error", f"Deepgram server error on {where} (inconclusive)",
                       "Retry later and check status.deepgram.com; this says nothing about entitlements.",
                       False)
    if verdict is Verdict.TIMEOUT and combo.surface.transport == "http" and combo.surface.body != "none":
        # A body Deepgram must process before it answers (audio, text): large ones outlast clients' default
        # timeouts. Deepgram's advice: "setting the timeout value to 300 seconds" (deepgram-python-sdk #151).
        return Finding("timeout", f"Timed out on {where} ({error or 'no answer in time'}; inconclusive)",
                       "Deepgram answers only once the whole body is processed: for long audio raise your client's "
                       "timeout (Deepgram suggests 300 s for large files) or send a `callback` URL so the result "
                       "is posted to you later; this is not a denial.", False)
    if verdict is Verdict.TIMEOUT:
        return Finding("timeout", f"Timed out on {where} ({error or 'no answer in time'}; inconclusive)",
                       "Retry, or raise the timeouts if the network is slow; this is not a denial.", False)
    if verdict is Verdict.NETWORK_ERROR:
        fixes = {"dns": "check the host name and DNS", "tls": "check TLS interception (proxy, antivirus) and "
                 "certificates", "refused": "check the base URL and port, and any firewall",
                 "reset": "check proxies and firewalls between you and Deepgram"}
        fix = fixes.get(error, "check connectivity to the base URL")
        kind = error or "network"
        return Finding("network_error", f"Network failure reaching {where} ({kind}; inconclusive)",
                       f"Fix the network path ({fix}) and run again; this is not a denial.", False)
    return Finding("unrecognised", f"Unrecognised answer on {where} (inconclusive)",
                   "Read Deepgram's words in the evidence; if this repeats, record a cassette and teach the "
                   "verdict code about it.", False)


def find_unexpected_allow(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    wanted = cell.expectation.verdict
    return Finding(
        "unexpected_allow",
        f"Unexpectedly allowed: {combo.model or combo.variant} on {_endpoint(combo)} was accepted, "
        f"expected {wanted.value}",
        "If the account gained this, update the expectation; if the refusal was Deepgram's own behaviour, "
        "Deepgram changed and the catalogue should be updated.",
        wanted in (Verdict.NOT_ENTITLED, Verdict.UNKNOWN_MODEL),
    )


# ------------------------------------------------------------------------------ evidence-decided causes


def _explain_command(cell: Cell, combo: Combo) -> str:
    """The exact command that shows Deepgram's own words for this request (the key never appears)."""
    request = cell.observation.request if cell.observation else None
    url = request.url if request is not None else f"https://api.deepgram.com{combo.surface.path}"
    return (f"run `dg-entitlements explain '{url}'`, or `curl -i -H 'Authorization: Token <your key>' '{url}'` "
            "and read the status line, the dg-error header and the body")


def find_not_deepgram(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    observation = cell.observation
    parts = urlsplit(observation.request.url) if observation and observation.request else None
    host = parts.hostname if parts else None
    signs = _j(cell).reason
    if parts and host and not facts.is_deepgram_host(host) and not facts.is_deepgram_path(parts.path):
        return Finding(
            "not_deepgram", f"Not Deepgram: the request went to {host}, another service, and that service answered",
            f"{host}{parts.path} is neither a Deepgram host nor a Deepgram API path: its refusal is its own (its key, "
            "plan, quota or limits), even if it uses Deepgram behind the scenes. Check that service's credentials and "
            "limits (its dashboard or support); to test Deepgram itself, call https://api.deepgram.com with a Deepgram "
            "key. No ticket to Deepgram will help.", False, (Evidence("who answered", signs),))
    return Finding(
        "not_deepgram", "Something between you and Deepgram answered (a proxy, WAF or portal)",
        f"Check HTTPS_PROXY/HTTP_PROXY/NO_PROXY and any corporate proxy or VPN, that the host is "
        f"{host or 'api.deepgram.com'} and resolves to Deepgram (not a captive portal or a WAF in front of your "
        "own gateway), then retry from a network with direct access; Deepgram never saw the request, so no "
        "ticket to Deepgram will help.", False, (Evidence("who answered", signs),))


def find_handshake_hidden(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    candidates = _hidden_candidates(cell, combo, ctx)
    return Finding(
        "handshake_hidden",
        f"The WebSocket upgrade to {_endpoint(combo)} was refused and the client hid why (close 1006 before 101)",
        "A browser never shows the status of a refused upgrade: "
        f"{_explain_command(cell, combo)}; or open the devtools Network tab (WS filter) and read the handshake's "
        "status and dg-error header.", False, candidates=candidates)


@dataclass(frozen=True)
class Suspect:
    """A defect the request alone shows: the cause it leads to, what is wrong, and the statuses Deepgram refuses
    it with (empty: any). Decided from the request, never from a report's text; every fact is in facts.py."""

    cause: str
    why: str
    statuses: frozenset[int] = frozenset()
    parameter: str | None = None


def request_suspects(combo: Combo, auth: AuthForm | None) -> tuple[Suspect, ...]:
    """What the request alone shows is wrong, most certain first: the credential's form, the endpoint for the
    model, features a stream does not take, parameters this model refuses, the language, the voice name."""
    out: list[Suspect] = []
    mistake = auth_mistake(auth)
    if mistake is not None:
        out.append(Suspect(mistake.cause, mistake.title, frozenset({401})))
    elif auth is not None and auth.where == "none" and combo.surface.auth:
        out.append(Suspect("missing_key", "the request carried no credential at all", frozenset({401})))
    right = endpoint_for_wrong_family(combo)
    if right:
        out.append(Suspect("wrong_endpoint", f"{combo.model} belongs on {right}", frozenset({400, 404, 405}), "model"))
    elif combo.surface.transport == "ws" and is_batch_only(combo.model):
        out.append(Suspect("wrong_endpoint", f"{combo.model} is served pre-recorded only (POST {facts.LISTEN_V1}), "
                           "never on a stream", frozenset({400, 405}), "model"))
    pairs = [(n, v) for n, v in combo.query() if n.lower() not in facts.URL_KEY_PARAMETERS]
    if combo.surface.transport == "ws" and combo.surface.family == Family.STT:
        for name in facts.prerecorded_only_features(pairs):
            out.append(Suspect("feature_not_allowed", f"`{name}` is a pre-recorded-only feature; a stream refuses it",
                               frozenset({facts.PRERECORDED_ONLY_FEATURES[name]}), name))
    if combo.surface.family == Family.FLUX:
        for name in dict.fromkeys(n for n, _ in pairs if n in facts.FLUX_REFUSED_V1_PARAMETERS):
            out.append(Suspect("malformed_request", f"`{name}` is a /v1/listen parameter that Flux refuses",
                               frozenset({400}), name))
    for name, why in facts.parameter_conflicts(combo.model, pairs):
        out.append(Suspect("malformed_request", why, frozenset({400}), name))
    language = facts.language_problem(combo.model, pairs)
    if language is not None:
        out.append(Suspect(language[0], language[1], frozenset({400}), "language"))
    odd = suspicious_parameter(pairs)
    if odd:
        out.append(Suspect("malformed_request", f"`{odd}` has a value of the wrong type", frozenset({400}), odd))
    if combo.surface.family == Family.TTS and combo.model and not is_published_model(combo.model, Family.TTS):
        out.append(Suspect("no_such_model", f"{combo.model} is not a voice Deepgram publishes (check the spelling "
                           "against GET /v1/models)", frozenset({400}), "model"))
    seen: set[tuple[str, str | None]] = set()
    unique = []
    for suspect in out:
        if (suspect.cause, suspect.parameter) not in seen:
            seen.add((suspect.cause, suspect.parameter))
            unique.append(suspect)
    return tuple(unique)


def request_leads(combo: Combo) -> tuple[str, ...]:
    """Causes the request makes likely without proving them, ranked after its defects when Deepgram's words are
    missing. A speech-to-text request that names a language other than English (or `multi`): which languages a
    model offers differs by model and changes over time (docs/deepgram-facts.md), and "this model does not offer
    that language" is the refusal such requests most often get in the real-world corpus (livekit/agents #618,
    drachtio-freeswitch-modules #112, deepgram-rust-sdk #109, deepgram-python-sdk #86)."""
    if combo.surface.family not in (Family.STT, Family.FLUX):
        return ()
    languages = [v.strip().lower() for n, v in combo.query() if n == "language"]
    foreign = [v for v in languages if v and v != "multi" and not v.startswith("en")]
    return ("unsupported_language",) if foreign else ()


def _hidden_candidates(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> tuple[str, ...]:
    ranked: list[str] = [s.cause for s in request_suspects(combo, ctx.auth)] + list(request_leads(combo))
    ranked += ["invalid_key", "malformed_request", "not_entitled_or_no_such_model", "expired_token", "no_credits",
               "not_deepgram"]
    observation = cell.observation
    if observation is not None and not observation.error_detail and observation.close_code == facts.ABNORMAL_CLOSE:
        # A bare 1006 with no "connection failed" from the client: the stream may have opened and then been
        # dropped without a close frame (an idle stream closed behind a proxy looks exactly like this).
        ranked.insert(1, "idle_timeout")
    return tuple(dict.fromkeys(ranked))


def find_status_only(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    status = cell.observation.status if cell.observation else None
    if status is None:
        return find_nothing_seen(cell, combo, ctx)  # not even a status: the request is the only evidence
    if status == 101:
        return find_silent_stream(cell, combo, ctx)  # accepted, and nothing else came back
    if _j(cell).verdict is Verdict.NOT_FOUND:
        specific = find_not_found(cell, combo, ctx)
        if "WebSocket only" in specific.title or "regional" in specific.title or "management" in specific.title:
            return specific
    suspects = status_suspects(combo, ctx, status)
    leads = request_leads(combo) if status == 400 else ()
    ranked = [s.cause for s in suspects] + list(leads) + list(facts.candidates_for(status, combo.surface.family))
    allows = {400: "the request was refused as malformed, or on the wrong endpoint",
              401: "the credentials were refused", 403: "something refused the request",
              404: "nothing is served there", 405: "this method or endpoint is not served for this request",
              411: "a length was missing: the media URL's host gave Deepgram none, or the upload had none",
              413: "the body is larger than Deepgram takes on this endpoint (audio files, TTS or /v1/read text)"}
    what = allows.get(status or 0, "the request failed")
    hint = f" (likely: {suspects[0].why})" if suspects else ""
    return Finding(
        "status_only", f"Only a status ({status}) and no words on {_endpoint(combo)}: {what}{hint}",
        f"The status alone cannot tell the cause; get Deepgram's words: {_explain_command(cell, combo)}.",
        False, candidates=tuple(dict.fromkeys(ranked)))


def _right_endpoint(combo: Combo) -> str | None:
    """Where the request's model belongs, decided from the request alone."""
    if is_batch_only(combo.model) and combo.surface.transport == "ws":
        return f"POST {facts.LISTEN_V1} (pre-recorded)"
    return endpoint_for_wrong_family(combo)


def find_missing_key(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    return Finding("missing_key", f"No key was sent to {_endpoint(combo)}: the request carried no credential",
                   "Load the key before building the request (check DEEPGRAM_API_KEY, or how your SDK takes the key: "
                   "some only read it from the constructor) and send it as `Authorization: Token <your key>`; "
                   "Deepgram refuses every request without one (401). This is not an entitlement problem.", False)


def find_nothing_seen(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """No status, no words, no close: the request itself is the only evidence. A defect Deepgram always refuses
    decides the cause; otherwise say how to get Deepgram's answer and rank what the request allows."""
    suspects = request_suspects(combo, ctx.auth)
    generic = ["malformed_request", "invalid_key", "not_entitled_or_no_such_model", "network_error"]
    ranked = tuple(dict.fromkeys([s.cause for s in suspects] + list(request_leads(combo)) + generic))
    if suspects:  # every suspect is a defect Deepgram documents refusing (facts.py): it explains the failure
        first = suspects[0]
        title = f"Nothing was seen from Deepgram, but the request itself is refused there: {first.why}"
        return suspect_finding(cell, combo, ctx, first, title, ranked)
    crashed = cell.observation is not None and facts.CLIENT_CRASH.search(cell.observation.error_detail or "")
    seen = ("The client's own error hides what Deepgram answered" if crashed and cell.observation
            and not cell.observation.error else "No answer was seen")
    return Finding("status_only", f"{seen} from {_endpoint(combo)}, and the request shows no defect",
                   f"Get Deepgram's own answer: {_explain_command(cell, combo)}.", False, candidates=ranked)


def suspect_finding(cell: Cell, combo: Combo, ctx: DiagnosisContext, suspect: Suspect, title: str,
                    ranked: tuple[str, ...]) -> Finding:
    """A defect the request shows, as the cause: the same remedy as when Deepgram's words name it."""
    finder = HINTLESS_FINDERS.get(suspect.cause)
    if finder is not None:
        return replace(finder(cell, combo, ctx), title=title, candidates=ranked)
    return Finding(suspect.cause, title, f"Fix the request ({suspect.why}); then {_explain_command(cell, combo)}.",
                   False, candidates=ranked)


def status_suspects(combo: Combo, ctx: DiagnosisContext, status: int | None) -> list[Suspect]:
    """The request's own defects that Deepgram refuses with this status (a suspect with no status: any)."""
    return [s for s in request_suspects(combo, ctx.auth) if not s.statuses or status in s.statuses]


def find_silent_stream(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """Accepted (101) and nothing came back: Deepgram produced nothing from what it received."""
    pairs = list(combo.query())
    names = {n for n, _ in pairs}
    speech_to_text = combo.surface.family in (Family.STT, Family.FLUX)
    languages = [v.strip().lower() for n, v in pairs if n == "language"]
    foreign = any(v != "multi" and not v.startswith("en") for v in languages)
    ranked = ["undecodable_audio"] if speech_to_text else ["malformed_request"]
    if foreign or facts.language_problem(combo.model, pairs) is not None:
        ranked.append("unsupported_language")
    ranked += ["idle_timeout", "network_error"]
    if speech_to_text and "encoding" not in names:
        return Finding("undecodable_audio", f"Deepgram accepted the stream to {_endpoint(combo)} but sent nothing "
                       "back, and the request declares no `encoding`: raw audio it cannot read yields nothing",
                       "For raw audio (PCM, mulaw, opus packets) set `encoding` and `sample_rate` to match the bytes "
                       f"({facts.RAW_AUDIO_DOCS}); for a container (wav, webm, ogg) send its header first (the first "
                       "chunk of a MediaRecorder stream); this is not an entitlement problem.", False,
                       candidates=tuple(dict.fromkeys(ranked)))
    lang = " or a language the model does not transcribe" if "unsupported_language" in ranked else ""
    return Finding("status_only", f"Deepgram accepted the stream to {_endpoint(combo)} (101) but nothing came back",
                   "Nothing came back although the stream was open: check the bytes match the declared `encoding` and "
                   f"`sample_rate`{lang}, and that audio really flows after the open; the account is not in question.",
                   False, candidates=tuple(dict.fromkeys(ranked)))


def find_idle_timeout(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    reason = (cell.observation.close_reason if cell.observation else "") or ""
    lowered = reason.lower()
    keepalive = facts.family_facts(combo.surface.family).keepalive
    if any(w in lowered for w in facts.IDLE_NOTHING_SENT):
        return Finding(
            "idle_timeout", f"NET-0000 on {_endpoint(combo)}: Deepgram got nothing it could transcribe in the window",
            "NET-0000 is not NET-0001: bytes arrived but produced no result; check the audio is decodable as "
            "declared (encoding/sample_rate for raw audio, a complete container header for webm/ogg) and keeps "
            "flowing; this is not an entitlement problem.", False)
    code = _j(cell).err_code or ""
    label = code if code and not code.isdigit() else "NET-0001"  # an Error frame's code, or the close's
    window = "for about 10 s" if label == "NET-0001" else "within its timeout window"
    if keepalive:
        remedy = (f"{label}: Deepgram received nothing {window}. While no audio flows, {keepalive}; send "
                  "CloseStream when you are done; this is not an entitlement problem.")
    else:
        remedy = (f"{label}: Deepgram received nothing {window}. This endpoint has no KeepAlive message: "
                  "keep streaming audio (send silence while the user is quiet) and close the stream when done; "
                  "this is not an entitlement problem.")
    return Finding("idle_timeout", f"Idle stream closed by Deepgram on {_endpoint(combo)} ({label}: no audio or "
                   "message within the timeout window)", remedy, False)


def find_client_asked_close(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """A normal close the user did not expect: Deepgram read something the client sent as "close"."""
    code = cell.observation.close_code if cell.observation else None
    return Finding("malformed_request", f"Deepgram closed the stream on {_endpoint(combo)} normally ({code}): the "
                   "client sent what Deepgram reads as a close", f"Deepgram closes a stream normally only after "
                   f"{facts.CLIENT_ASKED_CLOSE}. Never send an empty chunk (check the size before sending, e.g. "
                   "`if (blob.size > 0)`), and send CloseStream only when you are done; this is not an entitlement "
                   "problem.", False, candidates=("malformed_request", "idle_timeout", "network_error"))


def find_tts_rate_limit(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    return Finding("tts_rate_limit", f"TTS character-rate limit on {_endpoint(combo)} (1008 DATA-0001: too many "
                   "characters in the window)", "Send text more slowly (pace Speak messages, flush less often), or "
                   "split it over connections; inconclusive about entitlements.", False)


def find_undecodable_audio(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    if combo.surface.transport == "http":
        return Finding("undecodable_audio", f"Deepgram could not decode the body sent to {_endpoint(combo)} as audio",
                       "Send the audio bytes with their Content-Type (audio/wav, audio/mpeg, ...), or a JSON "
                       "{\"url\": ...} body with `Content-Type: application/json` (a URL body sent as anything else "
                       "is read as corrupt audio); this is not an entitlement problem.", False)
    return Finding("undecodable_audio", f"Deepgram could not decode the audio sent to {_endpoint(combo)}",
                   "Send audio Deepgram can decode: for raw PCM/mulaw/opus set `encoding` and `sample_rate` to match "
                   "the bytes; for a container (wav, webm, ogg) send the header first (the first chunk of a "
                   "MediaRecorder stream) and do not set a wrong encoding; this is not an entitlement problem.",
                   False)


def find_remote_media(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    return Finding("remote_media_error", "Deepgram could not fetch the media at the URL you gave (the media host's "
                   "problem, not the request's)", "Point the URL at the media file itself (not a web page or a player "
                   "such as a YouTube link), publicly reachable over http(s) (not a local path, not behind auth or an "
                   "expiring link), on a host that answers quickly with the file and its Content-Length; or upload "
                   "the bytes instead; this is not an entitlement problem.", False)


def find_unsupported_language(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    language = next((v for k, v in combo.query() if k == "language"), None)
    asked = f" `{language}`" if language else ""
    feature = _j(cell).parameter
    if feature and feature != "language":  # a feature that is offered in fewer languages than the model
        message = _j(cell).err_msg
        said = f'Deepgram said: "{_clause(message)}". ' if message else ""
        ticked = ", ".join(f"`{f.strip()}`" for f in feature.split(","))
        return Finding("unsupported_language", f"{ticked} is not offered for the language{asked or ' asked for'} on "
                       f"{_endpoint(combo)}", f"{said}Drop {ticked} for this language, or use it only on audio in a "
                       "language it offers "
                       "(the feature's docs list them); this is not an entitlement problem.", False)
    if not combo.model and language:
        return Finding("unsupported_language", f"No model named, and Deepgram's default ({facts.LISTEN_DEFAULT_MODEL})"
                       f" does not offer the language{asked} on {_endpoint(combo)}",
                       f"Name a model that offers `{language}` (`model=nova-3` or `model=nova-2`; GET /v1/models lists "
                       "each model's languages); this is not an entitlement problem.", False)
    return Finding("unsupported_language", f"{combo.model or 'This model'} does not offer the language{asked} on "
                   f"{_endpoint(combo)}", f"Use a language {combo.model or 'the model'} offers (GET /v1/models "
                   "lists them per model), or a model that offers it; this is not an entitlement problem.", False)


Finder = Callable[[Cell, Combo, DiagnosisContext], Finding]
# One rule per verdict: every Verdict has an entry (tests/unit/test_facts.py checks it), no silent default.
FINDERS: Mapping[Verdict, Finder] = {
    Verdict.MALFORMED_REQUEST: find_malformed,
    Verdict.WRONG_ENDPOINT: find_wrong_endpoint,
    Verdict.NOT_ENTITLED: find_model_refusal,
    Verdict.UNKNOWN_MODEL: find_unknown_model,
    Verdict.INVALID_AUTH: find_invalid_auth,
    Verdict.INSUFFICIENT_PERMISSIONS: find_missing_scope,
    Verdict.FEATURE_NOT_ALLOWED: find_feature,
    Verdict.PAYMENT_REQUIRED: find_payment,
    Verdict.NOT_FOUND: find_not_found,
    Verdict.ENTITLED: find_unexpected_allow,
    Verdict.RATE_LIMITED: find_transient,
    Verdict.SERVER_ERROR: find_transient,
    Verdict.NETWORK_ERROR: find_transient,
    Verdict.TIMEOUT: find_transient,
    Verdict.UNRECOGNISED: find_transient,
}
# Causes the verdict code already decided from evidence (Judgement.cause_hint): one rule per cause,
# consulted before the verdict's own rule. Adding a cause = one entry here + one `cause_hint` in verdicts.
HINT_FINDERS: MutableMapping[str, Finder] = {
    "not_deepgram": find_not_deepgram,
    "handshake_hidden": find_handshake_hidden,
    "status_only": find_status_only,
    "idle_timeout": find_idle_timeout,
    "tts_rate_limit": find_tts_rate_limit,
    "undecodable_audio": find_undecodable_audio,
    "remote_media_error": find_remote_media,
    "unsupported_language": find_unsupported_language,
}


def find_endpoint_from_request(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """The wrong-endpoint remedy when the request alone shows where the model belongs."""
    judged = replace(_j(cell), right_endpoint=_right_endpoint(combo))
    return find_wrong_endpoint(replace(cell, judgement=judged), combo, ctx)


def find_auth_form(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    """The credential-form remedy when the request alone shows the mistake."""
    return auth_mistake(ctx.auth) or find_missing_key(cell, combo, ctx)


# The finder for a cause decided from the request alone (no answer to read): the same remedies as when
# Deepgram's words decide it.
HINTLESS_FINDERS: Mapping[str, Finder] = {
    "missing_key": find_missing_key,
    "wrong_auth_scheme": find_auth_form,
    "key_in_url": find_auth_form,
    "wrong_endpoint": find_endpoint_from_request,
    "unsupported_language": find_unsupported_language,
}


# ------------------------------------------------------------------------------------ credential form


def auth_mistake(auth: AuthForm | None) -> Finding | None:
    """A credential sent in a form Deepgram refuses, decided from its shape and scheme alone."""
    if auth is None:
        return None
    token = "Authorization: Token <your key>"
    bearer = "Authorization: Bearer <your JWT>"
    if auth.where == "url":
        return key_in_url_finding(auth.url_param or "")
    scheme = (auth.scheme or "").lower()
    if auth.where in ("header", "subprotocol") and auth.shape == "empty":
        return Finding("missing_key", "The credential sent is empty (an unset variable: `undefined`, `null`, `None` "
                       "or nothing)", f"Load the key before building the request (check DEEPGRAM_API_KEY is set in "
                       f"this process) and send `{token}`.", False)
    if auth.where in ("header", "subprotocol") and auth.shape == "quoted":
        return Finding("invalid_key", "The credential was sent with quotes around it (a .env value copied with its "
                       "quotes)", f"Strip the quotes (and any spaces or newline) from the key before sending `{token}`;"
                       " Deepgram compares the key exactly.", False)
    if auth.where in ("header", "subprotocol", "url") and auth.shape == "uuid":
        return Finding("invalid_key", "The credential is a UUID: a key's id or a project id, not the key itself",
                       "Send the key's secret (the `key` shown once when the key was created, 40 hex characters), not "
                       f"its `api_key_id` or the project id: `{token}`; create a new key if the secret is lost.",
                       False)
    if auth.where == "header" and auth.shape == "doubled":
        return Finding("wrong_auth_scheme", "The scheme word is sent twice (`Token Token <key>`): the client was "
                       "given \"Token <key>\" where it wanted the key alone", "Give your SDK or HTTP client the key "
                       f"alone (it adds the scheme itself), so the header reads `{token}`.", False)
    if auth.where == "header":
        if scheme == "token" and auth.shape == "jwt":
            return Finding("wrong_auth_scheme", "A temporary JWT was sent as `Token` (JWTs need `Bearer`)",
                           f"Send the JWT as `{bearer}`; keep `Token` for API keys.", False)
        if scheme == "bearer" and auth.shape == "key":
            return Finding("wrong_auth_scheme", "An API key was sent as `Bearer` (API keys need `Token`)",
                           f"Send the key as `{token}`; `Bearer` is for temporary JWTs from /v1/auth/grant.", False)
        if scheme not in ("token", "bearer") and auth.shape != "empty":
            word = f"`{auth.scheme}`" if auth.scheme else "no scheme word"
            return Finding("wrong_auth_scheme", f"The Authorization header has {word} before the credential",
                           f"Send `{token}` (or `{bearer}` for a temporary JWT).", False)
    if auth.where == "subprotocol":
        sub_token = "Sec-WebSocket-Protocol: token, <your key>"
        sub_bearer = "Sec-WebSocket-Protocol: bearer, <your JWT>"
        if not auth.order_ok:
            return Finding("wrong_auth_scheme", "The WebSocket subprotocols carry the credential without the scheme "
                           "word first (alone, or in the wrong order)",
                           f"Pass the protocols as [\"token\", key] (`{sub_token}`) or [\"bearer\", jwt] "
                           f"(`{sub_bearer}`), scheme word first.", False)
        if scheme == "token" and auth.shape == "jwt":
            return Finding("wrong_auth_scheme", "A temporary JWT was sent with the `token` subprotocol",
                           f"Use `{sub_bearer}` for JWTs and `{sub_token}` for API keys.", False)
        if scheme == "bearer" and auth.shape == "key":
            return Finding("wrong_auth_scheme", "An API key was sent with the `bearer` subprotocol",
                           f"Use `{sub_token}` for API keys; `bearer` is for temporary JWTs.", False)
    return None


AUTH_VERDICTS = frozenset({Verdict.INVALID_AUTH, Verdict.MALFORMED_REQUEST, Verdict.UNRECOGNISED,
                           Verdict.INSUFFICIENT_PERMISSIONS, Verdict.NOT_FOUND})


def _j(cell: Cell) -> Judgement:
    assert cell.judgement is not None  # callers check
    return cell.judgement


# ------------------------------------------------------------------------------------------ diagnose


def diagnose(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Diagnosis | None:
    """The root cause of a cell, or None for a clean allow (or a cell that was never sent). Never raises."""
    if cell.judgement is None or cell.observation is None:
        return None
    if cell.judgement.verdict is Verdict.ENTITLED and cell.outcome is not Outcome.UNEXPECTED_ALLOW:
        return None
    try:
        finding = _find(cell, combo, ctx)
    except Exception as exc:  # the report must still render: say so instead of crashing the run
        finding = Finding("unrecognised", f"Could not diagnose this answer ({type(exc).__name__})",
                          "Read Deepgram's words in the evidence.", False)
    severity = SEVERITY.get(finding.cause, 30)
    if cell.outcome is Outcome.AS_EXPECTED:
        severity = EXPECTED_SEVERITY
    evidence = tuple(observation_evidence(cell.observation, cell.judgement)) + finding.evidence
    evidence += tuple(control_evidence(ctx.controls))
    diagnosis = Diagnosis(cause=finding.cause, title=finding.title, remedy=finding.remedy, severity=severity,
                          is_entitlement=finding.is_entitlement, evidence=evidence,
                          controls=tuple(ctx.controls), candidates=finding.candidates)
    if cell.outcome is Outcome.UNEXPECTED_DENY and finding.cause not in NO_TICKET_CAUSES:
        diagnosis = replace(diagnosis, ticket=ticket_text(cell, diagnosis, ctx))
    return diagnosis


def _find(cell: Cell, combo: Combo, ctx: DiagnosisContext) -> Finding:
    observation = cell.observation
    assert observation is not None and cell.judgement is not None
    judgement = cell.judgement
    if judgement.cause_hint == "not_deepgram":
        return find_not_deepgram(cell, combo, ctx)
    no_credential = ctx.auth is not None and ctx.auth.where == "none" and combo.surface.auth
    if no_credential and (judgement.verdict is Verdict.INVALID_AUTH
                          or judgement.cause_hint == "handshake_hidden"
                          or (judgement.cause_hint == "status_only" and observation.status is None)):
        # Deepgram refuses every request without a key: nothing else needs explaining.
        return find_missing_key(cell, combo, ctx)
    # Deepgram's own words about the request (not only "Bad Request", not about a credential in the URL) decide
    # a refusal of it: a credential in the wrong form is then a second problem, not the answer's cause.
    named = {p.strip().lower() for p in (judgement.parameter or "").split(",") if p.strip()}
    said = bool(judgement.err_msg or judgement.err_code) and not generic_words(judgement, observation.status)
    words_decide = (judgement.verdict is Verdict.MALFORMED_REQUEST and said
                    and not named & set(facts.URL_KEY_PARAMETERS))
    auth_matters = judgement.verdict in AUTH_VERDICTS and not words_decide and judgement.cause_hint not in (
        "undecodable_audio", "remote_media_error", "unsupported_language")
    if auth_matters and judgement.cause_hint != "handshake_hidden":
        mistake = auth_mistake(ctx.auth)
        if mistake is not None and mistake.cause == "key_in_url" and ctx.auth is not None:
            return find_key_in_url(cell, combo, ctx.auth.url_param or "")  # the same words, with the endpoint
        if mistake is not None:
            return mistake
        url_key = key_in_url(request_parameters(observation, combo))
        no_header = observation.request is None or observation.request.auth_scheme is None
        if url_key and no_header and (ctx.auth is None or ctx.auth.where in ("url", "none")):
            return find_key_in_url(cell, combo, url_key)
    hinted = HINT_FINDERS.get(judgement.cause_hint or "")
    if hinted is not None:
        return hinted(cell, combo, ctx)
    return FINDERS[judgement.verdict](cell, combo, ctx)


# ------------------------------------------------------------------------------------ support ticket


def utc_time(at: str) -> str:
    """`2026-09-17 00:37:38 UTC` from an ISO time; the raw text if it does not parse."""
    if not at:
        return "(time not recorded)"
    try:
        moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def ruled_out(cell: Cell, combo: Combo | None, ctx: DiagnosisContext) -> list[str]:
    """What the evidence excludes, in words support can check quickly."""
    out: list[str] = []
    observation, judgement = cell.observation, cell.judgement
    if observation is None or judgement is None:
        return out
    if observation.status is not None:
        out.append("a network problem (Deepgram answered)")
    if judgement.verdict not in (Verdict.INVALID_AUTH,) and observation.status not in (401, None):
        out.append("an invalid key (no 401)")
    if observation.status != 402:
        out.append("missing credits (no 402)")
    if judgement.verdict is Verdict.NOT_ENTITLED:
        out.append("a malformed request (the refusal names the model, not a parameter)")
    good = _control(ctx, KNOWN_GOOD)
    if good is not None and good.verdict is Verdict.ENTITLED:
        other = _control_model(good)
        out.append(f"the key and endpoint in general ({other} is accepted on the same endpoint)")
    minimal = _control(ctx, MINIMAL)
    if minimal is not None and minimal.verdict is Verdict.ENTITLED:
        out.append("the extra parameters (the minimal request is accepted)")
    if cell.model and listed(cell.model, ctx.public_models):
        out.append(f"a misspelt name ({cell.model} is in Deepgram's public model list)")
    return out


def ticket_text(cell: Cell, diagnosis: Diagnosis, ctx: DiagnosisContext) -> str:
    """A ready-to-send support paragraph for an unexpected deny. Never contains a key."""
    observation, judgement = cell.observation, cell.judgement
    status = observation.status if observation and observation.status is not None else "no status"
    words = ""
    if judgement is not None and (judgement.err_code or judgement.err_msg):
        message = f' "{judgement.err_msg}"' if judgement.err_msg else ""
        words = f", {judgement.err_code or ''}{message}".replace(", ,", ",")
    dg_error = observation.dg_error if observation else None
    differs = dg_error and judgement and dg_error != judgement.err_msg
    header = f' (dg-error header "{dg_error}")' if differs else ""
    rid = _request_id(observation) if observation else None
    request = observation.request if observation else None
    sent = f" ({request.method} {request.url})" if request else ""
    controls = "; ".join(
        f"{c.purpose.replace('_', ' ')} {_control_model(c)} -> {'no answer' if c.status is None else c.status} "
        f"{c.verdict.value} (request id {c.request_id or 'none'})" for c in diagnosis.controls
    )
    excluded = ruled_out(cell, None, ctx)
    parts = [
        f'Hello Deepgram support: for account "{ctx.account.alias}", project '
        f"{ctx.account.project_id or '(unknown project id)'}, a request to {cell.surface} with model "
        f"{cell.model or cell.variant}{sent} at {utc_time(observation.at if observation else '')} was "
        f"refused with HTTP {status}{words}{header}, request id {rid or '(none returned)'}.",
        f"We expected {cell.expectation.verdict.value}"
        f"{f' ({cell.expectation.status})' if cell.expectation.status else ''}.",
        f"Control probes: {controls}." if controls else "",
        f"Ruled out: {'; '.join(excluded)}." if excluded else "",
        f"Our diagnosis: {diagnosis.title}.",
        (f"Could you check whether project {ctx.account.project_id or '(ours)'} should have access to "
         f"{cell.model or cell.variant} on {cell.surface}, and enable it if so?") if diagnosis.is_entitlement else
        (f"Our evidence says this is not an entitlement problem ({diagnosis.title}); no action is requested "
         "unless you see otherwise."),
    ]
    return scrub(" ".join(p for p in parts if p))

"""Diagnose an answer a user already saw, without sending anything (the core of `explain --offline`).

People arrive with a URL, maybe the headers they sent, and whatever their client showed: a status, a
body, a close code, a browser's "WebSocket connection failed". Re-sending costs money and may be
impossible (the key is elsewhere, the network differs), and the answer they saw is the evidence that
matters. So this module turns that answer into the same Observation the probe runner produces and runs
the same pure verdict and diagnosis code: one judgement of Deepgram's answers, whoever sent the request.

The credential in a pasted header is registered with the scrubber and reduced to its shape (JWT, 40-hex
key, empty, other): the diagnosis needs to know "a JWT sent as Token", never the JWT.

What the user saw also says things a live probe's answer would not: a request to a host and path that are not
Deepgram's was answered by that other service; an accepted stream that sent nothing back is the problem the
user came with, not an acceptance; a client that says it had no key never sent one.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from . import facts
from .catalogue import Catalogue, load_catalogue
from .defaults import CATALOGUE
from .diagnosis import AuthForm, DiagnosisContext, diagnose
from .model import (
    AccountInfo,
    Cell,
    Combo,
    Diagnosis,
    Expectation,
    Frame,
    Judgement,
    Observation,
    Outcome,
    RequestSummary,
    Verdict,
)
from .outcomes import outcome_for
from .secrets import register_secret
from .userrequest import combo_for, transport_of
from .verdicts import judge, judge_accepted_output, judge_foreign_service, judge_warnings, salvage_fields


@dataclass(frozen=True)
class SeenAnswer:
    """What the user's client showed. Everything is optional: often only a status or a close survives."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | None = None
    close_code: int | None = None
    close_reason: str | None = None
    client_error: str | None = None  # "WebSocket connection to 'wss://…' failed", "ECONNRESET", ...
    frames: tuple[dict[str, Any], ...] = ()  # server text messages, parsed


def credential_shape(value: str) -> str:
    """jwt | key | empty | quoted | doubled | uuid | other: all the diagnosis may know about a credential.

    `quoted`: a key or JWT inside quotes (a .env value copied with them); `doubled`: the scheme word is part of
    the credential (`Token Token <key>`: a client given "Token <key>" where it wanted the key alone); `uuid`: a
    key's id or a project's id sent instead of the key."""
    value = value.strip()
    if value.lower() in ("", "undefined", "null", "none", "nil", "$deepgram_api_key", "${deepgram_api_key}"):
        return "empty"  # an unset variable interpolated into the header
    if facts.JWT_SHAPE.fullmatch(value):
        return "jwt"
    if facts.KEY_SHAPE.fullmatch(value):
        return "key"
    quoted = len(value) > 2 and value[0] == value[-1] and value[0] in "\"'"
    if quoted and credential_shape(value[1:-1]) in ("jwt", "key"):
        return "quoted"
    words = value.split(None, 1)
    if len(words) == 2 and words[0].lower() in facts.SUBPROTOCOL_SCHEMES:
        return "doubled"
    if facts.UUID_SHAPE.fullmatch(value):
        return "uuid"
    return "other"


def _header(headers: Sequence[str], name: str) -> str | None:
    for line in headers:
        key, sep, value = str(line).partition(":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


def auth_form(url: str, headers: Sequence[str] = (), complete: bool = False) -> AuthForm:
    """How the request carried its credential. Registers the credential with the scrubber; keeps its shape.

    `complete`: the headers given are every header the request carried, so finding no credential means none
    was sent (`none`), not that the user did not say (`unknown`)."""
    authorization = _header(headers, "authorization")
    if authorization is not None:
        words = authorization.split(None, 1)
        if len(words) == 2:
            scheme, credential = words[0], words[1]
        elif words and words[0].lower() in facts.SUBPROTOCOL_SCHEMES:
            scheme, credential = words[0], ""
        else:
            scheme, credential = "", (words[0] if words else "")
        register_secret(credential)
        return AuthForm(where="header", scheme=scheme, shape=credential_shape(credential))
    protocols = _header(headers, "sec-websocket-protocol")
    if protocols is not None:
        items = [p.strip() for p in protocols.split(",") if p.strip()]
        schemes = [i for i, p in enumerate(items) if p.lower() in facts.SUBPROTOCOL_SCHEMES]
        credentials = [p for p in items if p.lower() not in facts.SUBPROTOCOL_SCHEMES
                       and credential_shape(p) in ("jwt", "key")]
        for item in items:
            if item.lower() not in facts.SUBPROTOCOL_SCHEMES:
                register_secret(item)
        fallback = items[1] if len(items) > 1 else (items[0] if items else "")
        credential = credentials[0] if credentials else fallback
        order_ok = bool(schemes) and schemes[0] == 0 and len(items) >= 2
        first = items[schemes[0]] if schemes else None
        return AuthForm(where="subprotocol", scheme=first, shape=credential_shape(credential), order_ok=order_ok)
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name.lower() in facts.URL_KEY_PARAMETERS:
            register_secret(value)
            return AuthForm(where="url", url_param=name, shape=credential_shape(value))
    return AuthForm(where="none" if headers or complete else "unknown")


def safe_url(url: str) -> str:
    """The URL with any credential in its query replaced, so nothing downstream can print it."""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    cleaned = [(k, "[redacted]" if k.lower() in facts.URL_KEY_PARAMETERS else v) for k, v in pairs]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(cleaned, safe="[]:/,"), parts.fragment))


def _body(text: str | None) -> tuple[Any, str]:
    if text is None or not text.strip():
        return None, "empty"
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped), "json"
        except ValueError:
            pass
    return text, "text"


def observation_for(url: str, answer: SeenAnswer, method: str, auth: AuthForm, transport: str) -> Observation:
    """The answer as the Observation the probe runner would have recorded."""
    headers = {str(k).lower(): str(v) for k, v in answer.headers.items()}
    status, close_code, error = answer.status, answer.close_code, answer.client_error
    text = answer.body
    streamed = bool(answer.frames) or close_code is not None or bool(answer.close_reason)
    if not (text and text.strip()) and error and not streamed:
        embedded = _embedded_body(error)
        if embedded is not None or facts.status_for_words(error) is not None:
            # the client kept Deepgram's words (an SDK exception message, with the body in it): read them
            status = status if status is not None else facts.status_in_client_text(error)
            text, error = embedded or error, None
    if status is None and error and not streamed:
        status = facts.status_in_client_text(error)  # "Unexpected server response: 401": an answer came
    if status is None and error and not streamed and not (text and text.strip()) and _client_crashed(error):
        error = None  # the client's own bug hides what happened (facts.CLIENT_CRASH): not read as the network's
    body, kind = _body(text)
    if status is None and text and not streamed:
        words = text if kind == "text" else json.dumps(body)
        status = facts.status_for_words(words) or (400 if isinstance(body, Mapping) and (
            DEEPGRAM_ERROR_FIELDS & set(body)) else None)
    if status is None and not streamed and headers.get("dg-error"):
        status = facts.status_for_words(headers["dg-error"])  # Deepgram's words in the header name their status
    if close_code is None and answer.close_reason:
        close_code = facts.close_code_for_reason(answer.close_reason)  # the reason names its documented code
    frames = tuple(Frame(kind="text", at_ms=float(i), data=dict(f), size=len(json.dumps(f)))
                   for i, f in enumerate(answer.frames) if isinstance(f, Mapping))
    if transport == "ws" and status is None and (frames or (close_code not in (None, facts.ABNORMAL_CLOSE))):
        status = 101  # a server message or close frame means the upgrade succeeded
    if status == 101 and (frames or close_code is not None):
        error = None  # the close and the messages are the evidence; the client's wrapper text adds nothing
    if transport == "ws" and status is None and close_code is None and error:
        lowered = error.lower()
        if not any(k in lowered for k in ("timed out", "timeout", "getaddrinfo", "enotfound", "certificate",
                                          "ssl", "econnrefused", "refused")):
            close_code = facts.ABNORMAL_CLOSE  # a browser's "connection failed": the refused upgrade is hidden
            error = None
    scheme = auth.scheme.capitalize() if auth.where in ("header", "subprotocol") and auth.scheme else None
    request = RequestSummary(method=method, url=safe_url(url), auth_scheme=scheme or None)
    return Observation(status=status, headers=headers, body=body, body_kind=kind,  # type: ignore[arg-type]
                       body_size=len(text or ""), content_type=headers.get("content-type"), frames=frames,
                       close_code=close_code, close_reason=answer.close_reason,
                       closed_by="server" if close_code not in (None, facts.ABNORMAL_CLOSE) else None,
                       error=_network_kind(error) if status is None else None,  # an answer came: no network error
                       error_detail=answer.client_error, request=request)


DEEPGRAM_ERROR_FIELDS = frozenset({"err_code", "err_msg", "error_code", "category"})  # a body is Deepgram's error


def _embedded_body(error: str) -> str | None:
    """Deepgram's body inside a client's error text ("...: 401 - {"err_code":"INVALID_AUTH",...}", or a Python
    SDK's dict repr {'category': 'UNAUTHORIZED', ...}), whole or cut short; None when the text holds none.

    Clients print other braces around or before the body, so each object in the text is tried, the last first,
    and the first that is Deepgram's error is the body: the headers dict before it (deepgram-python-sdk v5+
    ApiError "headers: {...}, status_code: 401, body: {...}", websocket-client "Handshake status 401 ... -+-+-
    {headers} -+-+- b'{...}'"), the wrapper around it (deepgram-java-sdk "DeepgramHttpException{message: ...,
    body: {...}}"), or what follows it (deepgram-rust-sdk's Debug "DeepgramApiError { body: <the body as an escaped
    JSON string>, err: reqwest::Error { kind: Status(401), ... } }")."""
    starts = [i for i, char in enumerate(error) if char == "{"]
    for start in reversed(starts[-EMBEDDED_TRIES:]):  # each try scans to the end: a bound keeps it linear
        candidate = _deepgram_object(_balanced(error, start))
        if candidate is not None:
            return candidate
    if not starts:
        return None
    whole = error[starts[0]: error.rfind("}") + 1] or error[starts[0]:]
    return _deepgram_object(whole)  # braces inside a quoted value unbalance the count: the outermost span


EMBEDDED_TRIES = 32  # the last objects in a client's text tried as Deepgram's body (it comes last, or near it)


def _balanced(text: str, start: int) -> str:
    """The object that opens at `start`: up to its closing brace, or to the end when the text was cut short."""
    depth = 0
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start: index + 1]
    return text[start:]


def _deepgram_object(candidate: str) -> str | None:
    """The candidate as Deepgram's error body (JSON, escaped JSON, a dict repr or cut short), or None."""
    forms = [candidate] + ([candidate.replace('\\"', '"')] if '\\"' in candidate else [])
    for form in forms:
        try:
            data = json.loads(form)
        except ValueError:  # cut short, or a Python dict's repr: its fields are salvaged when it is read
            data = salvage_fields(form) or {}
        if isinstance(data, Mapping) and (DEEPGRAM_ERROR_FIELDS & set(data)):
            return form
    return None


def _client_crashed(error: str) -> bool:
    """The client's own bug, with no network failure named anywhere in its text (facts.CLIENT_CRASH)."""
    return bool(facts.CLIENT_CRASH.search(error)) and _network_kind(error) == "network" and not any(
        w in error.lower() for w in ("econn", "fetch failed", "failed to fetch", "connection", "network", "errno",
                                     "unreachable", "proxy"))


def _network_kind(error: str | None) -> str | None:
    if not error:
        return None
    lowered = error.lower()
    for kind, words in (("timeout:read", ("timed out", "timeout")), ("dns", ("getaddrinfo", "enotfound", "name or "
                        "service")), ("tls", ("certificate", "ssl", "tls")), ("refused", ("refused",)),
                        ("reset", ("reset", "broken pipe"))):
        if any(w in lowered for w in words):
            return kind
    return "network"


@functools.cache
def _default_catalogue() -> Catalogue:
    """The shipped catalogue, read once per process (a corpus runner diagnoses hundreds of answers)."""
    return load_catalogue(CATALOGUE)


OFFLINE_ACCOUNT = AccountInfo(alias="offline", fingerprint=None, project_id=None,
                              base_url="https://api.deepgram.com", key_source="none (offline)")


def _client_has_no_key(answer: SeenAnswer) -> bool:
    """The client says, in its own words and with no answer from anyone, that it had no key to send."""
    error = answer.client_error or ""
    return (answer.status is None and not answer.body and bool(facts.MISSING_KEY_CLIENT.search(error))
            and facts.status_for_words(error) is None)


def _refine(judgement: Judgement, observation: Observation, combo: Combo) -> Judgement:
    """What the user's own evidence adds to the judgement of the answer (offline only: a live probe's silent
    handshake or empty stream is a normal acceptance, a user's is the problem they came with)."""
    foreign = judge_foreign_service(observation, combo)
    if foreign is not None:
        return foreign
    if judgement.verdict is Verdict.ENTITLED:
        # The user came with a problem: an accepted request that Deepgram warned about, or that transcribed
        # nothing, is evidence too.
        judgement = (judge_warnings(observation, combo) or judge_accepted_output(observation, combo, audio_sent=True)
                     or judgement)
    closed = (combo.surface.transport == "ws" and observation.status == 101 and observation.closed_by == "server"
              and observation.close_code in facts.NORMAL_CLOSE_CODES and not observation.close_reason)
    if judgement.verdict is Verdict.ENTITLED and closed:
        return replace(judgement, verdict=Verdict.MALFORMED_REQUEST,
                       reason=f"Deepgram closed the stream normally ({observation.close_code}), which it does only "
                       f"when the client asks: {facts.CLIENT_ASKED_CLOSE}; it is not a denial.")
    silent = (combo.surface.transport == "ws" and observation.status == 101 and not observation.frames
              and observation.close_code is None and not observation.error_detail)
    if judgement.verdict is Verdict.ENTITLED and silent:
        return replace(judgement, verdict=Verdict.UNRECOGNISED, cause_hint="status_only",
                       reason="Deepgram accepted the stream (101) but nothing came back (no transcript, no Metadata, "
                       "no close): Deepgram produced nothing from what it was sent; it is not a denial.")
    nothing = (observation.status is None and not observation.error and observation.close_code is None
               and not observation.frames and observation.body is None and not observation.headers)
    crashed = facts.CLIENT_CRASH.search(observation.error_detail or "")
    if nothing and judgement.cause_hint is None and crashed and _client_crashed(observation.error_detail or ""):
        return replace(judgement, cause_hint="status_only",
                       reason=f"The client failed in its own code while handling the result ({crashed.group(0)}), "
                       "which hides what Deepgram answered; it names no network failure, and it is not a denial.")
    if nothing and judgement.cause_hint is None:
        return replace(judgement, cause_hint="status_only",
                       reason="No answer was seen (no status, no words, no close): only the request itself is "
                       "evidence; it is not a denial.")
    return judgement


def diagnose_answer(url: str, answer: SeenAnswer, method: str | None = None, headers: Sequence[str] = (),
                    catalogue: Catalogue | None = None, headers_complete: bool = False) -> tuple[Judgement, Diagnosis]:
    """Judge and diagnose an answer the user already saw. Sends nothing; never raises on odd input.

    `headers_complete`: `headers` are all the headers the request carried (so no Authorization means no key
    was sent); by default a missing credential only means the user did not give it."""
    catalogue = catalogue or _default_catalogue()
    auth = auth_form(url, headers, complete=headers_complete)
    if auth.where in ("unknown", "none") and _client_has_no_key(answer):
        auth = AuthForm(where="none")  # the client refused to send: it had no key
    if (answer.frames or answer.close_code is not None or answer.close_reason) and transport_of(url) == "http":
        # The user saw stream messages or a close: whatever the URL's scheme (an HTTP/2 bidirectional stream
        # such as SageMaker's), the exchange was a stream and is judged as one.
        url = urlunsplit(("wss" if url.lower().startswith("https") else "ws", *urlsplit(url)[1:]))
    combo = combo_for(catalogue, safe_url(url), method)
    verb = combo.surface.method
    observation = observation_for(url, answer, verb, auth, combo.surface.transport)
    judgement = _refine(judge(observation, combo), observation, combo)
    if judgement.verdict is Verdict.ENTITLED and answer.client_error and facts.EMPTY_RESULT.search(answer.client_error):
        judgement = replace(judgement, verdict=Verdict.MALFORMED_REQUEST, cause_hint="undecodable_audio",
                            reason=f"Deepgram accepted the request but the client reports no speech "
                            f"({answer.client_error[:120]}): the audio was not decodable as sent.")
    expectation = Expectation(Verdict.ENTITLED, combo.surface.success_status, source="explain --offline")
    outcome = outcome_for(expectation, judgement, observation.status)
    base = urlsplit(url)
    account = OFFLINE_ACCOUNT
    if base.scheme and base.netloc:
        account = AccountInfo(alias="offline", fingerprint=None, project_id=None,
                              base_url=f"{'https' if base.scheme in ('https', 'wss') else 'http'}://{base.netloc}",
                              key_source="none (offline)")
    cell = Cell(account="offline", combo_id=combo.id, surface=combo.surface.name, variant=combo.variant,
                model=combo.model, expectation=expectation, outcome=outcome, judgement=judgement,
                observation=observation, combo=combo)
    ctx = DiagnosisContext(account=account, public_models=None, project_models=None, auth=auth)
    diagnosis = diagnose(cell, combo, ctx) if outcome is not Outcome.AS_EXPECTED else None
    if diagnosis is None:
        where = combo.surface.title or combo.surface.path
        diagnosis = Diagnosis(cause="entitled", title=f"Deepgram accepted the request on {where}",
                              remedy="Nothing to fix: the answer is an acceptance.", severity=0,
                              is_entitlement=False)
    return judgement, diagnosis

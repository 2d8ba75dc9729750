"""What Deepgram said, as a Verdict and one readable sentence in Deepgram's own words (pure, no I/O).

The verdict code *recognises* Deepgram's answers; it is tested on verbatim payloads from the
reference, never only on what our fake emits. Three rules shape everything here:

- Deepgram answers in three body shapes (legacy `err_code/err_msg`, modern `category/message`,
  plain text), sometimes with typos (`error_code`), and repeats the words in the `dg-error` header on
  failed handshakes. We read all of them and prefer the most specific.
- A denial is only ever read from Deepgram's *words* or an unambiguous status: a 403 with no words
  may be a proxy or a WAF, so it is UNRECOGNISED, never NOT_ENTITLED. Transient answers (network,
  timeouts, 429, 5xx) are never denials.
- Anything we cannot parse must not crash the run: garbage in, UNRECOGNISED out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .model import Combo, Frame, Judgement, Observation, Verdict

V = Verdict  # short alias: the judging rules below read as a table

MAX_WORDS = 300  # Deepgram's words are quoted, bounded: a reason is one sentence, not a dump

NOT_ENTITLED_WORDS = "does not have access to the requested model"
SCOPE_WORDS = "does not have sufficient permissions"
NORMAL_CLOSE_CODES = frozenset({1000, 1005})

# Query parameters Deepgram documents (reference §3.1–§3.6): used to recognise a parameter named in
# backticks even when our own request did not carry it ("missing field `language`").
KNOWN_PARAMETERS = frozenset({
    "model", "version", "language", "encoding", "multichannel", "punctuate", "smart_format", "numerals",
    "paragraphs", "utterances", "utt_split", "dictation", "measurements", "filler_words", "profanity_filter",
    "diarize", "diarize_model", "diarize_version", "keyterm", "keywords", "redact", "replace", "search",
    "summarize", "sentiment", "topics", "custom_topic", "custom_topic_mode", "intents", "custom_intent",
    "custom_intent_mode", "detect_entities", "detect_language", "callback", "callback_method", "tag",
    "extra", "mip_opt_out", "sample_rate", "channels", "interim_results", "endpointing", "utterance_end_ms",
    "vad_events", "eot_threshold", "eager_eot_threshold", "eot_timeout_ms", "language_hint", "container",
    "bit_rate", "speed", "priority", "ttl_seconds",
})
NUMERIC_PARAMETERS = frozenset({
    "sample_rate", "channels", "endpointing", "utterance_end_ms", "eot_threshold", "eager_eot_threshold",
    "eot_timeout_ms", "bit_rate", "speed",
})
BOOLEAN_PARAMETERS = frozenset({
    "multichannel", "punctuate", "smart_format", "numerals", "paragraphs", "utterances", "dictation",
    "measurements", "filler_words", "profanity_filter", "diarize", "sentiment", "topics", "intents",
    "detect_entities", "interim_results", "vad_events", "mip_opt_out",
})
URL_KEY_PARAMETERS = ("token", "access_token", "key", "api_key", "apikey")
# Words Deepgram uses for a parameter without naming it ("Summarization is not available ...").
PARAMETER_STEMS = (("summariz", "summarize"), ("diariz", "diarize"), ("keyterm", "keyterm"))

WRONG_ENDPOINT_CODE = re.compile(r"V(\d)_MODEL_ON_V(\d)_([A-Z]+)_ENDPOINT")
UNKNOWN_PARAMETERS = re.compile(r"unknown query parameters?:\s*(.+)", re.IGNORECASE)
FIELD_NAMED = re.compile(r"(?:unknown|missing|invalid|duplicate) field\s+[`'\"]([A-Za-z0-9_.]+)[`'\"]",
                         re.IGNORECASE)
BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_.]*)`")
CHECK_THE_FIELD = re.compile(r"check the\s+([A-Za-z0-9_.]+)\s+field", re.IGNORECASE)
FEATURES_LIST = re.compile(r"feature/?s?\s*\[([^\]]*)\]", re.IGNORECASE)
INVALID_MODEL_VALUE = re.compile(r"invalid 'model' value", re.IGNORECASE)
NO_SUCH_VOICE = re.compile(r"no such model/version combination", re.IGNORECASE)
NO_SUCH_LANGUAGE = re.compile(r"no such model/language/tier combination", re.IGNORECASE)


@dataclass(frozen=True)
class Words:
    """Deepgram's own words from one answer, whatever shape they came in."""

    code: str | None = None  # err_code, error_code (typo), modern category, or a frame's code
    message: str | None = None  # err_msg, message, description, plain text, or the dg-error header
    details: str | None = None  # modern shape only
    request_id: str | None = None
    shape: str = "none"  # legacy | modern | text | frame | header | none

    @property
    def text(self) -> str:
        """Everything Deepgram said, lower-cased, for matching."""
        return " ".join(p for p in (self.code, self.message, self.details) if p).lower()

    def quoted(self) -> str:
        """`CODE "message"` as Deepgram wrote them, bounded, for one-sentence reasons."""
        parts = []
        if self.code:
            parts.append(self.code)
        if self.message:
            parts.append(f'"{_bounded(self.message)}"')
        return " ".join(parts)


def _bounded(text: str, limit: int = MAX_WORDS) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def decode_body(body: Any) -> Any:
    """Bytes become text, text that is JSON becomes JSON: the runner may hand us either."""
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        stripped = body.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except (ValueError, RecursionError):
                return body
    return body


def words_from_mapping(data: Mapping[Any, Any], shape_hint: str = "") -> Words:
    """Read the legacy, modern and typo'd JSON shapes, and error frames, into one Words."""
    code = _str(data.get("err_code")) or _str(data.get("error_code")) or _str(data.get("code"))
    shape = "legacy" if code else ""
    if not code and _str(data.get("category")):
        code, shape = _str(data.get("category")), "modern"
    message = (_str(data.get("err_msg")) or _str(data.get("message")) or _str(data.get("description"))
               or _str(data.get("error")) or _str(data.get("detail")) or _str(data.get("warn_msg")))
    details = _str(data.get("details"))
    if shape == "" and _str(data.get("category")) is None and (message or code):
        shape = "legacy"
    nested = data.get("error")
    if not code and not message and isinstance(nested, Mapping):
        return words_from_mapping(nested, shape_hint)
    request_id = _str(data.get("request_id")) or _str(data.get("requestId"))
    return Words(code=code, message=message, details=details, request_id=request_id,
                 shape=shape_hint or shape or "none")


def deepgram_words(observation: Observation) -> Words:
    """Deepgram's words for a refused request: body first, the dg-error header when the body is silent."""
    headers = _lower_headers(observation.headers)
    header_words = _str(headers.get("dg-error"))
    body = decode_body(observation.body)
    found = Words()
    if isinstance(body, Mapping):
        found = words_from_mapping(body)
    elif isinstance(body, str) and body.strip():
        found = Words(message=_bounded(body, 1000), shape="text")
    if not found.message and header_words:
        found = Words(code=found.code, message=header_words, details=found.details,
                      request_id=found.request_id, shape=found.shape if found.code else "header")
    request_id = found.request_id or _str(headers.get("dg-request-id"))
    return Words(found.code, found.message, found.details, request_id, found.shape)


def _lower_headers(headers: Any) -> dict[str, Any]:
    if not isinstance(headers, Mapping):
        return {}
    return {str(k).lower(): v for k, v in headers.items()}


def request_parameters(observation: Observation, combo: Combo) -> list[tuple[str, str]]:
    """The query pairs actually sent: from the recorded URL when there is one, else from the combo."""
    pairs: list[tuple[str, str]] = []
    url = observation.request.url if observation.request is not None else None
    if isinstance(url, str) and "?" in url:
        try:
            pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
        except ValueError:
            pairs = []
    if not pairs:
        pairs = combo.query()
    return pairs


def key_in_url(pairs: Iterable[tuple[str, str]]) -> str | None:
    """The name of a query parameter that carries a credential, if any (keys belong in a header)."""
    for name, _ in pairs:
        if name.lower() in URL_KEY_PARAMETERS:
            return name
    return None


# ------------------------------------------------------------------------------ naming a parameter


def _unique(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name and name not in out:
            out.append(name)
    return out


def parameter_from_words(message: str, sent: list[str]) -> str | None:
    """The parameter(s) Deepgram's message names, comma-joined, preferring the ones we sent."""
    unknown = UNKNOWN_PARAMETERS.search(message)
    if unknown:
        names = [n.strip(" .`'\"") for n in unknown.group(1).split(",")]
        return ", ".join(_unique(names)) or None
    field = FIELD_NAMED.search(message) or CHECK_THE_FIELD.search(message)
    if field:
        return field.group(1)
    if NO_SUCH_LANGUAGE.search(message):
        return "language"
    ticked = [t for t in BACKTICKED.findall(message) if t in KNOWN_PARAMETERS or t in sent]
    sent_ticked = [t for t in ticked if t in sent]
    if sent_ticked:
        return ", ".join(_unique(sent_ticked))
    lowered = message.lower()
    positions = []
    for name in sent:
        match = re.search(rf"(?<![a-z0-9_]){re.escape(name.lower())}(?![a-z0-9_])", lowered)
        if match:
            positions.append((match.start(), name))
    for stem, name in PARAMETER_STEMS:
        if name in sent and stem in lowered and all(n != name for _, n in positions):
            positions.append((lowered.index(stem), name))
    if positions:
        return ", ".join(_unique(name for _, name in sorted(positions)))
    if ticked:
        return ", ".join(_unique(ticked))
    return None


def suspicious_parameter(pairs: list[tuple[str, str]]) -> str | None:
    """When Deepgram only says "Invalid query string.", find the value it most likely choked on."""
    url_key = key_in_url(pairs)
    if url_key:
        return url_key
    for name, value in pairs:
        if name in BOOLEAN_PARAMETERS and value in ("True", "False", "TRUE", "FALSE", "1", "0", "yes", "no"):
            return name
        if name in NUMERIC_PARAMETERS and not re.fullmatch(r"-?\d+(\.\d+)?", value):
            return name
        if name == "callback" and not value.lower().startswith(("http://", "https://")):
            return name
    return None


# --------------------------------------------------------------------------------- model families

# The model names Deepgram's spec publishes (reference §3.1, §3.3, §3.4). A hint, not proof: the live
# lists (/v1/models, /v1/projects/{id}/models) and the control probes are the evidence.
PUBLISHED_STT_MODELS = frozenset(
    ["nova-3", "nova-3-general", "nova-3-medical", "nova-3-pharma", "nova-2", "nova", "enhanced", "base"]
    + [f"nova-2-{v}" for v in ("general", "meeting", "finance", "conversationalai", "voicemail", "video",
                               "medical", "drivethru", "automotive", "phonecall")]
    + [f"nova-{v}" for v in ("general", "phonecall", "medical")]
    + [f"enhanced-{v}" for v in ("general", "meeting", "phonecall", "finance")]
    + [f"base-{v}" for v in ("general", "meeting", "phonecall", "finance", "conversationalai", "voicemail",
                             "video")]
    + [f"whisper-{v}" for v in ("tiny", "base", "small", "medium", "large")]
)
PUBLISHED_FLUX_MODELS = frozenset({"flux-general-en", "flux-general-multi"})  # SPEC-AA ListenV2Model
AURA_1_VOICES = frozenset({"angus", "arcas", "asteria", "athena", "helios", "hera", "luna", "orion",
                           "orpheus", "perseus", "stella", "zeus"})
AURA_2_SHAPE = re.compile(r"aura-2-[a-z]+-(en|es|de|nl|fr|it|ja)")
FLUX_TTS_SHAPE = re.compile(r"flux-[a-z]+-en")


def is_published_model(model: str, family: str | None = None) -> bool:
    """True when Deepgram's spec publishes the name for that surface family (STT by name, voices by shape).

    The family matters: `flux-genral-en` has the shape of a Flux *voice*, but it is no Flux STT model.
    """
    name = model.strip().lower()
    stt = name in PUBLISHED_STT_MODELS
    flux_stt = name in PUBLISHED_FLUX_MODELS
    aura1 = re.fullmatch(r"aura-([a-z]+)-en", name)
    aura = bool(aura1 and aura1.group(1) in AURA_1_VOICES) or bool(AURA_2_SHAPE.fullmatch(name))
    flux_voice = bool(FLUX_TTS_SHAPE.fullmatch(name)) and not name.startswith("flux-general")
    by_family = {"stt": stt, "flux": flux_stt, "tts": aura, "tts-flux": flux_voice}
    if family in by_family:
        return by_family[family]
    return stt or flux_stt or aura or flux_voice


def is_flux(model: str | None) -> bool:
    return bool(model) and str(model).lower().startswith("flux")


def is_aura(model: str | None) -> bool:
    return bool(model) and str(model).lower().startswith("aura")


def _path(combo: Combo) -> str:
    return combo.surface.path.rstrip("/")


def endpoint_for_wrong_family(combo: Combo) -> str | None:
    """The endpoint a model belongs on when it was sent to the other generation's endpoint."""
    path, model = _path(combo), combo.model
    if path == "/v2/listen" and model and not is_flux(model):
        return "/v1/listen"
    if path == "/v1/listen" and is_flux(model):
        return "/v2/listen"
    if path == "/v2/speak" and model and not is_flux(model):
        return "/v1/speak"
    if path == "/v1/speak" and is_flux(model):
        return "/v2/speak"
    return None


def _right_endpoint_from_code(code: str) -> str | None:
    match = WRONG_ENDPOINT_CODE.search(code.upper())
    if not match:
        return None
    model_gen, _, what = match.groups()
    return f"/v{model_gen}/{what.lower()}"


# ----------------------------------------------------------------------------------------- judging


def _says(words: Words, status: int | None) -> str:
    said = words.quoted()
    if not said:
        return f"Deepgram answered {status} with no error words"
    return f"Deepgram answered {status} {said}"


def _j(verdict: Verdict, reason: str, words: Words, combo: Combo, **extra: Any) -> Judgement:
    return Judgement(verdict=verdict, reason=reason, err_code=words.code,
                     err_msg=_bounded(words.message, 1000) if words.message else None,
                     model=combo.model, **extra)


def judge(observation: Observation, combo: Combo) -> Judgement:
    """Turn one observation into a Verdict with a reason quoting Deepgram. Never raises."""
    try:
        return _judge(observation, combo)
    except Exception as exc:  # a verdict must always come back: the run goes on, the cell says why
        return Judgement(verdict=Verdict.UNRECOGNISED,
                         reason=f"The answer could not be read ({type(exc).__name__}); it is not a denial.",
                         model=getattr(combo, "model", None))


def _judge(observation: Observation, combo: Combo) -> Judgement:
    status = observation.status if isinstance(observation.status, int) else None
    if observation.error and (status is None or status < 400):
        return judge_network(observation, combo)
    if status is None:
        return _j(V.UNRECOGNISED, "No answer was recorded (no status, no error); it is not a denial.",
                          Words(), combo)
    if status == 101:
        return judge_stream(observation, combo)
    words = deepgram_words(observation)
    if 200 <= status < 300:
        if combo.surface.transport == "ws":
            return _j(V.UNRECOGNISED, f"The WebSocket upgrade was answered {status} instead of 101 Switching "
                  "Protocols (a proxy in the way?); it is not a denial.", words, combo)
        return _j(V.ENTITLED, f"Deepgram accepted the request with {status}.", Words(), combo)
    if status < 200 or 300 <= status < 400:
        return _j(V.UNRECOGNISED, f"{_says(words, status)}, which is neither an acceptance nor a "
                          "refusal; it is not a denial.", words, combo)
    if status >= 500:
        return _j(V.SERVER_ERROR, f"{_says(words, status)}: a server error on Deepgram's side, "
                          "which says nothing about the account.", words, combo)
    return judge_refusal(status, words, observation, combo)


def judge_network(observation: Observation, combo: Combo) -> Judgement:
    """No usable answer: a timeout or a network failure is inconclusive, never a denial."""
    error = str(observation.error)
    detail = f" ({_bounded(observation.error_detail, 200)})" if observation.error_detail else ""
    if error.startswith("timeout"):
        phase = error.split(":", 1)[1] if ":" in error else "request"
        return _j(V.TIMEOUT, f"The probe timed out during {phase}{detail}; this is inconclusive, "
                          "not a denial.", Words(), combo)
    kind = {"refused": "the connection was refused", "reset": "the connection was reset",
            "dns": "the host name did not resolve (DNS)", "tls": "the TLS handshake failed"}.get(
        error, f"a network error occurred ({_bounded(error, 80)})")
    return _j(V.NETWORK_ERROR, f"No answer from Deepgram: {kind}{detail}; this is inconclusive, "
                      "not a denial.", Words(), combo)


def judge_refusal(status: int, words: Words, observation: Observation, combo: Combo) -> Judgement:
    """A 4xx: read Deepgram's words first, the status second."""
    text = words.text
    said = _says(words, status)
    if status == 402 or "payment_required" in text:
        return _j(V.PAYMENT_REQUIRED, f"{said}: the project has no credits left for this request.",
                          words, combo)
    if status == 429:
        return _j(V.RATE_LIMITED, f"{said}: the project's concurrency or rate limit was hit; "
                          "this is inconclusive.", words, combo)
    if status in (404, 405):
        what = "not found (no such path, host or id here)" if words.message else (
            f"this host does not serve {combo.surface.method} {combo.surface.path}")
        return _j(V.NOT_FOUND, f"{said}: {what}.", words, combo)
    if status == 408 or status == 499:
        return _j(V.TIMEOUT, f"{said}: the request timed out; this is inconclusive.", words, combo)
    if "unauthorized_features_requested" in text or "requested feature" in text:
        return judge_feature(status, words, combo)
    wrong = judge_wrong_endpoint(status, words, combo)
    if wrong is not None:
        return wrong
    if NOT_ENTITLED_WORDS in text and status in (401, 403):
        return judge_not_entitled(status, words, combo)
    if "invalid_auth" in text or "invalid credentials" in text or (status == 401 and "expired" in text):
        return _j(V.INVALID_AUTH, f"{said}: the credentials were refused (invalid, missing or "
                          "expired).", words, combo)
    if SCOPE_WORDS in text or (words.code or "").upper() == "INSUFFICIENT_PERMISSIONS":
        return _j(V.INSUFFICIENT_PERMISSIONS, f"{said}: the key is valid but lacks the permission "
                          "(scope or role) this request needs.", words, combo)
    if (words.shape == "modern" and (words.code or "").upper() in ("UNAUTHORIZED", "FORBIDDEN")
            and status in (401, 403)):
        if combo.surface.family == "manage":
            return _j(V.INSUFFICIENT_PERMISSIONS, f"{said}: the key may not use this management "
                              "endpoint (missing scope or role).", words, combo)
        return _j(V.INVALID_AUTH, f"{said}: the credentials were refused.", words, combo)
    if status == 401:
        return _j(V.INVALID_AUTH, f"{said}: 401 means the credentials were refused.", words, combo)
    if status == 400 or status in (411, 413, 414, 415, 422):
        return judge_bad_request(status, words, observation, combo)
    return _j(V.UNRECOGNISED, f"{said}, which we do not recognise as a Deepgram refusal; it is "
                      "not read as a denial.", words, combo)


def judge_feature(status: int, words: Words, combo: Combo) -> Judgement:
    features = None
    match = FEATURES_LIST.search(words.message or "")
    if match:
        features = ", ".join(_unique(f.strip(" \"'\\") for f in match.group(1).split(","))) or None
    return _j(V.FEATURE_NOT_ALLOWED, f"{_says(words, status)}: the feature is not allowed on "
                      f"{combo.surface.title or combo.surface.path}; this is not a model entitlement.",
                      words, combo, parameter=features)


def judge_not_entitled(status: int, words: Words, combo: Combo) -> Judgement:
    model = combo.model or "the requested model"
    said = _says(words, status)
    reason = (f"{said} for {model}: the project is not entitled to it, or no model of that name exists "
              "(Deepgram answers both the same way).")
    if combo.model and not is_published_model(combo.model, combo.surface.family):
        reason = (f"{said} for {model}: Deepgram gives this same answer for a model that does not exist, and "
                  f"{model} is not a model name Deepgram publishes, so check the spelling first.")
    return _j(V.NOT_ENTITLED, reason, words, combo)


def judge_wrong_endpoint(status: int, words: Words, combo: Combo) -> Judgement | None:
    """The model family on the wrong generation of endpoint (Flux on /v1/listen, Aura on /v2/speak, ...)."""
    if status != 400:
        return None
    right = _right_endpoint_from_code(words.code or "")
    text = words.text
    if right is None:
        if "not supported on the" in text and ("/v1/listen" in text or "/v2/speak" in text):
            guess = "/v2/listen" if "/v1/listen" in text else "/v1/speak"
            right = endpoint_for_wrong_family(combo) or guess
        else:
            family_right = endpoint_for_wrong_family(combo)
            about_model = "model" in text or bool(combo.model and combo.model.lower() in text)
            if family_right and about_model:
                right = family_right
    if right is None:
        return None
    return _j(V.WRONG_ENDPOINT, f"{_says(words, status)}: {combo.model or 'this model'} belongs on "
                      f"{right}, not {combo.surface.path}.", words, combo, right_endpoint=right)


def judge_bad_request(status: int, words: Words, observation: Observation, combo: Combo) -> Judgement:
    """A 400 (or 411/413/414/415/422): a malformed request or a TTS voice that does not exist."""
    said = _says(words, status)
    message = " ".join(p for p in (words.message, words.details) if p)
    if NO_SUCH_VOICE.search(message) or INVALID_MODEL_VALUE.search(message):
        return _j(V.UNKNOWN_MODEL, f"{said}: no voice or model named {combo.model} exists on "
                          f"{combo.surface.path}.", words, combo, parameter="model")
    if not words.code and not words.message:
        return _j(V.UNRECOGNISED, f"{said}; without Deepgram's words we cannot say what was wrong, "
                          "and it is not read as a denial.", words, combo)
    pairs = request_parameters(observation, combo)
    sent = _unique(name for name, _ in pairs)
    parameter = parameter_from_words(message, sent) or suspicious_parameter(pairs)
    named = f" (parameter `{parameter}`)" if parameter else ""
    return _j(V.MALFORMED_REQUEST, f"{said}: the request itself is malformed{named}; this is not "
                      "an entitlement problem.", words, combo, parameter=parameter)


# ----------------------------------------------------------------------------------------- streams


def _frame_data(frame: Any) -> Mapping[Any, Any] | None:
    data = getattr(frame, "data", None)
    if isinstance(data, str | bytes):
        data = decode_body(data)
    return data if isinstance(data, Mapping) else None


def fatal_frame(frames: Iterable[Frame]) -> Mapping[Any, Any] | None:
    """The first `Error` message on an accepted stream (Flux, agent, TTS v2); warnings are not fatal."""
    for frame in frames:
        data = _frame_data(frame)
        if data is not None and str(data.get("type", "")).lower() == "error":
            return data
    return None


def judge_stream(observation: Observation, combo: Combo) -> Judgement:
    """An accepted handshake: entitled unless an Error frame or an abnormal close says otherwise."""
    error = fatal_frame(observation.frames)
    if error is not None:
        return judge_error_frame(error, combo)
    code = observation.close_code if isinstance(observation.close_code, int) else None
    reason = _str(observation.close_reason) or ""
    if code is None or code in NORMAL_CLOSE_CODES:
        if "unknown variant" in reason.lower():
            return _j(V.MALFORMED_REQUEST, f'Deepgram closed the stream: "{_bounded(reason)}"; '
                              "a client message was malformed.", Words(message=reason), combo)
        closed = "with no close code" if code is None else f"normally ({code})"
        return _j(V.ENTITLED, f"Deepgram accepted the stream (101) and it closed {closed}.",
                          Words(), combo)
    words = Words(code=str(code), message=reason or None, shape="frame")
    quoted = f' "{_bounded(reason)}"' if reason else ""
    lowered = reason.lower()
    if code in (1008, 1003, 1007, 1009) or "unknown variant" in lowered:
        return _j(V.MALFORMED_REQUEST, f"Deepgram accepted the stream (101) then closed it {code}"
                          f"{quoted}: something the client sent was refused; not an entitlement problem.",
                          words, combo)
    if code == 1011 and ("did not receive" in lowered or "net-0001" in lowered or "net0001" in lowered):
        return _j(V.TIMEOUT, f"Deepgram accepted the stream (101) then closed it {code}{quoted}: it "
                          "waited for audio that never came; inconclusive.", words, combo)
    if code == 1006:
        return _j(V.NETWORK_ERROR, "Deepgram accepted the stream (101) but the connection dropped "
                          "without a close frame (1006); inconclusive.", words, combo)
    if code in (1001, 1011, 1012, 1013, 1014):
        return _j(V.SERVER_ERROR, f"Deepgram accepted the stream (101) then closed it {code}{quoted}: "
                          "a server-side failure, which says nothing about the account.", words, combo)
    return _j(V.UNRECOGNISED, f"Deepgram accepted the stream (101) then closed it {code}{quoted}, "
                      "which we do not recognise; it is not read as a denial.", words, combo)


def judge_error_frame(data: Mapping[Any, Any], combo: Combo) -> Judgement:
    words = words_from_mapping(data, "frame")
    said = f"Deepgram accepted the stream (101) then sent Error {words.quoted()}".rstrip()
    text = words.text
    if "internal" in text or "failed_to" in text or "server" in text:
        return _j(V.SERVER_ERROR, f"{said}: a server-side failure; inconclusive.", words, combo)
    if NOT_ENTITLED_WORDS in text or "insufficient_permissions" in text:
        return _j(V.NOT_ENTITLED, f"{said}: the project may not use {combo.model or 'this model'}.",
                          words, combo)
    if "timeout" in text:
        return _j(V.TIMEOUT, f"{said}: the server timed out waiting for the client; inconclusive.",
                          words, combo)
    if "unparsable" in text or "parsing" in text or "invalid" in text or "unknown variant" in text:
        parameter = parameter_from_words(words.message or "", [])
        return _j(V.MALFORMED_REQUEST, f"{said}: a client message was malformed; not an "
                          "entitlement problem.", words, combo, parameter=parameter)
    return _j(V.UNRECOGNISED, f"{said}, which we do not recognise; it is not read as a denial.",
                      words, combo)

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
- Before reading words, decide who spoke: a proxy, WAF, API gateway or captive portal answers with
  its own marks (407, a redirect elsewhere, HTML, a bare {"message"}); that answer is UNRECOGNISED
  with cause `not_deepgram`, never a denial, never an allow, and Deepgram is never blamed for it.
- When the evidence already decides a finer cause (an idle close, undecodable audio, a remote media
  failure, a bare status), the judgement carries it as `cause_hint`; every Deepgram fact used here
  lives in `facts.py` with its source.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import facts
from .facts import NORMAL_CLOSE_CODES, NOT_ENTITLED_WORDS, SCOPE_WORDS, URL_KEY_PARAMETERS
from .model import Combo, Family, Frame, Judgement, Observation, Verdict

V = Verdict  # short alias: the judging rules below read as a table

MAX_WORDS = 300  # Deepgram's words are quoted, bounded: a reason is one sentence, not a dump


# Query parameters Deepgram documents (docs/deepgram-facts.md): used to recognise a parameter named in
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


# The fields Deepgram's error bodies and frames carry, read one by one from a body that is not whole JSON: a
# client's log line or exception message cut it short ("...`encoding=opus..." in pipecat #2764), or the probe's
# size bound did.
SALVAGED_FIELDS = ("err_code", "err_msg", "error_code", "category", "message", "details", "code", "description",
                   "type", "request_id", "warn_code", "warn_msg")
# "field": "value" in JSON, or 'field': 'value' in a Python dict's repr; the closing quote may be cut off.
FIELD_VALUE = re.compile(r"""(["'])(""" + "|".join(SALVAGED_FIELDS)
                         + r""")\1\s*:\s*(["'])((?:(?!\3)[^\\]|\\.)*)(?:\3|$)""")


def salvage_fields(text: str) -> dict[str, str] | None:
    """The string fields of a cut-short JSON error body (the last value may be cut), or None if it has none."""
    found: dict[str, str] = {}
    for match in FIELD_VALUE.finditer(text):
        _, name, quote, value = match.groups()
        value = value.replace("\\" + quote, quote)
        if not match.group(0).endswith(quote) or (match.end() == len(text) and not text.rstrip().endswith("}")):
            value = facts.complete_cut_phrase(value)  # the text ends inside this value: it was cut here
        found.setdefault(name, value)
    return found or None


def decode_body(body: Any) -> Any:
    """Bytes become text, text that is JSON becomes JSON (a cut-short JSON object: the fields that survive)."""
    if isinstance(body, bytes | bytearray | memoryview):
        body = bytes(body).decode("utf-8", "replace")
    if isinstance(body, str):
        stripped = body.strip()
        if stripped[:1] in ("{", "["):
            try:
                return json.loads(stripped)
            except (ValueError, RecursionError):
                return salvage_fields(stripped[:100_000]) or body
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

# The model names Deepgram's spec publishes (docs/deepgram-facts.md). A hint, not proof: the live
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
    by_family = {Family.STT: stt, Family.FLUX: flux_stt, Family.TTS: aura, Family.TTS_FLUX: flux_voice}
    if family in by_family:
        return by_family[Family(family)]
    return stt or flux_stt or aura or flux_voice


def is_flux(model: str | None) -> bool:
    return bool(model) and str(model).lower().startswith("flux")


def is_aura(model: str | None) -> bool:
    return bool(model) and str(model).lower().startswith("aura")


def _path(combo: Combo) -> str:
    return combo.surface.path.rstrip("/")


def endpoint_for_wrong_family(combo: Combo) -> str | None:
    """The endpoint a model belongs on when it was sent to the other generation's endpoint."""
    if not combo.model:
        return None
    return facts.WRONG_GENERATION.get((_path(combo), is_flux(combo.model)))


def is_batch_only(model: str | None) -> bool:
    """A model Deepgram serves pre-recorded only (Whisper): a stream of it is the wrong endpoint."""
    return bool(model) and str(model).lower().startswith(facts.BATCH_ONLY_MODEL_PREFIXES)


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
    extra.setdefault("details", _bounded(words.details, 1000) if words.details else None)
    return Judgement(verdict=verdict, reason=reason, err_code=words.code,
                     err_msg=_bounded(words.message, 1000) if words.message else None,
                     model=combo.model, **extra)


# ------------------------------------------------------------------------------------- who answered


@dataclass(frozen=True)
class WhoAnswered:
    """Did Deepgram produce this answer? True, False, or None when nothing tells (a bare status)."""

    deepgram: bool | None
    signs: tuple[str, ...] = ()  # names from facts.MIDDLEBOX_SIGNS, or "deepgram: ..." marks


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url or "").hostname or "").lower()
    except ValueError:
        return ""


def is_html(body: Any, content_type: str | None) -> bool:
    if content_type and "html" in content_type.lower():
        return True
    if isinstance(body, str):
        head = body.lstrip()[:200].lower()
        return head.startswith(("<!doctype", "<html", "<head", "<body", "<center", "<title", "<?xml")) or (
            head.startswith("<") and "</" in body.lower())
    return False


DEEPGRAM_FRAME_TYPES = frozenset({"results", "metadata", "utteranceend", "speechstarted", "connected", "turninfo",
                                  "configuresuccess", "welcome", "settingsapplied", "error", "warning", "flushed",
                                  "cleared", "conversationtext", "history"})


def who_answered(observation: Observation, combo: Combo | None = None) -> WhoAnswered:
    """Decide from evidence classes (facts.MIDDLEBOX_SIGNS) whether Deepgram answered.

    Deepgram marks what it says (dg-request-id on every answer, its three body shapes, its close
    reasons); proxies, WAFs, API gateways and captive portals mark theirs (407, Location to another
    host, HTML, a bare {"message": ...}). A proxy's own credential demand or an answer from another host
    outweighs anything else; otherwise Deepgram's marks win; with no mark either way we say None.
    """
    headers = _lower_headers(observation.headers)
    body = decode_body(observation.body)
    status = observation.status if isinstance(observation.status, int) else None
    ctype = observation.content_type or _str(headers.get("content-type"))
    request_url = observation.request.url if observation.request is not None else None
    ours: list[str] = []
    theirs: list[str] = []
    strong: list[str] = []
    if any(_str(headers.get(h)) for h in facts.DEEPGRAM_HEADERS):
        ours.append("deepgram: dg-* header")
    html = is_html(body, ctype)
    if isinstance(body, Mapping):
        keys = {str(k) for k in body}
        if keys & facts.DEEPGRAM_BODY_KEYS:
            ours.append("deepgram: error body shape")
        elif keys and keys <= {"message", "Message"}:
            theirs.append("gateway_json")
    elif isinstance(body, str) and not html and any(t in body.lower()[:300] for t in facts.DEEPGRAM_PLAIN_TEXTS):
        ours.append("deepgram: documented plain text")
    frames = [f for f in observation.frames if isinstance(getattr(f, "data", None), Mapping)]
    if any(str(f.data.get("type", "")).lower() in DEEPGRAM_FRAME_TYPES for f in frames):
        ours.append("deepgram: stream messages")
    reason = (_str(observation.close_reason) or "").lower()
    if "dpgr.am" in reason or "deepgram" in reason or re.search(r"\b(net|data|big|message)-?\d{4}\b", reason):
        ours.append("deepgram: close reason")
    if status == 407 or _str(headers.get("proxy-authenticate")):
        strong.append("proxy_auth")
    answered_by = getattr(observation, "answered_by", None)
    asked = _host(request_url)
    if isinstance(answered_by, str) and answered_by and asked:
        by_host = answered_by.lower().rsplit(":", 1)[0] if ":" in answered_by else answered_by.lower()
        by_host = by_host.strip("[]")
        if by_host and by_host != asked and not (facts.is_deepgram_host(by_host) and facts.is_deepgram_host(asked)):
            strong.append("redirect_elsewhere")
    location = _str(headers.get("location"))
    if status is not None and 300 <= status < 400 and location:
        target = _host(location)
        if target and target != asked and not facts.is_deepgram_host(target):
            strong.append("redirect_elsewhere")
    if html:
        theirs.append("html_body")
    if not ours and any(_str(headers.get(h)) for h in facts.MIDDLEBOX_HEADERS):
        theirs.append("cdn_headers")
    if observation.close_code == 1008 and not reason and not frames:
        theirs.append("bare_policy_close")
    if strong:
        return WhoAnswered(False, tuple(dict.fromkeys(strong + theirs)))
    if ours:
        return WhoAnswered(True, tuple(ours))
    if theirs:
        return WhoAnswered(False, tuple(dict.fromkeys(theirs)))
    return WhoAnswered(None)


def sign_words(signs: Iterable[str]) -> str:
    """The evidence classes, in words."""
    table = {s.name: s.what for s in facts.MIDDLEBOX_SIGNS}
    return "; ".join(table.get(s, s) for s in signs)


def judge(observation: Observation, combo: Combo) -> Judgement:
    """Turn one observation into a Verdict with a reason quoting Deepgram. Never raises."""
    try:
        return _judge(observation, combo)
    except Exception as exc:  # a verdict must always come back: the run goes on, the cell says why
        return Judgement(verdict=Verdict.UNRECOGNISED,
                         reason=f"The answer could not be read ({type(exc).__name__}); it is not a denial.",
                         model=getattr(combo, "model", None))


NETWORK_KINDS = ("timeout", "refused", "reset", "dns", "tls")


def _judge(observation: Observation, combo: Combo) -> Judgement:
    judgement = _judge_answer(observation, combo)
    if judgement.answered_by_deepgram is None and judgement.cause_hint != "not_deepgram":
        who = who_answered(observation, combo) if observation.status is not None else WhoAnswered(None)
        judgement = replace(judgement, answered_by_deepgram=who.deepgram)
    return judgement


def _judge_answer(observation: Observation, combo: Combo) -> Judgement:
    status = observation.status if isinstance(observation.status, int) else None
    error = str(observation.error or "")
    if (status is None and combo.surface.transport == "ws" and observation.close_code == facts.ABNORMAL_CLOSE
            and not error.startswith(NETWORK_KINDS)):
        return judge_hidden_handshake(observation, combo)
    if observation.error and (status is None or status < 400) and status != 407:
        return judge_network(observation, combo)
    if status is None:
        return _j(V.UNRECOGNISED, "No answer was recorded (no status, no error); it is not a denial.",
                          Words(), combo)
    who = who_answered(observation, combo)
    if who.deepgram is False:
        return judge_middlebox(status, who, observation, combo)
    if status == 101:
        return judge_stream(observation, combo)
    words = deepgram_words(observation)
    if 200 <= status < 300:
        if combo.surface.transport == "ws":
            return _j(V.UNRECOGNISED, f"The WebSocket upgrade was answered {status} instead of 101 Switching "
                  "Protocols (a proxy in the way?); it is not a denial.", words, combo)
        useless = judge_accepted_output(observation, combo)
        if useless is not None:
            return useless
        return _j(V.ENTITLED, f"Deepgram accepted the request with {status}.", Words(), combo)
    if status < 200 or 300 <= status < 400:
        return _j(V.UNRECOGNISED, f"{_says(words, status)}, which is neither an acceptance nor a "
                          "refusal; it is not a denial.", words, combo)
    if status >= 500:
        return _j(V.SERVER_ERROR, f"{_says(words, status)}: a server error on Deepgram's side, "
                          "which says nothing about the account.", words, combo)
    return judge_refusal(status, words, observation, combo)


def judge_middlebox(status: int, who: WhoAnswered, observation: Observation, combo: Combo) -> Judgement:
    """Something between the client and Deepgram answered: inconclusive, never a denial or an allow."""
    headers = _lower_headers(observation.headers)
    where = _str(headers.get("location")) or getattr(observation, "answered_by", None)
    elsewhere = f" (answered from {_host(where) or where})" if where else ""
    return Judgement(verdict=V.UNRECOGNISED, model=combo.model, answered_by_deepgram=False, cause_hint="not_deepgram",
                     reason=f"The {status} did not come from Deepgram{elsewhere}: {sign_words(who.signs)}; it says "
                     "nothing about the account and is not a denial.")


def judge_foreign_service(observation: Observation, combo: Combo) -> Judgement | None:
    """A request to another service (not Deepgram's host, not a Deepgram API path) answered with none of
    Deepgram's marks: that service answered, so its refusal says nothing about Deepgram or the account."""
    url = observation.request.url if observation.request is not None else None
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if not host or facts.is_deepgram_host(host) or facts.is_deepgram_path(parts.path):
        return None
    if who_answered(observation, combo).deepgram is True:
        return None  # the service relayed Deepgram's own words: read those instead
    said = f"answered {observation.status}" if observation.status is not None else "failed"
    return Judgement(verdict=V.UNRECOGNISED, model=combo.model, answered_by_deepgram=False, cause_hint="not_deepgram",
                     reason=f"The request went to {host}{parts.path or '/'}, which is neither a Deepgram host nor a "
                     f"Deepgram API path, and it {said} with none of Deepgram's marks: that service answered, not "
                     "Deepgram; it is not a denial.")


def judge_hidden_handshake(observation: Observation, combo: Combo) -> Judgement:
    """A client-side 1006 before any 101: the browser (or client) hid the status of a refused upgrade."""
    return Judgement(verdict=V.UNRECOGNISED, model=combo.model, cause_hint="handshake_hidden",
                     reason="The WebSocket closed 1006 before the handshake completed: the client saw no status, "
                     "so the refusal's words are hidden (a browser never shows them); it is not a denial.")


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
    silent = not words.code and not words.message
    if silent:
        bare = judge_status_only(status, observation, combo)
        if bare is not None:
            return bare
    if any(w in text for w in facts.REMOTE_MEDIA_WORDS):
        return _j(V.SERVER_ERROR, f"{said}: Deepgram could not fetch the media from the URL you gave (the media "
                  "host's problem, not the request's and not an entitlement).", words, combo,
                  cause_hint="remote_media_error")
    stream_refusal = judge_wrong_endpoint(status, words, combo)
    if stream_refusal is not None:
        return stream_refusal
    by_code = judge_code_words(said, words, combo)
    if by_code is not None:
        return by_code
    if status == 402 or any(c in text for c in facts.PAYMENT_CODES):
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
    if any(c in text for c in facts.FEATURE_CODES):
        return judge_feature(status, words, combo)
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
        if combo.surface.family == Family.MANAGE:
            return _j(V.INSUFFICIENT_PERMISSIONS, f"{said}: the key may not use this management "
                              "endpoint (missing scope or role).", words, combo)
        return _j(V.INVALID_AUTH, f"{said}: the credentials were refused.", words, combo)
    if status == 401:
        return _j(V.INVALID_AUTH, f"{said}: 401 means the credentials were refused.", words, combo)
    if status == 400 or status in (411, 413, 414, 415, 422):
        return judge_bad_request(status, words, observation, combo)
    return _j(V.UNRECOGNISED, f"{said}, which we do not recognise as a Deepgram refusal; it is "
                      "not read as a denial.", words, combo)


def judge_status_only(status: int, observation: Observation, combo: Combo) -> Judgement | None:
    """A refusal with no words at all: only what the status itself allows; the diagnosis ranks causes."""
    words = Words()
    said = f"Deepgram (or something on the way) answered {status} with no words"
    if status == 405 and combo.surface.transport == "ws" and is_batch_only(combo.model):
        right = f"POST {facts.LISTEN_V1} (pre-recorded)"
        return _j(V.WRONG_ENDPOINT, f"{said}: {combo.model} is served pre-recorded only, so a stream of it is "
                  "refused.", words, combo, right_endpoint=right)
    if status in (402, 408, 429, 499) or status >= 500:
        return None
    verdict = V.INVALID_AUTH if status == 401 else V.NOT_FOUND if status in (404, 405) else V.UNRECOGNISED
    return _j(verdict, f"{said}; the status alone cannot say which cause, and it is not read as a denial.",
              words, combo, cause_hint="status_only")


# A code's own words, read when the code is not one we know (facts.code_meaning): the verdict and cause each
# meaning leads to, and what it means in one clause. malformed_request and not_found are left to the status
# rules below, which also name the parameter or the path.
CODE_VERDICTS: Mapping[str, tuple[Verdict, str | None, str]] = {
    "idle_timeout": (V.TIMEOUT, "idle_timeout", "the stream was idle too long (Deepgram got no audio or message in "
                     "time); inconclusive, not a denial"),
    "remote_media_error": (V.SERVER_ERROR, "remote_media_error", "Deepgram could not fetch the media from the URL "
                           "(the media host's problem, not an entitlement)"),
    "no_credits": (V.PAYMENT_REQUIRED, None, "the project has no credits left for this request"),
    "missing_scope": (V.INSUFFICIENT_PERMISSIONS, None, "the key lacks the permission (scope) this request needs"),
    "invalid_key": (V.INVALID_AUTH, None, "the credentials were refused"),
    "rate_limited": (V.RATE_LIMITED, None, "a rate or concurrency limit was hit; inconclusive"),
    "server_error": (V.SERVER_ERROR, None, "a failure on Deepgram's side, which says nothing about the account"),
    "timeout": (V.TIMEOUT, None, "something timed out; inconclusive, not a denial"),
}


def judge_code_words(said: str, words: Words, combo: Combo) -> Judgement | None:
    """A Deepgram error code we have no rule for, judged from its own words (INACTIVE_CLIENT: idle)."""
    code = words.code or ""
    if code.upper() in facts.DEEPGRAM_ERROR_CODES:
        return None
    meaning = facts.code_meaning(code)
    if meaning is None or meaning.cause not in CODE_VERDICTS:
        return None
    verdict, hint, what = CODE_VERDICTS[meaning.cause]
    return _j(verdict, f"{said}: {what} (read from the code's own words).", words, combo, cause_hint=hint)


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
    """The model family on the wrong generation of endpoint (Flux on /v1/listen, Aura on /v2/speak, ...),
    or a batch-only model on a stream (Deepgram's words say "streaming"), decided from the words first."""
    right = _right_endpoint_from_code(words.code or "")
    text = words.text
    about_a_model = "model" in text or bool(combo.model and combo.model.lower() in text)
    if right is None and about_a_model and facts.STREAMING_REFUSAL.search(text):
        right = f"POST {facts.LISTEN_V1} (pre-recorded)"
    if right is None and status != 400:
        return None
    if right is None:
        if "not supported on the" in text and (facts.LISTEN_V1 in text or facts.SPEAK_V2 in text):
            guess = facts.LISTEN_V2 if facts.LISTEN_V1 in text else facts.SPEAK_V1
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
    if combo.surface.family in (Family.STT, Family.FLUX) and any(w in message.lower() for w in facts.UNDECODABLE_AUDIO):
        return _j(V.MALFORMED_REQUEST, f"{said}: the audio could not be decoded; not an entitlement problem.", words,
                  combo, cause_hint="undecodable_audio")
    if any(p.search(message) for p in facts.LANGUAGE_REFUSALS):
        return _j(V.MALFORMED_REQUEST, f"{said}: {combo.model or 'this model'} does not offer the language asked "
                  "for; this is not an entitlement problem.", words, combo, parameter="language",
                  cause_hint="unsupported_language")
    parameter = parameter_from_words(message, sent) or suspicious_parameter(pairs)
    batch_only = [n for n in facts.prerecorded_only_features(pairs) if n in (parameter or "").split(", ")]
    if combo.surface.transport == "ws" and combo.surface.family == Family.STT and batch_only:
        return _j(V.FEATURE_NOT_ALLOWED, f"{said}: `{batch_only[0]}` is a pre-recorded feature, not offered on a "
                  "stream; not a model entitlement.", words, combo, parameter=", ".join(batch_only))
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
        useless = judge_accepted_output(observation, combo)
        if useless is not None:
            return useless
        closed = "with no close code" if code is None else f"normally ({code})"
        return _j(V.ENTITLED, f"Deepgram accepted the stream (101) and it closed {closed}.",
                          Words(), combo)
    words = Words(code=str(code), message=reason or None, shape="frame")
    quoted = f' "{_bounded(reason)}"' if reason else ""
    lowered = reason.lower()
    speech = combo.surface.family in (Family.TTS, Family.TTS_FLUX)
    if any(w in lowered for w in facts.TTS_RATE_WINDOW):
        return _j(V.RATE_LIMITED, f"Deepgram closed the TTS stream {code}{quoted}: too many characters in the "
                  "rate window; inconclusive, not a denial.", words, combo, cause_hint="tts_rate_limit")
    if not speech and any(w in lowered for w in facts.UNDECODABLE_AUDIO):
        return _j(V.MALFORMED_REQUEST, f"Deepgram accepted the stream (101) then closed it {code}{quoted}: the "
                  "audio it received could not be decoded; not an entitlement problem.", words, combo,
                  cause_hint="undecodable_audio")
    idle_in = any(w in lowered for w in facts.IDLE_NOTHING_RECEIVED)
    idle_out = any(w in lowered for w in facts.IDLE_NOTHING_SENT)
    if code == 1011 and (idle_in or (idle_out and not speech)):
        what = ("it waited for audio or a message that never came" if idle_in else
                "it produced no response within the window (it got nothing it could transcribe)")
        # NET-0001 is the client's silence (a timeout); NET-0000 is Deepgram's (documented as the service not
        # transmitting), so it stays a server-side verdict while the diagnosis says what to send.
        verdict = V.TIMEOUT if idle_in else V.SERVER_ERROR
        return _j(verdict, f"Deepgram accepted the stream (101) then closed it {code}{quoted}: {what}; "
                  "inconclusive, not a denial.", words, combo, cause_hint="idle_timeout")
    if code in (1008, 1003, 1007, 1009) or "unknown variant" in lowered:
        return _j(V.MALFORMED_REQUEST, f"Deepgram accepted the stream (101) then closed it {code}"
                          f"{quoted}: something the client sent was refused; not an entitlement problem.",
                          words, combo)
    if code == 1006:
        return _j(V.NETWORK_ERROR, "Deepgram accepted the stream (101) but the connection dropped "
                          "without a close frame (1006); inconclusive.", words, combo)
    if code in (1001, 1011, 1012, 1013, 1014):
        return _j(V.SERVER_ERROR, f"Deepgram accepted the stream (101) then closed it {code}{quoted}: "
                          "a server-side failure, which says nothing about the account.", words, combo)
    return _j(V.UNRECOGNISED, f"Deepgram accepted the stream (101) then closed it {code}{quoted}, "
                      "which we do not recognise; it is not read as a denial.", words, combo)


def _transcripts(data: Mapping[Any, Any]) -> list[str]:
    """Every transcript in a streaming Results message or a pre-recorded response."""
    out: list[str] = []
    channel = data.get("channel")
    channels = [channel] if isinstance(channel, Mapping) else []
    results = data.get("results")
    if isinstance(results, Mapping) and isinstance(results.get("channels"), list):
        channels += [c for c in results["channels"] if isinstance(c, Mapping)]
    for ch in channels:
        for alt in ch.get("alternatives") or ():
            if isinstance(alt, Mapping):
                out.append(str(alt.get("transcript") or ""))
    return out


def judge_accepted_output(observation: Observation, combo: Combo, audio_sent: bool | None = None) -> Judgement | None:
    """Accepted, but useless: transcripts that are all empty with a zero duration, or zero audio decoded.

    Only when audio was sent (a handshake-only probe legitimately gets `duration: 0`): the caller says so,
    or the observation's cost shows audio went out. Evidence: "Live transcriber is only returning metadata"
    (tempo-riz/deepgram_speech_to_text #7: Metadata duration 0.0, channels 0 without encoding/sample_rate).
    """
    if audio_sent is None:  # a stream carries a body only when the user gave audio (explain --audio)
        body_bytes = observation.request.body_bytes if observation.request is not None else 0
        audio_sent = observation.cost.audio_seconds > 0 or (combo.surface.transport == "ws" and body_bytes > 0)
    sent = audio_sent
    if not sent or combo.surface.family not in (Family.STT, Family.FLUX):
        return None
    messages = [d for d in (_frame_data(f) for f in observation.frames) if d is not None]
    body = decode_body(observation.body)
    if isinstance(body, Mapping):
        messages.append(body)
    transcripts = [t for m in messages for t in _transcripts(m)]
    durations = []
    for m in messages:
        inner = m.get("metadata")
        meta: Mapping[Any, Any] = inner if isinstance(inner, Mapping) else m
        if str(m.get("type", "")).lower() in ("metadata", "") and isinstance(meta.get("duration"), int | float):
            durations.append(float(meta["duration"]))
    zero = bool(durations) and max(durations) == 0.0
    empty = bool(transcripts) and not any(t.strip() for t in transcripts)
    if not (zero or (empty and (zero or not durations))):
        return None
    what = "a zero audio duration" if zero else "only empty transcripts"
    return _j(V.MALFORMED_REQUEST, f"Deepgram accepted the request but returned {what}: the audio was not "
              "decodable as described (container header, encoding or sample_rate); not an entitlement problem.",
              Words(), combo, cause_hint="undecodable_audio")


# Deepgram accepts a request and says, in a warning, that it ignored part of it: pre-recorded responses carry
# `metadata.warnings: [{parameter, type, message}]` (the SDKs' response types, e.g. deepgram-python-sdk 3.x
# `Warning`), streams send `Warning` messages; a client may show only the message ("Topics is only supported
# for English.", hyperaudio/hyperaudio-lite-editor #598, maintainer: "Deepgram returns an `unsupported_language`
# warning"). A request's output missing what it asked for is then the request's problem, not the account's.
LANGUAGE_WARNING = re.compile(r"(language|only supported for [A-Z][a-z]+)", re.I)


def _warnings(observation: Observation) -> list[Mapping[Any, Any]]:
    body = decode_body(observation.body)
    found: list[Mapping[Any, Any]] = []
    if isinstance(body, Mapping):
        meta = body.get("metadata")
        for holder in (meta if isinstance(meta, Mapping) else {}, body):
            items = holder.get("warnings")
            found += [w for w in (items if isinstance(items, list) else []) if isinstance(w, Mapping)]
    elif isinstance(body, str) and facts.status_for_words(body) is not None:
        found.append({"message": body.strip()})  # the client showed Deepgram's warning and nothing else
    for frame in observation.frames:
        data = _frame_data(frame)
        if data is not None and str(data.get("type", "")).lower() == "warning":
            found.append(data)
    return found


def judge_warnings(observation: Observation, combo: Combo) -> Judgement | None:
    """An accepted request Deepgram warned about: the first warning, as a request problem (None: no warning)."""
    warnings = _warnings(observation)
    if not warnings:
        return None
    first = warnings[0]
    words = words_from_mapping(first, "frame")
    kind = str(first.get("type") or "")
    parameter = _str(first.get("parameter")) or parameter_from_words(words.message or "", [
        n for n, _ in request_parameters(observation, combo)])
    language = "language" in kind.lower() or bool(LANGUAGE_WARNING.search(words.message or ""))
    said = f"Deepgram accepted the request ({observation.status}) but warned {words.quoted() or kind}".rstrip()
    if language:
        return _j(V.MALFORMED_REQUEST, f"{said}: part of the request is not offered for this language, so Deepgram "
                  "ignored it; not an entitlement problem.", words, combo, parameter=parameter,
                  cause_hint="unsupported_language")
    return _j(V.MALFORMED_REQUEST, f"{said}: Deepgram ignored part of the request; not an entitlement problem.",
              words, combo, parameter=parameter)


def judge_error_frame(data: Mapping[Any, Any], combo: Combo) -> Judgement:
    words = words_from_mapping(data, "frame")
    said = f"Deepgram accepted the stream (101) then sent Error {words.quoted()}".rstrip()
    text = words.text
    by_code = judge_code_words(said, words, combo)
    if by_code is not None and by_code.verdict is not V.SERVER_ERROR:
        return by_code  # the code's words decide; "failed"/"internal" are read by the rule below as before
    if "internal" in text or "failed_to" in text or "server" in text:
        return _j(V.SERVER_ERROR, f"{said}: a server-side failure; inconclusive.", words, combo)
    if NOT_ENTITLED_WORDS in text or "insufficient_permissions" in text:
        return _j(V.NOT_ENTITLED, f"{said}: the project may not use {combo.model or 'this model'}.",
                          words, combo)
    if "timeout" in text:
        return _j(V.TIMEOUT, f"{said}: the server timed out waiting for the client; inconclusive.",
                          words, combo)
    if ("unparsable" in text or "parsing" in text or "invalid" in text or "unknown variant" in text
            or facts.CLIENT_MESSAGE_REFUSAL.search(text)):
        parameter = parameter_from_words(words.message or "", [])
        return _j(V.MALFORMED_REQUEST, f"{said}: a client message was malformed; not an "
                          "entitlement problem.", words, combo, parameter=parameter)
    return _j(V.UNRECOGNISED, f"{said}, which we do not recognise; it is not read as a denial.",
                      words, combo)

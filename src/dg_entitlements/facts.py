"""Facts about Deepgram (and about what sits between a client and Deepgram) as data, with sources.

Verdicts, controls and the diagnosis branch on these facts, never on path literals of their own:
when Deepgram moves an endpoint, renames an error code or changes a limit, one line here changes
and every rule follows. Each fact names where it comes from (a documentation page, an SDK file, a
public issue with a verbatim capture), because /work-side notes are not shipped: the repository
must carry its own evidence. `tests/unit/test_facts.py` checks that every product family has an
entry and that the verdict -> diagnosis table has no hole.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

from .model import Family

# ------------------------------------------------------------------------------------------ endpoints
# https://developers.deepgram.com/reference/speech-to-text-api/listen (v1), .../listen-v2 (Flux),
# https://developers.deepgram.com/reference/text-to-speech-api/speak, .../read, .../voice-agent
LISTEN_V1 = "/v1/listen"
LISTEN_V2 = "/v2/listen"
SPEAK_V1 = "/v1/speak"
SPEAK_V2 = "/v2/speak"
READ_V1 = "/v1/read"
AGENT_V1 = "/v1/agent/converse"
AUTH_GRANT = "/v1/auth/grant"  # https://developers.deepgram.com/docs/token-based-auth
PROJECTS_PREFIX = "/v1/projects"  # https://developers.deepgram.com/reference/management-api
MANAGE_HOST = "api.deepgram.com"  # regional hosts answer 404 on /v1/projects/* (observed)
DEEPGRAM_HOST_SUFFIXES = ("deepgram.com",)  # api., api.eu., agent. ... https://developers.deepgram.com/docs/
# Endpoints that check the query before the key (observed: a bogus key still gets the 400).
VALIDATES_BEFORE_AUTH = frozenset({LISTEN_V2, SPEAK_V2})


@dataclass(frozen=True)
class FamilyFacts:
    """What one product family is: where it lives, what a raw-audio request must carry, how streams idle."""

    paths: tuple[str, ...]
    required_parameters: frozenset[str] = frozenset()
    # Which body a success carries: a 200 HTML page on these is never Deepgram's answer.
    success_content: tuple[str, ...] = ("application/json",)
    keepalive: str | None = None  # how to keep an idle stream open, None: no KeepAlive message exists
    catalogue: str = "GET /v1/models"  # where valid model names are listed
    model_prefixes: tuple[str, ...] = ()  # model names that belong to this family


FAMILY_FACTS: Mapping[Family, FamilyFacts] = {
    # https://developers.deepgram.com/docs/audio-keep-alive: `{"type":"KeepAlive"}` as a TEXT frame,
    # every 3-5 s; raw audio needs encoding + sample_rate (https://developers.deepgram.com/docs/encoding)
    Family.STT: FamilyFacts(paths=(LISTEN_V1,), required_parameters=frozenset({"encoding", "sample_rate"}),
                            keepalive='send `{"type": "KeepAlive"}` as a TEXT frame every 3-5 s while no audio '
                                      "flows (a binary frame is not a KeepAlive)",
                            model_prefixes=("nova", "enhanced", "base", "whisper")),
    # Flux: https://developers.deepgram.com/reference/speech-to-text/listen-flux: no KeepAlive message;
    # the stream expects audio continuously (send silence while the user is quiet).
    Family.FLUX: FamilyFacts(paths=(LISTEN_V2,), required_parameters=frozenset({"encoding", "sample_rate"}),
                             keepalive=None, catalogue="flux-general-en, flux-general-multi",
                             model_prefixes=("flux-general",)),
    Family.TTS: FamilyFacts(paths=(SPEAK_V1,), required_parameters=frozenset({"encoding", "sample_rate"}),
                            success_content=("audio/", "application/octet-stream"),
                            keepalive="send text or a Flush at least every few seconds",
                            catalogue="GET /v1/models (tts)", model_prefixes=("aura",)),
    Family.TTS_FLUX: FamilyFacts(paths=(SPEAK_V2,), required_parameters=frozenset({"encoding", "sample_rate"}),
                                 success_content=("audio/", "application/octet-stream"),
                                 catalogue="GET /v2/models", model_prefixes=("flux-",)),
    Family.READ: FamilyFacts(paths=(READ_V1,), required_parameters=frozenset({"language"})),
    Family.AGENT: FamilyFacts(paths=(AGENT_V1,), keepalive='send `{"type": "KeepAlive"}` every 5 s '
                              "(https://developers.deepgram.com/docs/voice-agent-keep-alive)"),
    Family.MANAGE: FamilyFacts(paths=(PROJECTS_PREFIX, AUTH_GRANT, "/v1/models", "/v1/auth/token")),
}

# The other generation's endpoint for a model family (observed 400s, docs/deepgram-facts.md):
# {"err_code":"V2_MODEL_ON_V1_LISTEN_ENDPOINT", ...} (openclaw #129452), V1_MODEL_ON_V2_SPEAK_ENDPOINT.
WRONG_GENERATION: Mapping[tuple[str, bool], str] = {
    (LISTEN_V2, False): LISTEN_V1,  # a non-Flux model on /v2/listen
    (LISTEN_V1, True): LISTEN_V2,  # a Flux model on /v1/listen
    (SPEAK_V2, False): SPEAK_V1,
    (SPEAK_V1, True): SPEAK_V2,
}
# Models that Deepgram serves only pre-recorded (https://developers.deepgram.com/docs/deepgram-whisper-cloud:
# "Whisper Cloud ... is only available for pre-recorded audio"; 405 on the stream, dotnet-sdk #304).
BATCH_ONLY_MODEL_PREFIXES = ("whisper",)

# ------------------------------------------------------------------------------------------ credentials
# Keys go in `Authorization: Token <key>`, temporary JWTs in `Authorization: Bearer <jwt>`
# (https://developers.deepgram.com/docs/token-based-auth); browsers use
# `Sec-WebSocket-Protocol: token, <key>` or `bearer, <jwt>` (JS SDK AbstractLiveClient.ts).
SUBPROTOCOL_SCHEMES = ("token", "bearer")
# Query names people put a credential under; Deepgram documents none of them (docs/deepgram-facts.md).
URL_KEY_PARAMETERS = ("token", "access_token", "key", "api_key", "apikey")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# A key's id and a project's id are UUIDs (POST /v1/projects/{id}/keys answers {api_key_id, key, ...}; the `key`
# is the secret, shown once): a UUID sent as the credential is an id, never a key.
UUID_SHAPE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
KEY_SHAPE = re.compile(r"[0-9a-f]{40}")

# ------------------------------------------------------------------------------------------ Deepgram's words
# https://developers.deepgram.com/docs/errors (403 model, 401 scope) and docs/deepgram-facts.md.
NOT_ENTITLED_WORDS = "does not have access to the requested model"
SCOPE_WORDS = "does not have sufficient permissions"
FEATURE_CODES = ("unauthorized_features_requested", "requested feature")
PAYMENT_CODES = ("payment_required",)
# REMOTE_CONTENT_ERROR: "The remote server hosting the media failed to return valid data"
# (deepgram-js-sdk #263); "Could not determine if URL for audio download is publicly routable." (#222)
# "Fetching failed to get valid content-length." (deepgram-js-sdk #135, maintainer: the URL was a web page, not
# a media file). The first group is Deepgram's own wording (read as Deepgram's words even without a status);
# "failed to fetch" is also a browser's generic fetch() failure, so it counts only with Deepgram's answer.
REMOTE_MEDIA_PHRASES = ("remote server hosting the media", "url for audio download", "fetching failed",
                        "valid content-length")
REMOTE_MEDIA_WORDS = ("remote_content_error", *REMOTE_MEDIA_PHRASES, "failed to fetch", "could not fetch",
                      "unable to download", "could not download")
# "Keywords are not supported for Nova-3. Please use `keyterm` instead." (EpicenterHQ/epicenter #895)
# "`keyterm` is only supported for Nova-3 and Flux. Please use `keywords` instead." (docs/deepgram-facts.md)
LANGUAGE_REFUSALS = (re.compile(r"no such model/language/tier combination", re.I),
                     re.compile(r"language\b.*\bnot (supported|available)", re.I),
                     re.compile(r"(unsupported|invalid) language", re.I))
# 405 on a stream for a batch-only model; Deepgram's words when it gives them name streaming.
STREAMING_REFUSAL = re.compile(r"(not (available|supported) for (live )?stream|streaming is not)", re.I)
# The voice agent refusing a client message (https://developers.deepgram.com/docs/voice-agent-errors-warnings,
# UNPARSABLE_CLIENT_MESSAGE): "Text message received from client did not match any of the formats we expect."
# (deepgram-devs/flask-agent-function-calling-demo #17), "Error parsing client message. Check the greeting field
# against the API spec." (deepgram-starters/node-voice-agent #5).
CLIENT_MESSAGE_REFUSAL = re.compile(r"(received from (the )?client|client message|did not match any of the formats|"
                                    r"against the api spec)", re.I)

# ------------------------------------------------------------------------------------------ stream closes
# STT: https://developers.deepgram.com/docs/stt-troubleshooting-websocket-data-and-net-errors
# TTS: https://developers.deepgram.com/docs/tts-troubleshooting-websocket-net-and-data-errors
# Reason strings are sentences: "Deepgram did not receive audio data or a text message within the
# timeout window. See https://dpgr.am/net0001" (pipecat #1113), "... did not provide a response message
# ... https://dpgr.am/net0000" (deepgram-python-sdk #509).
IDLE_NOTHING_RECEIVED = ("net-0001", "net0001", "did not receive audio data")
IDLE_NOTHING_SENT = ("net-0000", "net0000", "did not provide a response")
# REST: "Bad Request: failed to process audio: corrupt or unsupported data" (https://developers.deepgram.com/docs/errors)
UNDECODABLE_AUDIO = ("data-0000", "data0000", "cannot be decoded", "could not be decoded", "corrupt or unsupported",
                     "failed to process audio")
TTS_RATE_WINDOW = ("data-0001", "data0001", "too many characters in window")
TTS_TOO_BIG = ("big-0000", "big-0001", "big0000", "big0001")
NORMAL_CLOSE_CODES = frozenset({1000, 1005})
# Deepgram closes a stream normally only when the client asked it to: a CloseStream message, or a zero-length
# binary frame, which it treats as a close (https://developers.deepgram.com/docs/stt-troubleshooting-websocket-
# data-and-net-errors: "Sending an empty byte (e.g., b'') will cause unexpected closures"). A MediaRecorder that
# delivers an empty Blob does exactly that (deepgram-starters/nextjs-live-transcription #13, merged fix).
CLIENT_ASKED_CLOSE = "a CloseStream message or a zero-length binary frame (an empty audio chunk)"
ABNORMAL_CLOSE = 1006  # RFC 6455 §7.1.5: no close frame; a browser also reports it for a refused upgrade

# ------------------------------------------------------------------------------------------ who answered
# Evidence classes that say who produced an answer. Deepgram marks every answer (docs/deepgram-facts.md):
# `dg-request-id` on every response, `dg-error` on failed upgrades and REST errors, JSON bodies in
# three shapes. A proxy, WAF, CDN, API gateway or captive portal marks its own.
DEEPGRAM_HEADERS = ("dg-request-id", "dg-error", "dg-project-id", "dg-model-name")
DEEPGRAM_BODY_KEYS = frozenset({"err_code", "err_msg", "error_code", "category", "request_id", "metadata",
                                "results"})
# Plain-text bodies Deepgram is documented to send (docs/deepgram-facts.md): only these count as its words.
DEEPGRAM_PLAIN_TEXTS = ("invalid credentials", "user does not have sufficient permissions", "uuid parsing failed",
                        "invalid request:", "project not found")


@dataclass(frozen=True)
class MiddleboxSign:
    """One class of evidence that someone other than Deepgram answered, and where the shape is documented."""

    name: str
    what: str  # in words, for the evidence line
    source: str


MIDDLEBOX_SIGNS: tuple[MiddleboxSign, ...] = (
    MiddleboxSign("proxy_auth", "407 / Proxy-Authenticate: a proxy wants its own credentials",
                  "RFC 9110 §11.7.1, §15.5.8; squid ERR_CACHE_ACCESS_DENIED (squid-cache.org/Doc/config/)"),
    MiddleboxSign("redirect_elsewhere", "a redirect (3xx Location) or an answer from a host other than the "
                  "one requested", "RFC 9110 §15.4; captive portals redirect every request (RFC 8952 §2)"),
    MiddleboxSign("html_body", "an HTML page where Deepgram sends JSON, audio or a WebSocket upgrade",
                  "nginx default error pages (nginx src/http/ngx_http_special_response.c), Cloudflare block "
                  "pages (developers.cloudflare.com/waf), captive portals (RFC 8952)"),
    MiddleboxSign("gateway_json", 'a JSON body with only a "message" (no err_code/category/request_id)',
                  'AWS API Gateway {"message":"Unauthorized"} / {"message":"Forbidden"} '
                  "(docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html)"),
    MiddleboxSign("cdn_headers", "CDN/WAF/gateway headers (cf-ray, x-amzn-requestid, x-cache, via) with no "
                  "Deepgram header", "developers.cloudflare.com/fundamentals/reference/http-headers/; "
                  "RFC 9110 §7.6.3 (Via)"),
    MiddleboxSign("bare_policy_close", "a 1008 close with no reason and no Deepgram frame: Deepgram's 1008 "
                  "closes carry a code (DATA-0000)", "developers.deepgram.com/docs/"
                  "stt-troubleshooting-websocket-data-and-net-errors"),
)
MIDDLEBOX_HEADERS = ("cf-ray", "x-amzn-requestid", "x-amz-apigw-id", "x-cache", "via", "x-squid-error",
                     "x-iinfo", "x-sucuri-id", "x-akamai-request-id")

# ------------------------------------------------------------------------------------------ status alone
# When an answer carries a status and no words, the causes it allows, most likely first. Keyed by
# (status, family) with (status, None) the fallback. Ranked from how often each cause appears in
# public reports (deepgram SDK issues, pipecat, livekit agents) and from what Deepgram documents.
STATUS_CANDIDATES: Mapping[tuple[int, Family | None], tuple[str, ...]] = {
    (400, Family.FLUX): ("malformed_request", "wrong_endpoint", "key_in_url"),
    (400, Family.TTS_FLUX): ("malformed_request", "wrong_endpoint"),
    (400, None): ("malformed_request", "unsupported_language", "wrong_endpoint", "key_in_url"),
    (401, None): ("invalid_key", "wrong_auth_scheme", "expired_token", "missing_key"),
    (402, None): ("no_credits",),
    (403, Family.MANAGE): ("missing_scope", "invalid_key", "not_deepgram"),
    (403, None): ("not_entitled_or_no_such_model", "feature_not_allowed", "missing_scope", "not_deepgram"),
    (404, None): ("not_found", "wrong_endpoint"),
    (405, None): ("wrong_endpoint", "not_found"),
    (429, None): ("rate_limited",),
    # 411 on pre-recorded audio: a URL source whose host gave Deepgram no usable length (deepgram-python-sdk
    # #293: a CGI download script; a plain mp3 URL worked), or an upload sent with no length at all.
    (411, Family.STT): ("remote_media_error", "malformed_request", "not_deepgram"),
}
STATUS_FALLBACK = ("malformed_request", "not_deepgram", "server_error")


def candidates_for(status: int | None, family: Family | str | None) -> tuple[str, ...]:
    """The causes a bare status allows, most likely first."""
    if status is None:
        return ()
    fam = Family(family) if family in {f.value for f in Family} else None
    return (STATUS_CANDIDATES.get((status, fam)) or STATUS_CANDIDATES.get((status, None))
            or (("server_error",) if status >= 500 else STATUS_FALLBACK))


def family_facts(family: Family | str) -> FamilyFacts:
    return FAMILY_FACTS[Family(family)]


def is_deepgram_host(host: str | None) -> bool:
    """A host under Deepgram's domains (api.deepgram.com, api.eu.deepgram.com, agent.deepgram.com ...)."""
    name = (host or "").lower().split(":", 1)[0].rstrip(".")
    return any(name == s or name.endswith("." + s) for s in DEEPGRAM_HOST_SUFFIXES)


# ------------------------------------------------------------------------------------------ parameters by model
# Options one model family takes and another refuses. Sources: https://developers.deepgram.com/docs/keyterm
# ("Keyterm Prompting is only available for Nova-3 and Flux"); https://developers.deepgram.com/docs/keywords
# (not for Nova-3); verbatim refusals: "Keywords are not supported for Nova-3. Please use `keyterm` instead."
# (EpicenterHQ/epicenter #895), "`keyterm` is only supported for Nova-3 and Flux. Please use `keywords`
# instead." (docs/deepgram-facts.md); Flux keyterms over 100 characters in total refused with 400
# (deepgram/deepgram-python-sdk #616); comma-joined terms are one literal term (LeonardoTrapani/hyprvoice #42).
KEYTERM_MODEL_PREFIXES = ("nova-3", "flux")
FLUX_KEYTERM_MAX_CHARS = 100
RAW_AUDIO_DOCS = "https://developers.deepgram.com/docs/encoding"

PARAMETER_ADVICE: Mapping[str, str] = {
    "keyterm": "`keyterm` works only with Nova-3 and Flux: on older models use `keywords` (or move to nova-3), "
               "and send one `keyterm=` per term, never terms joined by commas",
    "keywords": "`keywords` is not supported on Nova-3 or Flux: send each term as its own `keyterm=` parameter",
    "encoding": "raw audio needs `encoding` and `sample_rate` matching the bytes you send "
                f"({RAW_AUDIO_DOCS}); audio in a container (wav, webm, ogg, mp3) needs neither",
    "sample_rate": "raw audio needs `encoding` and `sample_rate` matching the bytes you send "
                   f"({RAW_AUDIO_DOCS}); audio in a container (wav, webm, ogg, mp3) needs neither",
    "callback": "a callback is a full https:// URL",
    "language": "use a language the model offers (GET /v1/models lists each model's languages) or drop `language`",
    # https://developers.deepgram.com/docs/language-detection: detection is pre-recorded; a stream takes `multi`
    "detect_language": "language detection is pre-recorded only: on a stream send `language=multi` (code-switching "
                       "on nova-3) or one `language`",
}


def takes_keyterm(model: str | None) -> bool:
    return bool(model) and str(model).lower().startswith(KEYTERM_MODEL_PREFIXES)


def parameter_conflicts(model: str | None, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Parameters this model refuses, decided from the request alone: (name, why), most certain first."""
    out: list[tuple[str, str]] = []
    names = [n for n, _ in pairs]
    if "keywords" in names and takes_keyterm(model):
        out.append(("keywords", PARAMETER_ADVICE["keywords"]))
    elif any("," in v for n, v in pairs if n == "keywords"):
        out.append(("keywords", "keywords joined by commas are one literal keyword: repeat `keywords=` once per term"))
    keyterms = [v for n, v in pairs if n == "keyterm"]
    if keyterms and model and not takes_keyterm(model):
        out.append(("keyterm", PARAMETER_ADVICE["keyterm"]))
    elif any("," in v for v in keyterms):
        out.append(("keyterm", "terms joined by commas are one literal term: repeat `keyterm=` once per term"))
    elif (model or "").lower().startswith("flux") and sum(len(v) for v in keyterms) > FLUX_KEYTERM_MAX_CHARS:
        out.append(("keyterm", f"Flux refuses keyterms longer than {FLUX_KEYTERM_MAX_CHARS} characters in total: "
                    "send fewer or shorter terms"))
    eager, eot = _number(pairs, "eager_eot_threshold"), _number(pairs, "eot_threshold")
    if eager is not None and eager > (eot if eot is not None else FLUX_DEFAULT_EOT_THRESHOLD):
        # https://developers.deepgram.com/docs/flux/configuration: eager_eot_threshold must not exceed
        # eot_threshold (default 0.7); livekit/agents #5199 hit the 400 this way.
        out.append(("eager_eot_threshold", "eager_eot_threshold must not exceed eot_threshold (default "
                    f"{FLUX_DEFAULT_EOT_THRESHOLD})"))
    return out


FLUX_DEFAULT_EOT_THRESHOLD = 0.7

# Pre-recorded-only features a stream (wss://…/v1/listen) refuses as a feature, and the status it uses.
# topics/intents: 403 UNAUTHORIZED_FEATURES_REQUESTED (docs/deepgram-facts.md, from deepgram/skills
# audio-intelligence); detect_language: 400 at the handshake, "not supported by realtime transcription"
# (fastrepl/anarlog #2877, maintainer; also jambonz/jambonz-feature-server #1109),
# https://developers.deepgram.com/docs/language-detection (use `language=multi` on a stream); summarize: 400
# "Summarization is not available for streaming." (docs/deepgram-facts.md, from deepgram/skills). All of them are
# one cause, feature_not_allowed: the feature exists, not on a stream. `sentiment` is silently ignored, so it is
# not listed.
PRERECORDED_ONLY_FEATURES: Mapping[str, int] = {
    "detect_language": 400, "summarize": 400, "topics": 403, "custom_topic": 403, "intents": 403,
    "custom_intent": 403,
}
FALSE_VALUES = ("false", "0", "")
# /v1/listen parameters Flux (/v2/listen) refuses: 400 INVALID_QUERY_PARAMETER "Unknown query parameters: channels"
# (observed live; docs/deepgram-facts.md lists the ones seen refused); the intelligence options are "not available
# on /v2/listen" (deepgram/skills). bolna-ai/bolna #670 hit it with `channels` on a Flux URL.
FLUX_REFUSED_V1_PARAMETERS = frozenset({
    "channels", "language", "interim_results", "punctuate", "smart_format", "vad_events", "endpointing",
    "utterance_end_ms", "multichannel", "diarize",
})


def prerecorded_only_features(pairs: list[tuple[str, str]]) -> list[str]:
    """The pre-recorded-only features a streaming request asks for (a `false` value asks for nothing)."""
    return list(dict.fromkeys(n for n, v in pairs if n in PRERECORDED_ONLY_FEATURES
                              and v.strip().lower() not in FALSE_VALUES))


# Use-case model variants are English only; the `general` variants (and the bare family names) offer the
# other languages. https://developers.deepgram.com/docs/models-languages-overview; "the model only supports
# English" (livekit/agents #618 -> #623, nova-2-conversationalai + es-419 refused 400); "an invalid
# model/language combination ... deepgram rejects the connection request" (drachtio-freeswitch-modules #112,
# conversationalai + es). Whisper, nova-3 and general variants are not judged here: their lists change.
ENGLISH_ONLY_USE_CASES = ("meeting", "phonecall", "finance", "conversationalai", "voicemail", "video", "medical",
                          "drivethru", "automotive", "atc", "pharma")
# A language value is a BCP-47 tag (`en`, `en-US`, `es-419`, `zh-Hant`) or `multi`
# (https://developers.deepgram.com/docs/language); `Language.EN` or `english` is not one.
LANGUAGE_TAG = re.compile(r"(?:[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*|multi)", re.IGNORECASE)


# /v1/listen with no `model` uses `base-general` (docs/deepgram-facts.md, from the API reference's query
# parameters). Leaving the model out and naming a language is how "400 Bad Request" for Czech happened
# (deepgram-rust-sdk #109, reporter's fix: "I need to add .model(Model::Nova2)").
LISTEN_DEFAULT_MODEL = "base-general"


def english_only_model(model: str | None) -> bool:
    """A use-case variant (nova-2-phonecall, conversationalai, nova-3-medical ...): English only."""
    name = (model or "").strip().lower()
    if not name or name.startswith(("whisper", "flux", "aura")):
        return False
    return any(name == u or name.endswith("-" + u) for u in ENGLISH_ONLY_USE_CASES)


def language_problem(model: str | None, pairs: list[tuple[str, str]]) -> tuple[str, str] | None:
    """("malformed_request" | "unsupported_language", why) when the request's language alone is wrong."""
    languages = [v for n, v in pairs if n == "language"]
    for value in languages:
        if not LANGUAGE_TAG.fullmatch(value.strip()):
            return ("malformed_request", f"`language={value}` is not a language code (send a BCP-47 tag such as "
                    "`en` or `es-419`, or `multi`)")
    for value in languages:
        lowered = value.strip().lower()
        if lowered == "multi" or lowered.startswith("en"):
            continue
        if english_only_model(model):
            return ("unsupported_language", f"{model} is an English-only use-case model, so `language={value}` is "
                    "not offered (use the model's general variant, e.g. nova-2-general, or nova-3)")
        if not model:
            return ("unsupported_language", "no `model` is named, so Deepgram uses its default "
                    f"({LISTEN_DEFAULT_MODEL}), which offers far fewer languages: name a model that offers "
                    f"`language={value}` (nova-3 or nova-2; GET /v1/models lists each model's languages)")
    return None


# ------------------------------------------------------------------------------------------ which service
# The paths Deepgram's API serves (SPEC-OA, SPEC-AA; `/agent` is the pre-v1 agent path). A request to a host
# that is not Deepgram's on a path Deepgram does not serve goes to another service (a vendor's own API, a
# gateway such as LiveKit Inference): that service answered, not Deepgram (Nexus-JPF/note-companion #363,
# a vendor's /api/transcribe; community.livekit.io t/683, the LiveKit Inference gateway's own quota). A
# Deepgram path on another host is self-hosted Deepgram or a pass-through proxy, and is read as Deepgram.
DEEPGRAM_API_PATHS = (LISTEN_V1, LISTEN_V2, SPEAK_V1, SPEAK_V2, READ_V1, "/v1/agent", "/agent", PROJECTS_PREFIX,
                      "/v1/models", "/v2/models", "/v1/auth", "/v1/keys")


def is_deepgram_path(path: str | None) -> bool:
    clean = "/" + (path or "").strip("/")
    return any(clean == p or clean.startswith(p + "/") for p in DEEPGRAM_API_PATHS)


# A client that refused to send because it has no key, in its own words: "DeepgramError: A deepgram API key
# is required" (@deepgram/sdk AbstractClient, xRiddin/Real-Time-AI-Voice-Assistant #1), "Deepgram API key is
# not set. Please set DEEPGRAM_API_KEY ..." (kodjima33/retard-meter #1).
MISSING_KEY_CLIENT = re.compile(
    r"\b(?:api[ _-]?key|key|token|credentials?)\b[^.]{0,30}?\b(?:is |was |are )?(?:not set|not provided|not "
    r"configured|not found|missing|required|empty|undefined)\b|\b(?:missing|no)\s+(?:deepgram\s+)?api[ _-]?key\b",
    re.IGNORECASE)


def _number(pairs: list[tuple[str, str]], name: str) -> float | None:
    value = next((v for n, v in pairs if n == name), None)
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# ------------------------------------------------------------------------------------------ words without a status
# Clients often keep Deepgram's words and lose the status (an SDK's exception message, a log line). These
# are Deepgram's documented codes and phrases (https://developers.deepgram.com/docs/errors, docs/deepgram-facts.md):
# only text that carries one of them is read as Deepgram's words; anything else stays a client error.
DEEPGRAM_ERROR_CODES: Mapping[str, int] = {
    "INVALID_AUTH": 401, "INSUFFICIENT_PERMISSIONS": 403, "ASR_PAYMENT_REQUIRED": 402, "TOO_MANY_REQUESTS": 429,
    "UNAUTHORIZED_FEATURES_REQUESTED": 403, "PROJECT_NOT_FOUND": 404, "REMOTE_CONTENT_ERROR": 400,
    "INVALID_QUERY_PARAMETER": 400, "PAYLOAD_ERROR": 400, "PAYLOAD_TOO_LARGE": 413, "UNSUPPORTED_MEDIA_TYPE": 415,
    "INVALID_JSON": 400, "ASR_UNPROCESSABLE_ENTITY": 422,
}
WRONG_ENDPOINT_CODE = re.compile(r"\bV\d_MODEL_ON_V\d_[A-Z]+_ENDPOINT\b")
# Phrase -> the status Deepgram sends with it.
DEEPGRAM_PHRASES: tuple[tuple[str, int], ...] = (
    ("invalid credentials", 401), (SCOPE_WORDS, 401), (NOT_ENTITLED_WORDS, 403),
    ("no such model/version combination", 400), ("no such model/language/tier combination", 400),
    ("invalid query string", 400), ("is only supported for", 400), ("are not supported for", 400),
    *((phrase, 400) for phrase in REMOTE_MEDIA_PHRASES), ("corrupt or unsupported data", 400),
    ("not supported on the /v", 400), ("does not have enough credits", 402),
)
# A close reason names its documented close code (tables above): "See https://dpgr.am/net0001" -> 1011.
REASON_CLOSE_CODES: tuple[tuple[tuple[str, ...], int], ...] = (
    (IDLE_NOTHING_RECEIVED, 1011), (IDLE_NOTHING_SENT, 1011), (UNDECODABLE_AUDIO, 1008), (TTS_RATE_WINDOW, 1008),
    (TTS_TOO_BIG, 1009),
)
# A client that failed in its own code while handling a result: its error names its own bug, which hides what
# Deepgram answered (most often its error body where the client expected a transcript). "AttributeError:
# 'URLError' object has no attribute 'status'" (deepgram-python-sdk #86: Nova asked for Spanish; fixed in PR #87
# to surface the 4xx), "DG: undefined: undefined" (deepgram-js-sdk #77, fixed in PR #90 "updated error handling
# to show correct info"); the same class in other languages: a KeyError on a missing field, a null or nil
# dereference. Only when the text names no network failure (offline.py checks): "Connection refused ... During
# handling ... AttributeError" is the network's. JavaScript's "Cannot read properties of undefined (reading
# 'status')" is left out: it is as often an axios error with no response at all.
CLIENT_CRASH = re.compile(
    r"\b(?:AttributeError|KeyError|IndexError)\b|'NoneType' object|is not subscriptable|\bundefined: undefined\b|"
    r"\bNull(?:Reference|Pointer)Exception\b|nil pointer dereference", re.I)
# A proxy that refused the tunnel to Deepgram, in a client's words: its status is the proxy's, not Deepgram's.
# "ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: 403 Forbidden'))" (urllib3),
# "httpcore.ProxyError: 403 Forbidden", "tunneling socket could not be established, statusCode=403" (Node).
PROXY_TUNNEL = re.compile(r"ProxyError|Tunnel connection failed|tunneling socket|from proxy after CONNECT|"
                          r"Unable to connect to proxy", re.I)
# A client that says the accepted answer held no speech (an empty transcript), in its own words.
EMPTY_RESULT = re.compile(r"\b(no speech|empty transcript|no transcript|transcript (is|was) empty|nothing "
                          r"(was )?transcribed)\b", re.I)


# Deepgram's phrases a cut-short message may end inside: "Project does not have access to the requ" is still the
# model-access refusal, never a scope problem. The phrases are the ones the rules read (above and below).
CUT_PHRASES = (NOT_ENTITLED_WORDS, SCOPE_WORDS, "no such model/language/tier combination found",
               "no such model/version combination found", "invalid credentials", "remote server hosting the media",
               "does not have enough credits", "is only supported for", "corrupt or unsupported data")
MIN_CUT_OVERLAP = 12  # shorter tails match too many phrases to mean one


def complete_cut_phrase(message: str) -> str:
    """The message with a phrase it was cut inside written out whole (unchanged when it ends in none)."""
    lowered = message.lower().rstrip(". …")
    for phrase in CUT_PHRASES:
        for size in range(min(len(phrase) - 1, len(lowered)), MIN_CUT_OVERLAP - 1, -1):
            if lowered.endswith(phrase[:size]):
                return message[: len(lowered) - size] + phrase
    return message


def status_for_words(text: str) -> int | None:
    """The status Deepgram sends with these words, or None when the text carries none of Deepgram's words."""
    lowered = text.lower()
    for phrase, status in DEEPGRAM_PHRASES:
        if phrase in lowered:
            return status
    for code, status in DEEPGRAM_ERROR_CODES.items():
        if re.search(rf"\b{code}\b", text):
            return status
    if WRONG_ENDPOINT_CODE.search(text):
        return 400
    named = CODE_FIELD.search(text) or BARE_CODE.fullmatch(text.strip())
    meaning = code_meaning(named.group(1)) if named else None
    return meaning.status if meaning is not None else None


# ------------------------------------------------------------------------------------------ codes not known yet
# Deepgram names errors with SCREAMING_SNAKE codes (err_code, an Error frame's `code`, the modern `category`) and
# adds new ones over time: INACTIVE_CLIENT on Flux (livekit/agents #3579, maintainer: "if we are not sending
# data for awhile, DG will timeout with INACTIVE_CLIENT"), UNSUPPORTED_AUDIO_FORMAT on /v1/speak (pipecat
# #2764), CLIENT_MESSAGE_TIMEOUT and FAILED_TO_SPEAK on the agent (docs/deepgram-facts.md). The table above
# holds the codes we have seen; a code not in it is still read, word by word, because the words Deepgram
# builds its codes from keep one meaning across all of them. First match wins: the order puts the more
# specific meaning first (REMOTE before INVALID, CLIENT+TIMEOUT before TIMEOUT).
@dataclass(frozen=True)
class CodeMeaning:
    """What a Deepgram error code's own words say: the cause class and the status Deepgram sends it with."""

    cause: str
    status: int


CODE_WORDS: tuple[tuple[frozenset[str], CodeMeaning], ...] = (
    (frozenset({"INACTIVE", "IDLE", "INACTIVITY"}), CodeMeaning("idle_timeout", 408)),
    (frozenset({"REMOTE"}), CodeMeaning("remote_media_error", 400)),
    (frozenset({"PAYMENT", "CREDIT", "CREDITS", "BALANCE", "FUNDS", "BILLING"}), CodeMeaning("no_credits", 402)),
    (frozenset({"PERMISSION", "PERMISSIONS", "SCOPE", "SCOPES", "FORBIDDEN"}), CodeMeaning("missing_scope", 403)),
    (frozenset({"AUTH", "AUTHENTICATION", "CREDENTIALS", "UNAUTHENTICATED", "EXPIRED"}),
     CodeMeaning("invalid_key", 401)),
    (frozenset({"RATE", "THROTTLED", "THROTTLE", "CONCURRENCY", "QUOTA"}), CodeMeaning("rate_limited", 429)),
    (frozenset({"INTERNAL", "SERVER", "UNAVAILABLE", "OVERLOADED", "FAILED"}), CodeMeaning("server_error", 500)),
    (frozenset({"INVALID", "UNSUPPORTED", "MALFORMED", "UNPARSABLE", "UNKNOWN", "MISSING", "BAD", "DUPLICATE",
                "UNEXPECTED", "PAYLOAD", "PARAMETER", "QUERY"}), CodeMeaning("malformed_request", 400)),
    (frozenset({"NOT_FOUND"}), CodeMeaning("not_found", 404)),
    (frozenset({"TIMEOUT"}), CodeMeaning("timeout", 408)),
)
# Words of clients' and browsers' own network codes (Chrome's ERR_*, OpenSSL's CERTIFICATE_VERIFY_FAILED).
CLIENT_CODE_WORDS = frozenset({"ERR", "CERT", "CERTIFICATE", "SSL", "TLS", "CONNECTION", "SOCKET", "DNS", "NAME",
                               "NETWORK", "HOST", "PROXY", "TUNNEL"})
# A code field in JSON or in a Python dict's repr (the Python SDKs print bodies as dicts: {'err_code': ...}).
CODE_FIELD = re.compile(r"""["'](?:err_code|error_code|code|category)["']\s*:\s*"""
                        r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""")
BARE_CODE = re.compile(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)")


def code_meaning(code: str | None) -> CodeMeaning | None:
    """The meaning of a Deepgram error code from its words (None: not a code, or no word we can read).

    A client's timeout on a stream (CLIENT_MESSAGE_TIMEOUT: the client sent nothing in time) is an idle
    close, not the server's slowness; NOT and FOUND are read together."""
    if not code or not BARE_CODE.fullmatch(code.strip()):
        return None
    words = set(code.strip().upper().split("_"))
    if words & CLIENT_CODE_WORDS:
        return None  # ERR_CERT_AUTHORITY_INVALID, CERTIFICATE_VERIFY_FAILED: the client's network, not Deepgram
    if "NOT" in words and "FOUND" in words:
        words.add("NOT_FOUND")
    if "TIMEOUT" in words and "CLIENT" in words:
        words.add("IDLE")
    return next((meaning for keys, meaning in CODE_WORDS if keys & words), None)


# Clients print the status they got in their own words: "Unexpected server response: 401" (ws), "server
# rejected WebSocket connection: HTTP 402" (websockets), "WSServerHandshakeError: 400, message='Invalid response
# status'" (aiohttp), "notAnUpgrade(401)" (Swift), "Client error '411 Length Required'" (httpx), "The server
# returned status code '429'" (.NET). Each is in tests/realworld with its source; the survey of every Deepgram
# SDK's and client library's format, with sources, is tests/unit/test_client_error_formats.py.
# A status comes after a word that names one: "Unexpected response code: 401" (Chrome before v90), "Response
# code 401 (Unauthorized)" (got), "Server returned HTTP response code: 401 for URL" (Java HttpURLConnection),
# "HTTP Error Code: 400" (deepgram-go-sdk rest.go), "The requested URL returned error: 401" (curl), "Response
# status code does not indicate success: 401" (.NET HttpClient), "statuscode_reason, 404" (.NET trimmed).
STATUS_IN_CLIENT_TEXT = (
    re.compile(r"(?:\bHTTP(?:/[\d.]+)?|(?<![A-Za-z])status(?:[ _]?code)?|\b(?:response|error)[ _]code|returned error|"
               r"server response|notAnUpgrade|HandshakeError|does not indicate success)"
               r"[^0-9\n]{0,12}?([1-5]\d\d)\b", re.I),
    re.compile(r"'([1-5]\d\d) [A-Z][a-z]+"),
    re.compile(r"\b([1-5]\d\d), message="),  # aiohttp's ClientResponseError: "408, message='Request Timeout'"
    re.compile(r"\b([1-5]\d\d) (?:Client|Server) Error\b"),  # requests: "401 Client Error: Unauthorized for url"
    # What came instead of the 101 a WebSocket client expected: "expected handshake response status code 101 but
    # got 401" (coder/websocket, Go), "Handshake exception, expected status code 101 but was 403" (Ktor).
    re.compile(r"\b101\b[^0-9\n]{0,40}?\bbut (?:got|was|received|returned)\s*['\"(]?([1-5]\d\d)\b", re.I),
    # deepgram-python-sdk v2 DeepgramApiError: "Request `<request id>` returned 400: No such model/...".
    re.compile(r"\breturned ([1-5]\d\d):"),
)
UPGRADE_STATUS = 101  # named as what was *expected* ("Expected HTTP 101 response but was '401 Unauthorized'")
# A status next to its own reason phrase is a status whatever words surround it: "POST https://...: 401
# Unauthorized" (deepgram-go-sdk StatusError, Go's Response.Status), "HTTP status client error (401 Unauthorized)
# for url (...)" (reqwest, under deepgram-rust-sdk), "HTTP error: 401 Unauthorized" (tungstenite), "Handshake
# status 401 Unauthorized" (websocket-client), "401 (Unauthorized)" / "(NotFound)" (.NET: ReasonPhrase or the
# HttpStatusCode name), "405, Method Not Allowed" (.NET trimmed resources), "Unauthorized (401)" (livekit-agents
# create_api_error_from_http). The phrase must be the one RFC 9110 gives that very number, so a port, a byte
# count or a request id followed by a word is never read as a status.
_REASON_PHRASES: Mapping[int, str] = {s.value: s.phrase for s in HTTPStatus if 200 <= s.value < 600}
_NUMBER_THEN_WORDS = re.compile(r"(?<![\w.:/-])([2-5]\d\d)[ ,(]+([A-Za-z][A-Za-z' -]{0,40})")
_WORDS_THEN_NUMBER = re.compile(r"([A-Za-z][A-Za-z' -]{0,40}?) \(([2-5]\d\d)\)")


def _squeezed(words: str) -> str:
    return re.sub(r"[^a-z]", "", words.lower())


def _phrased_statuses(text: str) -> list[tuple[int, int]]:
    """(position, status) of each status written next to its own reason phrase ("401 Unauthorized")."""
    found = []
    for match in _NUMBER_THEN_WORDS.finditer(text):
        status, words = int(match.group(1)), match.group(2)
        phrase = _REASON_PHRASES.get(status)
        if phrase and _squeezed(words).startswith(_squeezed(phrase)):
            found.append((match.start(), status))
    for match in _WORDS_THEN_NUMBER.finditer(text):
        status, words = int(match.group(2)), match.group(1)
        phrase = _REASON_PHRASES.get(status)
        if phrase and _squeezed(words).endswith(_squeezed(phrase)):
            found.append((match.start(), status))
    return found


def status_in_client_text(text: str) -> int | None:
    """The HTTP status a client's error text reports, or None when it names none.

    A 101 in such a text is what the client expected, not what it got (UPGRADE_STATUS); any other 1xx is an
    interim answer before the real one ("< HTTP/1.1 100 Continue" ahead of the final status in `curl -v` of an
    upload), and 100-199 is also where errnos fall ("[Errno 111] Connect call failed"), so only 2xx-5xx count."""
    if PROXY_TUNNEL.search(text):
        return None  # the proxy's own answer to CONNECT: Deepgram was never reached
    found = [(m.start(), int(m.group(1))) for pattern in STATUS_IN_CLIENT_TEXT for m in pattern.finditer(text)]
    got = [status for _, status in sorted(found + _phrased_statuses(text))
           if status // 100 != UPGRADE_STATUS // 100]  # not informational (1xx)
    return got[0] if got else None


def close_code_for_reason(reason: str) -> int | None:
    lowered = reason.lower()
    return next((code for words, code in REASON_CLOSE_CODES if any(w in lowered for w in words)), None)

"""Text-to-speech (`/v1/speak` Aura, `/v2/speak` Flux voices): checks and the REST answer.

/v2/speak answers unknown parameters, enum violations and the model family before auth, and numeric
ranges after it (observed: speed=3.0 with a bogus key is a 401). TTS says "no such voice" with a 400,
unlike STT's 403.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import StreamingResponse

from . import audio
from .call import Call
from .errors import DgError, bad_query_string, invalid_query, no_model_access
from .listen import read_body, success_headers
from .models import TTS_WELL_FORMED, TtsVoice, entitled

V2_PARAMS = ("model", "encoding", "container", "sample_rate", "bit_rate", "speed", "expressivity", "priority",
             "callback", "callback_method", "tag", "mip_opt_out")
REST_ENCODINGS = ("linear16", "mulaw", "alaw", "mp3", "opus", "flac", "aac")
WS_ENCODINGS = ("linear16", "mulaw", "alaw")
CONTAINERS = ("none", "wav", "ogg")
DEFAULT_V1_MODEL = "aura-asteria-en"


def is_v2(call: Call) -> bool:
    return call.path.startswith("/v2/")


def _encodings(call: Call) -> tuple[str, ...]:
    return WS_ENCODINGS if call.transport == "ws" else REST_ENCODINGS


def pre_auth_v2(call: Call) -> None:
    unknown = [name for name, _ in call.query if name not in V2_PARAMS]
    if unknown:
        raise invalid_query(f"Failed to deserialize query parameters: unknown field `{unknown[0]}`, expected one of "
                            + ", ".join(f"`{p}`" for p in V2_PARAMS))
    model = call.q("model")
    if model is None:
        raise invalid_query("Failed to deserialize query parameters: missing field `model`")
    if not model.startswith("flux-"):
        raise DgError(400, "V1_MODEL_ON_V2_SPEAK_ENDPOINT",
                      "Only flux models are supported on the `/v2/speak` endpoint.")
    _check_enums(call)


def _check_enums(call: Call) -> None:
    encoding = call.q("encoding")
    if encoding is not None and encoding not in _encodings(call):
        raise invalid_query(f"Unsupported audio format: encoding `{encoding}` is not supported.")
    container = call.q("container")
    if container is not None and container not in CONTAINERS:
        raise invalid_query(f"Unsupported audio format: container `{container}` is not supported.")
    if call.q("mip_opt_out") not in (None, "true", "false"):
        raise bad_query_string()
    for name in ("sample_rate", "bit_rate"):
        value = call.q(name)
        if value is not None and not value.isdigit():
            raise bad_query_string()


def voice(call: Call) -> TtsVoice:
    """The voice asked for; 400 when malformed or unknown, 403 when the project may not use it."""
    name = call.q("model") or DEFAULT_V1_MODEL
    if not TTS_WELL_FORMED.fullmatch(name):
        raise invalid_query(f"Invalid 'model' value of '{name}'.")
    found = call.state.registry.find_tts(name)
    if found is None or found.is_flux != is_v2(call):
        raise DgError(400, "Bad Request", "Bad Request: No such model/version combination found.")
    if not entitled(call.need_account(), name):
        raise no_model_access(call.state.config.fidelity.tts_not_entitled_status)
    return found


def validate(call: Call) -> None:
    if not is_v2(call):
        _check_enums(call)
    speed = call.q("speed")
    if speed is not None:
        try:
            ok = 0.7 <= float(speed) <= 1.5
        except ValueError:
            ok = False
        if not ok:
            raise invalid_query(f"Invalid 'speed' value of '{speed}': must be between 0.7 and 1.5.")


def entitle(call: Call) -> None:
    voice(call)


async def text_of(call: Call, request: Request) -> str:
    """The text to speak from a JSON or text/plain body (415 for anything else)."""
    body = await read_body(call, request)
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype == "text/plain":
        text = body.decode("utf-8", "replace")
    elif ctype == "application/json":
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            raise DgError(400, "Bad Request", "Content-type was application/json, but we could not process the JSON "
                          "payload.") from None
        if not isinstance(payload, dict) or ("text" in payload) == ("url" in payload):
            raise DgError(400, "PAYLOAD_ERROR", "Exactly one of `text` or `url` must be provided.")
        text = str(payload.get("text") or "") if "text" in payload else "This is the text from the URL."
    else:
        raise DgError(415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json or text/plain.")
    if not text.strip():
        raise DgError(400, "Bad Request", "Input text contains no characters.")
    limit = call.state.config.fidelity.tts_max_chars
    if len(text) > limit:
        raise DgError(413, "Payload Too Large", f"Input text exceeds maximum character limit of {limit}.")
    return text


async def speak_rest(call: Call, request: Request) -> StreamingResponse:
    found = voice(call)
    text = await text_of(call, request)
    encoding = call.q("encoding") or "mp3"
    container = call.q("container") or ("wav" if encoding == "linear16" else "none")
    if encoding == "opus" and call.q("container") == "none":
        # Opus needs its Ogg container on REST: the words are the capture's, which ends there (pipecat #2764)
        raise DgError(400, "UNSUPPORTED_AUDIO_FORMAT",
                      "Unsupported audio format: `container=none` is invalid when `encoding=opus`.")
    rate = int(call.q("sample_rate") or 24000)
    data, media = audio.synthesize(len(text), encoding, rate, container)
    headers = success_headers(call, found.canonical_name, found.uuid)
    headers["dg-char-count"] = str(len(text))
    headers["dg-additional-model-uuids"] = ""
    # Streamed, so the answer carries `transfer-encoding: chunked` and no content-length, as Deepgram's
    # does (docs/deepgram-facts.md: a live response's headers in the Rust SDK, `"transfer_encoding":"chunked"`
    # in the Python SDK v4.8.1 fixture). SDKs 3.x/4.x read the body as a stream and break on a
    # content-length answer.
    return StreamingResponse(_chunks(data), media_type=media, headers=headers)


TTS_CHUNK_BYTES = 4096


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), TTS_CHUNK_BYTES):
        yield data[start:start + TTS_CHUNK_BYTES]

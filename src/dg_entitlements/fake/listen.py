"""Speech-to-text v1 (`/v1/listen`): the checks it makes (REST and WebSocket share them) and the
pre-recorded answer. The streaming session lives in listen_stream.py."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import audio, vocabulary
from .call import Call
from .errors import (
    NO_SUCH_LANGUAGE,
    DgError,
    bad_query_string,
    invalid_query,
    no_model_access,
)
from .models import SttModel, entitled

BOOL_PARAMS = frozenset({
    "multichannel", "punctuate", "smart_format", "numerals", "paragraphs", "utterances", "dictation",
    "measurements", "filler_words", "profanity_filter", "diarize", "sentiment", "topics", "intents",
    "detect_entities", "detect_language", "mip_opt_out", "interim_results", "vad_events"
})
INT_PARAMS = frozenset({"sample_rate", "channels", "utterance_end_ms", "utt_split_ms"})
STREAM_FEATURES = ("topics", "intents")
DEFAULT_MODEL = "base-general"


def now_iso() -> str:
    """Deepgram's `created` format: UTC with milliseconds and a Z."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def is_flux_name(name: str | None) -> bool:
    return bool(name) and str(name).startswith("flux")


def validate(call: Call) -> None:
    """Per-endpoint checks after auth, in the order the observed answers imply."""
    fid = call.state.config.fidelity
    model = call.q("model")
    if is_flux_name(model):
        raise DgError(400, "V2_MODEL_ON_V1_LISTEN_ENDPOINT", fid.flux_on_v1_listen_err_msg)
    for name, value in call.query:
        if name in BOOL_PARAMS and value not in ("true", "false"):
            raise bad_query_string()  # booleans are lower-case true/false only (livekit/agents#2237)
        if name in INT_PARAMS and not value.isdigit():
            raise bad_query_string()
        if name == "endpointing" and value != "false" and not value.isdigit():
            raise bad_query_string()
        if name == "callback" and not re.match(r"https?://", value):
            raise bad_query_string()  # JS SDK commit 80af9cb: a callback without a scheme
    found = call.state.registry.find_stt(model or DEFAULT_MODEL)
    vocabulary.check_v1(call, found.arch if found is not None else None)
    if call.q("diarize") is not None and (call.q("diarize_model") is not None or call.q("diarize_version")):
        raise invalid_query("diarize_model cannot be used together with diarize or diarize_version.")
    if call.transport == "ws":
        features = [f for f in STREAM_FEATURES if call.q(f) == "true"]
        if features:
            raise DgError(403, "UNAUTHORIZED_FEATURES_REQUESTED",
                          f"Project does not have access to the requested feature/s {json.dumps(features)}.")
        if call.q("summarize") not in (None, "false"):
            raise DgError(400, "INVALID_QUERY_PARAMETER", "Summarization is not available for streaming.")


def resolve_model(call: Call) -> SttModel:
    """The model asked for, or 403 when it does not exist or the project may not use it (docs/fidelity.md)."""
    name = call.q("model") or DEFAULT_MODEL
    model = call.state.registry.find_stt(name)
    if model is None:
        raise no_model_access()
    language = call.q("language")
    if language and language not in model.languages:
        raise DgError(400, "Bad Request", NO_SUCH_LANGUAGE)
    if not entitled(call.need_account(), name, model.canonical_name):
        raise no_model_access()
    return model


def entitle(call: Call) -> None:
    model = resolve_model(call)
    if call.transport == "ws" and not model.streaming:
        raise DgError(call.state.config.fidelity.whisper_on_stream_status, "METHOD_NOT_ALLOWED",
                      "Live streaming is not available for this model.")


# ----------------------------------------------------------------------------------- pre-recorded


def _words_json(words: list[audio.Word], punctuate: bool) -> list[dict[str, Any]]:
    shown = audio.punctuated_words(words, punctuate)
    out: list[dict[str, Any]] = []
    for w, p in zip(words, shown, strict=True):
        item: dict[str, Any] = {"word": w.word, "start": w.start, "end": w.end, "confidence": w.confidence}
        if punctuate:
            item["punctuated_word"] = p
        out.append(item)
    return out


def _mean_confidence(words: list[audio.Word]) -> float:
    return round(sum(w.confidence for w in words) / len(words), 4) if words else 0.0


def channel_count(call: Call, body: bytes = b"") -> int:
    """`channels=N` when given, else the WAV header's count, else 1."""
    asked = call.q("channels")
    if asked is not None:
        return max(1, int(asked))
    info = audio.wav_info(body) if audio.sniff_container(body) == "wav" else None
    return info.channels if info is not None else 1


def _bad_audio() -> DgError:
    return DgError(400, "Bad Request", "Bad Request: failed to process audio: corrupt or unsupported data")


async def read_body(call: Call, request: Request) -> bytes:
    try:
        return await asyncio.wait_for(request.body(), call.state.config.server.body_timeout_s)
    except TimeoutError:
        raise DgError(408, "Request Timeout", "Timed out reading the request body.") from None


def parse_json_body(body: bytes) -> Any:
    """JSON as Deepgram parses it: an empty body is null, a broken one the modern INVALID_JSON 400."""
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise DgError(400, "INVALID_JSON", "Invalid JSON submitted.", shape="modern",
                      details=f"Json deserialize error: {exc}") from None


async def prerecorded(call: Call, request: Request) -> Response:
    model = resolve_model(call)
    body = await read_body(call, request)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json":
        payload = parse_json_body(body)
        url = payload.get("url") if isinstance(payload, dict) else None
        if not isinstance(url, str) or not re.match(r"https?://", url):
            raise DgError(400, "REMOTE_CONTENT_ERROR", "Could not determine if URL for media download is publicly "
                          "routable.")
        duration = 5.0 + int(hashlib.sha256(url.encode()).hexdigest()[:2], 16) % 10  # a stable pretend length
        digest = hashlib.sha256(url.encode()).hexdigest()
    else:
        rate = int(call.q("sample_rate") or 16000)
        duration_or_none = audio.duration_of(body, call.q("encoding"), rate, int(call.q("channels") or 1))
        if duration_or_none is None:
            raise _bad_audio()
        duration = duration_or_none
        digest = hashlib.sha256(body).hexdigest()
    punctuate = call.q("punctuate") == "true" or call.q("smart_format") == "true"
    channels = channel_count(call, body if ctype != "application/json" else b"")
    transcribed = channels if call.q("multichannel") == "true" else 1
    per_channel = [audio.words_for(0.0, duration, c, digest, duration) for c in range(transcribed)]
    words = per_channel[0]
    metadata: dict[str, Any] = {
        "transaction_key": "deprecated", "request_id": call.request_id, "sha256": digest, "created": now_iso(),
        "duration": round(duration, 6), "channels": channels, "models": [model.uuid],
        "model_info": {model.uuid: model.model_info()},
    }
    results: dict[str, Any] = {"channels": [{"alternatives": [
        {"transcript": audio.transcript(ws, punctuate), "confidence": _mean_confidence(ws),
         "words": _words_json(ws, punctuate)}]} for ws in per_channel]}
    if call.q("summarize") not in (None, "false"):
        metadata["summary_info"] = {"model_uuid": "67875a7f-c9c4-48a0-aa55-5bdb8a91c34a", "input_tokens": len(words),
                                    "output_tokens": min(len(words), 12)}
        results["summary"] = {"result": "success", "short": audio.transcript(words[:12], True)}
    if call.q("callback"):
        return JSONResponse({"request_id": call.request_id}, headers=success_headers(call, model.canonical_name))
    return JSONResponse({"metadata": metadata, "results": results},
                        headers=success_headers(call, model.canonical_name, model.uuid))


def success_headers(call: Call, model_name: str | None = None, model_uuid: str | None = None) -> dict[str, str]:
    headers = {"dg-request-id": call.request_id}
    if call.account is not None:
        headers["dg-project-id"] = call.account.project_id
    if model_name:
        headers["dg-model-name"] = model_name
    if model_uuid:
        headers["dg-model-uuid"] = model_uuid
    return headers

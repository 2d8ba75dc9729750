"""Text intelligence (`POST /v1/read`): `language` is required and English only, text xor url (docs/fidelity.md)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .call import Call
from .errors import DgError, invalid_query
from .listen import now_iso, parse_json_body, read_body, success_headers


def validate(call: Call) -> None:
    language = call.q("language")
    if language is None:
        raise invalid_query("Failed to deserialize query parameters: missing field `language`")
    if language not in ("en", "en-US"):
        raise invalid_query(f"Language `{language}` is not supported: text intelligence supports English only.")


async def read_rest(call: Call, request: Request) -> Response:
    payload = parse_json_body(await read_body(call, request))
    if not isinstance(payload, dict) or ("text" in payload) == ("url" in payload):
        raise DgError(400, "PAYLOAD_ERROR", "Exactly one of `text` or `url` must be provided.")
    text = str(payload.get("text") or "Text fetched from the URL.")
    words = text.split()
    results: dict[str, Any] = {}
    metadata: dict[str, Any] = {"request_id": call.request_id, "created": now_iso(), "language": "en"}
    if call.q("summarize") not in (None, "false"):
        results["summary"] = {"text": " ".join(words[:12])}
        metadata["summary_info"] = {"model_uuid": "67875a7f-c9c4-48a0-aa55-5bdb8a91c34a",
                                    "input_tokens": len(words), "output_tokens": min(12, len(words))}
    if call.q("sentiment") == "true":
        results["sentiments"] = {"segments": [{"text": text, "start_word": 0, "end_word": len(words),
                                               "sentiment": "neutral", "sentiment_score": 0.0}],
                                 "average": {"sentiment": "neutral", "sentiment_score": 0.0}}
    if call.q("topics") == "true":
        results["topics"] = {"segments": [{"text": text, "start_word": 0, "end_word": len(words),
                                           "topics": [{"topic": "Speech technology", "confidence_score": 0.8}]}]}
    if call.q("intents") == "true":
        results["intents"] = {"segments": [{"text": text, "start_word": 0, "end_word": len(words),
                                            "intents": [{"intent": "Inform", "confidence_score": 0.7}]}]}
    return JSONResponse({"metadata": {"metadata": metadata}, "results": results}, headers=success_headers(call))

"""Deepgram's error answers: one exception carrying the decision, one renderer producing the bytes.

Deepgram uses three body shapes (legacy err_code/err_msg, modern category/message, plain text) and
chooses per endpoint, so the shape travels with the error instead of being a global setting. The
renderer is the one place faults that corrupt error bodies apply, so every error can be corrupted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from .config import Faults

Shape = Literal["legacy", "modern", "text"]

INVALID_CREDENTIALS = "Invalid credentials."
NO_MODEL_ACCESS = "Project does not have access to the requested model."
NO_SUCH_TTS_MODEL = "No such model/version combination found."
NO_SUCH_LANGUAGE = "Bad Request: No such model/language/tier combination found."
USER_PERMISSIONS = "User does not have sufficient permissions."
PAYMENT_REQUIRED = ("Project does not have enough credits for an ASR request and does not have an overage "
                    "agreement.")
TOO_MANY_STT = "Too many requests. Please try again later"
TOO_MANY_TTS = "Please try again later."
INVALID_QUERY_STRING = "Invalid query string."
EXPOSE_HEADERS = "dg-model-name,dg-model-uuid,dg-char-count,dg-request-id,dg-project-id,dg-error"


@dataclass
class DgError(Exception):
    """A refusal as Deepgram would send it; raised anywhere in the checks, rendered once."""

    status: int
    err_code: str
    err_msg: str
    shape: Shape = "legacy"
    with_request_id: bool = True
    details: str | None = None  # modern shape only
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.err_code}: {self.err_msg}"


@dataclass(frozen=True)
class Rendered:
    status: int
    headers: dict[str, str]
    body: bytes
    media_type: str


def render(err: DgError, request_id: str, faults: Faults | None = None) -> Rendered:
    """The bytes a client receives for `err`, after any body-corrupting fault of the account."""
    headers = {"dg-request-id": request_id, "dg-error": err.err_msg,
               "access-control-expose-headers": EXPOSE_HEADERS, **err.headers}
    shape: Shape = "text" if faults is not None and faults.plain_text_errors else err.shape
    if shape == "text":
        body = err.err_msg.encode()
        media = "text/plain; charset=utf-8"
    else:
        payload: dict[str, object]
        if shape == "modern":
            payload = {"category": err.err_code, "message": err.err_msg}
            if err.details is not None:
                payload["details"] = err.details
        else:
            payload = {"err_code": err.err_code, "err_msg": err.err_msg}
        if err.with_request_id:
            payload["request_id"] = request_id
        body = json.dumps(payload, separators=(",", ":")).encode()
        media = "application/json"
    if faults is not None and faults.malformed_error_body:
        body = body[: max(1, len(body) // 2)]
    return Rendered(err.status, headers, body, media)


# ---------------------------------------------------------------------------- the common refusals


def invalid_auth() -> DgError:
    return DgError(401, "INVALID_AUTH", INVALID_CREDENTIALS)


def no_model_access(status: int = 403) -> DgError:
    return DgError(status, "INSUFFICIENT_PERMISSIONS", NO_MODEL_ACCESS)


def insufficient_permissions(status: int) -> DgError:
    return DgError(status, "INSUFFICIENT_PERMISSIONS", USER_PERMISSIONS)


def payment_required() -> DgError:
    return DgError(402, "ASR_PAYMENT_REQUIRED", PAYMENT_REQUIRED)


def invalid_query(message: str) -> DgError:
    return DgError(400, "INVALID_QUERY_PARAMETER", message)


def bad_query_string() -> DgError:
    return DgError(400, "Bad Request", INVALID_QUERY_STRING)


def too_many(tts: bool, retry_after_s: float | None) -> DgError:
    headers = {"retry-after": f"{retry_after_s:g}"} if retry_after_s is not None else {}
    if tts:
        return DgError(429, "Too Many Requests", TOO_MANY_TTS, headers=headers)
    return DgError(429, "TOO_MANY_REQUESTS", TOO_MANY_STT, headers=headers)


def not_found(message: str = "Not found.") -> DgError:
    return DgError(404, "NOT_FOUND", message, shape="modern")


def method_not_allowed() -> DgError:
    return DgError(405, "METHOD_NOT_ALLOWED", "Method not allowed.")


def server_error(status: int) -> DgError:
    phrases = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
    return DgError(status, phrases.get(status, "Server Error"), "Please try again later")

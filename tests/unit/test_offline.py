"""`diagnose_answer`: what a user already saw, judged and diagnosed without sending anything.

Each real-world answer (realworld_payloads.py, with its public source) must get the cause its evidence
supports; credential-form mistakes are decided from the shape of what was sent, and the credential
itself never reaches the judgement or the diagnosis.
"""

from __future__ import annotations

import pytest
from realworld_payloads import (
    ALL,
    FLUX_KEYTERM_LONG,
    NET0000,
    NET0001,
    RealAnswer,
    canary_jwt,
    canary_key,
    request_headers,
)

from dg_entitlements.facts import candidates_for
from dg_entitlements.model import Verdict
from dg_entitlements.offline import SeenAnswer, auth_form, credential_shape, diagnose_answer, safe_url
from dg_entitlements.secrets import scrub

INVALID = '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"r"}'
LISTEN_WS = "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"


@pytest.mark.parametrize("real", ALL, ids=lambda r: r.name)
def test_real_world_answer_gets_its_cause(real: RealAnswer) -> None:
    judgement, diagnosis = diagnose_answer(real.url, real.answer, headers=request_headers(real))
    assert diagnosis.cause == real.cause, (real.source, judgement.reason)
    assert diagnosis.is_entitlement is False
    for text in (diagnosis.title, diagnosis.remedy, judgement.reason):
        assert canary_key() not in text and canary_jwt() not in text


def test_credential_shapes() -> None:
    assert [credential_shape(v) for v in (canary_key(), canary_jwt(), "", "sk-123")] == ["key", "jwt", "empty", "other"]


@pytest.mark.parametrize(("header", "title_has"), [
    ("Authorization: Token {jwt}", "JWT was sent as `Token`"),
    ("Authorization: Bearer {key}", "API key was sent as `Bearer`"),
    ("Authorization: {key}", "no scheme word"),
    ("Sec-WebSocket-Protocol: {key}", "without the scheme word first"),
    ("Sec-WebSocket-Protocol: {key}, token", "without the scheme word first"),
    ("Sec-WebSocket-Protocol: token, {jwt}", "JWT was sent with the `token` subprotocol"),
    ("Sec-WebSocket-Protocol: bearer, {key}", "API key was sent with the `bearer` subprotocol"),
])
def test_wrong_auth_scheme(header: str, title_has: str) -> None:
    sent = header.replace("{key}", canary_key()).replace("{jwt}", canary_jwt())
    judgement, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(status=401, body=INVALID), headers=[sent])
    assert judgement.verdict is Verdict.INVALID_AUTH
    assert diagnosis.cause == "wrong_auth_scheme" and title_has in diagnosis.title
    assert "<your key>" in diagnosis.remedy or "<your JWT>" in diagnosis.remedy


@pytest.mark.parametrize("header", ["Authorization: Token {key}", "Authorization: Bearer {jwt}",
                                    "Sec-WebSocket-Protocol: token, {key}", "Sec-WebSocket-Protocol: bearer, {jwt}"])
def test_right_auth_forms_are_not_blamed(header: str) -> None:
    sent = header.replace("{key}", canary_key()).replace("{jwt}", canary_jwt())
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(status=401, body=INVALID), headers=[sent])
    assert diagnosis.cause in ("invalid_key", "expired_token")


@pytest.mark.parametrize("name", ["api_key", "token", "access_token", "key"])
def test_key_in_url_under_any_name(name: str) -> None:
    url = f"{LISTEN_WS}&{name}={canary_key()}"
    judgement, diagnosis = diagnose_answer(url, SeenAnswer(status=401, body=INVALID))
    assert diagnosis.cause == "key_in_url" and f"`{name}=`" in diagnosis.title
    assert canary_key() not in repr(judgement) + repr(diagnosis)


def test_the_credential_is_registered_with_the_scrubber() -> None:
    key = "cd" * 20
    auth_form(LISTEN_WS, [f"Authorization: Bearer {key}"])
    assert key not in scrub(f"the key was {key}")
    assert safe_url(f"{LISTEN_WS}&api_key={key}").endswith("api_key=[redacted]")


def test_status_only_ranks_candidates_and_names_the_command() -> None:
    url = "https://api.deepgram.com/v1/listen?model=nova-3"
    _, diagnosis = diagnose_answer(url, SeenAnswer(status=401))
    assert diagnosis.cause == "status_only"
    assert diagnosis.candidates == ("invalid_key", "wrong_auth_scheme", "expired_token", "missing_key")
    assert "dg-entitlements explain 'https://api.deepgram.com/v1/listen?model=nova-3'" in diagnosis.remedy
    assert "curl -i -H 'Authorization: Token <your key>'" in diagnosis.remedy


def test_status_only_puts_a_parameter_the_model_refuses_first() -> None:
    _, diagnosis = diagnose_answer(FLUX_KEYTERM_LONG.url, FLUX_KEYTERM_LONG.answer)
    assert diagnosis.candidates[0] == "malformed_request" and "100 characters" in diagnosis.title


def test_status_only_on_flux_400() -> None:
    assert candidates_for(400, "flux")[:2] == ("malformed_request", "wrong_endpoint")
    assert candidates_for(403, "stt")[0] == "not_entitled_or_no_such_model"


def test_hidden_handshake_says_how_to_see_the_status() -> None:
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(client_error="WebSocket connection to 'wss://…' failed"))
    assert diagnosis.cause == "handshake_hidden"
    assert "devtools" in diagnosis.remedy and "dg-entitlements explain" in diagnosis.remedy
    assert diagnosis.candidates[0] == "invalid_key"


def test_hidden_handshake_ranks_a_credential_mistake_first() -> None:
    protocol = f"Sec-WebSocket-Protocol: {canary_key()}"
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(close_code=1006), headers=[protocol])
    assert diagnosis.candidates[0] == "wrong_auth_scheme"


def test_a_dns_failure_is_a_network_error_not_a_hidden_handshake() -> None:
    answer = SeenAnswer(client_error="getaddrinfo ENOTFOUND api.deepgram.com")
    judgement, diagnosis = diagnose_answer(LISTEN_WS, answer)
    assert judgement.verdict is Verdict.NETWORK_ERROR and diagnosis.cause == "network_error"


def test_idle_closes_say_what_to_send() -> None:
    _, v1 = diagnose_answer(NET0001.url, NET0001.answer)
    assert "KeepAlive" in v1.remedy and "TEXT frame" in v1.remedy and "3-5 s" in v1.remedy
    flux_url = "wss://api.deepgram.com/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"
    _, flux = diagnose_answer(flux_url, NET0001.answer)
    assert "no KeepAlive" in flux.remedy and "silence" in flux.remedy
    _, net0000 = diagnose_answer(NET0000.url, NET0000.answer)
    assert "NET-0000 is not NET-0001" in net0000.remedy


def test_undecodable_audio_close() -> None:
    judgement, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(close_code=1008, close_reason="DATA-0000"))
    assert judgement.verdict is Verdict.MALFORMED_REQUEST and diagnosis.cause == "undecodable_audio"


def test_empty_transcripts_without_duration_are_undecodable() -> None:
    frame = {"type": "Results", "channel": {"alternatives": [{"transcript": "", "confidence": 0.0, "words": []}]},
             "duration": 0.5, "is_final": True}
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(status=101, frames=(frame,), close_code=1000))
    assert diagnosis.cause == "undecodable_audio"


def test_words_before_status_a_streaming_refusal_is_a_wrong_endpoint() -> None:
    body = '{"err_code":"Bad Request","err_msg":"This model is not available for live streaming."}'
    url = "wss://api.deepgram.com/v1/listen?model=whisper-large"
    judgement, diagnosis = diagnose_answer(url, SeenAnswer(405, body=body))
    assert judgement.verdict is Verdict.WRONG_ENDPOINT and diagnosis.cause == "wrong_endpoint"
    assert "POST /v1/listen" in diagnosis.remedy


def test_modern_details_are_kept() -> None:
    body = ('{"category":"INVALID_JSON","message":"Invalid JSON submitted.","details":"Json deserialize error: '
            'unknown field `foo` at line 1 column 7","request_id":"r"}')
    url = "https://api.deepgram.com/v1/read?language=en"
    judgement, _ = diagnose_answer(url, SeenAnswer(400, body=body), method="POST")
    assert judgement.details is not None and "unknown field `foo`" in judgement.details


def test_missing_scope_is_not_an_invalid_key() -> None:
    body = "User does not have sufficient permissions."
    _, diagnosis = diagnose_answer("https://api.deepgram.com/v1/projects/p1/keys", SeenAnswer(401, body=body))
    assert diagnosis.cause == "missing_scope"
    _, invalid = diagnose_answer("https://api.deepgram.com/v1/projects/p1/keys", SeenAnswer(401, body=INVALID))
    assert invalid.cause == "invalid_key"


def test_an_acceptance_is_not_a_problem() -> None:
    judgement, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-3",
                                           SeenAnswer(200, {"content-type": "application/json"},
                                                      '{"metadata":{"duration":3.2},"results":{"channels":[]}}'))
    assert judgement.verdict is Verdict.ENTITLED and diagnosis.cause == "entitled"


def test_remedies_survive_the_scrubber() -> None:
    url = f"{LISTEN_WS}&api_key={canary_key()}"
    _, diagnosis = diagnose_answer(url, SeenAnswer(status=401, body=INVALID))
    assert scrub(diagnosis.remedy) == diagnosis.remedy


def test_a_url_body_without_the_json_content_type_is_undecodable_audio() -> None:
    """Deepgram's errors page: "Bad Request: failed to process audio: corrupt or unsupported data"."""
    body = '{"err_code":"Bad Request","err_msg":"Bad Request: failed to process audio: corrupt or unsupported data"}'
    _, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-3", SeenAnswer(400, body=body),
                                   method="POST")
    assert diagnosis.cause == "undecodable_audio" and "application/json" in diagnosis.remedy


@pytest.mark.parametrize("header", ["Authorization: Token undefined", "Authorization: Token ",
                                    "Sec-WebSocket-Protocol: token, null"])
def test_an_unset_variable_is_a_missing_key(header: str) -> None:
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(status=401, body=INVALID), headers=[header])
    assert diagnosis.cause == "missing_key" and "DEEPGRAM_API_KEY" in diagnosis.remedy


# ------------------------------------------------------------------ what survives in a client's hands
def test_words_without_a_status_are_still_read() -> None:
    """openclaw #129452 posted only the body: the code names its status (reference §5.4 C)."""
    body = ('{"err_code":"V2_MODEL_ON_V1_LISTEN_ENDPOINT","err_msg":"Flux models are not supported on the /v1/listen '
            'endpoint. Please use the /v2/listen endpoint for conversational speech-to-text requests."}')
    judgement, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=flux-general-multi",
                                           SeenAnswer(body=body), method="POST")
    assert judgement.verdict is Verdict.WRONG_ENDPOINT and diagnosis.cause == "wrong_endpoint"


def test_deepgram_words_kept_in_a_client_error_are_read() -> None:
    """deepgram-js-sdk #263: the SDK error message is all that survived."""
    error = "REMOTE_CONTENT_ERROR: The remote server hosting the media failed to return valid data"
    _, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-2", SeenAnswer(client_error=error),
                                   method="POST")
    assert diagnosis.cause == "remote_media_error"


def test_a_client_error_without_deepgram_words_is_not_read_as_words() -> None:
    error = "net::ERR_CONNECTION_REFUSED"
    judgement, _ = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-2", SeenAnswer(client_error=error),
                                   method="POST")
    assert judgement.verdict is Verdict.NETWORK_ERROR


def test_a_close_reason_names_its_code() -> None:
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(close_reason=NET0000.answer.close_reason))
    assert diagnosis.cause == "idle_timeout"


def test_a_client_error_with_a_status_is_not_a_network_error() -> None:
    judgement, _ = diagnose_answer(LISTEN_WS, SeenAnswer(status=401, client_error="connection reset by peer"))
    assert judgement.verdict is Verdict.INVALID_AUTH


def test_a_bare_1006_ranks_an_idle_drop() -> None:
    _, diagnosis = diagnose_answer(LISTEN_WS, SeenAnswer(close_code=1006))
    assert diagnosis.cause == "handshake_hidden" and "idle_timeout" in diagnosis.candidates[:3]
    _, failed = diagnose_answer(LISTEN_WS, SeenAnswer(close_code=1006, client_error="WebSocket connection failed"))
    assert "idle_timeout" not in failed.candidates


def test_an_accepted_request_the_client_says_held_no_speech() -> None:
    _, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-3",
                                   SeenAnswer(200, client_error="No speech detected"), method="POST")
    assert diagnosis.cause == "undecodable_audio"


def test_a_wrongly_typed_value_ranks_a_malformed_request_first() -> None:
    """deepgram-go-sdk #294 shape: endpointing=300ms (a number is expected), only a failed dial was seen."""
    url = "wss://api.deepgram.com/v1/listen?model=nova-2&endpointing=300ms"
    _, diagnosis = diagnose_answer(url, SeenAnswer(client_error="Dialer failed: websocket"))
    assert diagnosis.cause == "handshake_hidden" and diagnosis.candidates[0] == "malformed_request"
    assert "idle_timeout" not in diagnosis.candidates


def test_flux_eager_threshold_above_eot_is_named() -> None:
    url = "wss://api.deepgram.com/v2/listen?model=flux-general-en&eot_threshold=0.7&eager_eot_threshold=0.8"
    _, diagnosis = diagnose_answer(url, SeenAnswer(status=400))
    assert diagnosis.candidates[0] == "malformed_request" and "eager_eot_threshold" in diagnosis.title


def test_auth_form_knows_when_no_credential_was_sent() -> None:
    # Headers not given: unknown. Headers given in full (even none at all): no credential means none was sent.
    assert auth_form(LISTEN_WS, []).where == "unknown"
    assert auth_form(LISTEN_WS, [], complete=True).where == "none"
    assert auth_form(LISTEN_WS, ["Content-Type: audio/wav"]).where == "none"
    assert auth_form(LISTEN_WS, [f"Authorization: Token {canary_key()}"], complete=True).where == "header"

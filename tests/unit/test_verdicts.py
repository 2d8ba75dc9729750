"""`judge` on Deepgram's own answers, copied verbatim from the reference (tests/unit/captures.py)."""

from __future__ import annotations

import pytest
from captures import CAPTURES, SURFACES, Capture

from dg_entitlements.model import Combo, Frame, Observation, RequestSummary, Verdict
from dg_entitlements.verdicts import deepgram_words, is_published_model, judge


def combo(surface: str, model: str | None = None, params: tuple[tuple[str, str], ...] = ()) -> Combo:
    return Combo(id=f"{surface}::{model or 'x'}", surface=SURFACES[surface], model=model, params=params)


def test_there_are_at_least_thirty_captures_with_sections() -> None:
    assert len(CAPTURES) >= 30
    assert len({c.name for c in CAPTURES}) == len(CAPTURES)
    assert all(c.section.startswith("§") for c in CAPTURES)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda c: c.name)
def test_verbatim_capture_gets_its_verdict(capture: Capture) -> None:
    judgement = judge(capture.observation(), capture.combo())
    assert judgement.verdict is capture.verdict, judgement.reason
    assert judgement.parameter == capture.parameter
    assert judgement.right_endpoint == capture.right_endpoint
    assert judgement.reason and "\n" not in judgement.reason


@pytest.mark.parametrize("capture", [c for c in CAPTURES if c.status not in (101, 200, 405) and c.body],
                         ids=lambda c: c.name)
def test_reason_quotes_deepgrams_own_words(capture: Capture) -> None:
    judgement = judge(capture.observation(), capture.combo())
    assert judgement.err_msg is not None
    assert judgement.err_msg in judgement.reason


def test_invalid_key_reads_code_message_and_request_id() -> None:
    capture = next(c for c in CAPTURES if c.name == "ws-invalid-key")
    judgement = judge(capture.observation(), capture.combo())
    assert judgement.err_code == "INVALID_AUTH"
    assert judgement.err_msg == "Invalid credentials."
    assert judgement.reason == ('Deepgram answered 401 INVALID_AUTH "Invalid credentials.": the credentials were '
                                "refused (invalid, missing or expired).")
    assert deepgram_words(capture.observation()).request_id == "01a0accc-307e-7171-b0e9-5eb486f4e252"


def test_made_up_model_reason_says_it_may_not_exist() -> None:
    capture = next(c for c in CAPTURES if c.name == "made-up-model-rest")
    judgement = judge(capture.observation(), capture.combo())
    assert judgement.verdict is Verdict.NOT_ENTITLED
    assert "nova-3-genral is not a model name Deepgram publishes" in judgement.reason
    assert "check the spelling" in judgement.reason


def test_real_model_reason_says_not_entitled_or_no_such_model() -> None:
    capture = next(c for c in CAPTURES if c.name == "not-entitled-rest")
    judgement = judge(capture.observation(), capture.combo())
    assert "not entitled to it, or no model of that name exists" in judgement.reason
    assert judgement.model == "nova-3-medical"


def test_error_code_typo_is_read() -> None:
    capture = next(c for c in CAPTURES if c.name == "503-error-code-typo")
    judgement = judge(capture.observation(), capture.combo())
    assert judgement.err_code == "Service Unavailable"
    assert judgement.err_msg == "Please try again later"


def test_modern_shape_is_read() -> None:
    capture = next(c for c in CAPTURES if c.name == "invalid-json-modern")
    judgement = judge(capture.observation(), capture.combo())
    assert (judgement.err_code, judgement.err_msg) == ("INVALID_JSON", "Invalid JSON submitted.")


def test_body_as_bytes_or_unparsed_json_text_is_read() -> None:
    raw = b'{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Unknown query parameters: a, b"}'
    c = combo("listen-v2-ws", "flux-general-en", (("a", "1"), ("b", "2")))
    for body in (raw, raw.decode()):
        judgement = judge(Observation(status=400, body=body), c)
        assert judgement.verdict is Verdict.MALFORMED_REQUEST
        assert judgement.parameter == "a, b"


def test_nova_on_v2_listen_400_about_model_is_wrong_endpoint() -> None:
    body = {"err_code": "INVALID_QUERY_PARAMETER", "err_msg": "Invalid 'model' value of 'nova-3'."}
    judgement = judge(Observation(status=400, body=body), combo("listen-v2-ws", "nova-3"))
    assert judgement.verdict is Verdict.WRONG_ENDPOINT
    assert judgement.right_endpoint == "/v1/listen"


def test_v1_model_on_v2_listen_code_is_wrong_endpoint() -> None:
    body = {"err_code": "V1_MODEL_ON_V2_LISTEN_ENDPOINT", "err_msg": "Only flux models are supported."}
    judgement = judge(Observation(status=400, body=body), combo("listen-v2-ws", "nova-3"))
    assert (judgement.verdict, judgement.right_endpoint) == (Verdict.WRONG_ENDPOINT, "/v1/listen")


def test_unknown_param_on_v2_listen_with_nova_model_is_still_malformed() -> None:
    body = {"err_code": "INVALID_QUERY_PARAMETER", "err_msg": "Unknown query parameters: channels"}
    judgement = judge(Observation(status=400, body=body), combo("listen-v2-ws", "nova-3", (("channels", "1"),)))
    assert (judgement.verdict, judgement.parameter) == (Verdict.MALFORMED_REQUEST, "channels")


def test_upper_case_boolean_is_named_when_deepgram_only_says_invalid_query_string() -> None:
    obs = Observation(status=400, body={"err_code": "Bad Request", "err_msg": "Invalid query string."})
    judgement = judge(obs, combo("speak-v1-ws", "aura-2-thalia-en", (("mip_opt_out", "False"),)))
    assert (judgement.verdict, judgement.parameter) == (Verdict.MALFORMED_REQUEST, "mip_opt_out")


def test_parameter_is_found_in_the_recorded_url_when_the_combo_lacks_it() -> None:
    obs = Observation(status=400, body={"err_code": "Bad Request", "err_msg": "Invalid query string."},
                      request=RequestSummary("GET", "wss://h/v1/listen?model=nova-3&endpointing=soon", "Token"))
    assert judge(obs, combo("listen-v1-ws", "nova-3")).parameter == "endpointing"


def test_key_in_the_url_is_named() -> None:
    obs = Observation(status=400, body={"err_code": "Bad Request", "err_msg": "Invalid query string."},
                      request=RequestSummary("GET", "wss://h/v1/listen?model=nova-3&token=[redacted]", None))
    assert judge(obs, combo("listen-v1-ws", "nova-3")).parameter == "token"


@pytest.mark.parametrize(("status", "verdict"), [
    (200, Verdict.ENTITLED), (201, Verdict.ENTITLED), (204, Verdict.ENTITLED), (302, Verdict.UNRECOGNISED),
    (402, Verdict.PAYMENT_REQUIRED), (404, Verdict.NOT_FOUND), (405, Verdict.NOT_FOUND), (408, Verdict.TIMEOUT),
    (429, Verdict.RATE_LIMITED), (500, Verdict.SERVER_ERROR), (502, Verdict.SERVER_ERROR),
    (504, Verdict.SERVER_ERROR), (401, Verdict.INVALID_AUTH), (418, Verdict.UNRECOGNISED),
])
def test_status_alone(status: int, verdict: Verdict) -> None:
    assert judge(Observation(status=status), combo("listen-v1-rest", "nova-3")).verdict is verdict


def test_wordless_403_is_not_a_denial() -> None:
    """A 403 with no Deepgram words may be a proxy or WAF: never read it as not entitled."""
    judgement = judge(Observation(status=403, body="<html>Forbidden</html>"), combo("listen-v1-rest", "nova-3"))
    assert judgement.verdict is Verdict.UNRECOGNISED
    assert judge(Observation(status=403), combo("listen-v1-rest", "nova-3")).verdict is Verdict.UNRECOGNISED


def test_wordless_400_is_unrecognised() -> None:
    assert judge(Observation(status=400), combo("listen-v2-ws", "nova-3")).verdict is Verdict.UNRECOGNISED


def test_5xx_with_not_entitled_words_is_still_a_server_error() -> None:
    body = {"err_code": "INSUFFICIENT_PERMISSIONS", "err_msg": "Project does not have access to the requested model."}
    assert judge(Observation(status=502, body=body), combo("listen-v1-rest", "nova-3")).verdict is Verdict.SERVER_ERROR


@pytest.mark.parametrize(("error", "verdict"), [
    ("timeout:connect", Verdict.TIMEOUT), ("timeout:read", Verdict.TIMEOUT), ("timeout:stalled", Verdict.TIMEOUT),
    ("refused", Verdict.NETWORK_ERROR), ("reset", Verdict.NETWORK_ERROR), ("dns", Verdict.NETWORK_ERROR),
    ("tls", Verdict.NETWORK_ERROR), ("weird", Verdict.NETWORK_ERROR),
])
def test_network_errors(error: str, verdict: Verdict) -> None:
    judgement = judge(Observation(status=None, error=error), combo("listen-v1-ws", "nova-3"))
    assert judgement.verdict is verdict
    assert "not a denial" in judgement.reason


def test_accepted_stream_that_never_closes_is_a_timeout() -> None:
    obs = Observation(status=101, error="timeout:close", closed_by="client")
    assert judge(obs, combo("listen-v2-ws", "flux-general-en")).verdict is Verdict.TIMEOUT


@pytest.mark.parametrize(("code", "reason", "verdict"), [
    (None, None, Verdict.ENTITLED), (1000, "", Verdict.ENTITLED), (1005, None, Verdict.ENTITLED),
    (1008, "DATA-0000", Verdict.MALFORMED_REQUEST), (1006, None, Verdict.NETWORK_ERROR),
    (1011, "boom", Verdict.SERVER_ERROR), (1013, None, Verdict.SERVER_ERROR), (4001, "x", Verdict.UNRECOGNISED),
    (1000, "unknown variant `KeepAlive`, expected one of `CloseStream`, `ForceEndTurn`, `Configure`",
     Verdict.MALFORMED_REQUEST),
])
def test_close_codes(code: int | None, reason: str | None, verdict: Verdict) -> None:
    obs = Observation(status=101, close_code=code, close_reason=reason)
    assert judge(obs, combo("listen-v1-ws", "nova-3")).verdict is verdict


def test_error_frame_with_not_entitled_words() -> None:
    frame = Frame("text", 1.0, {"type": "Error", "code": "INSUFFICIENT_PERMISSIONS",
                                "description": "Project does not have access to the requested model."})
    assert judge(Observation(status=101, frames=(frame,)), combo("agent-v1-ws")).verdict is Verdict.NOT_ENTITLED


def test_binary_and_odd_frames_are_ignored() -> None:
    frames = (Frame("binary", 1.0, None, 320), Frame("text", 2.0, "not json"), Frame("text", 3.0, {"type": 7}))
    assert judge(Observation(status=101, frames=frames), combo("speak-v1-ws", "aura-asteria-en")).verdict \
        is Verdict.ENTITLED


def test_ws_upgrade_answered_200_is_not_entitled_nor_denied() -> None:
    assert judge(Observation(status=200, body="<html>portal</html>"), combo("listen-v1-ws", "nova-3")).verdict \
        is Verdict.UNRECOGNISED


def test_scope_words_on_403_are_insufficient_permissions() -> None:
    body = {"err_code": "INSUFFICIENT_PERMISSIONS", "err_msg": "User does not have sufficient permissions."}
    assert judge(Observation(status=403, body=body), combo("project-keys-v1")).verdict \
        is Verdict.INSUFFICIENT_PERMISSIONS


def test_published_names() -> None:
    assert is_published_model("nova-3") and is_published_model("flux-general-multi")
    assert is_published_model("aura-2-thalia-en") and is_published_model("aura-asteria-en")
    assert is_published_model("flux-alexis-en")
    assert not is_published_model("nova-3-genral") and not is_published_model("flux-general-fr")
    assert not is_published_model("aura-nobody-en")


# ------------------------------------------------------------------ evidence-decided causes (issue 12.2)
# Close reasons verbatim: NET-0001 pipecat-ai/pipecat#1113, NET-0000 deepgram/deepgram-python-sdk#509;
# codes from https://developers.deepgram.com/docs/tts-troubleshooting-websocket-net-and-data-errors.
NET0001 = "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"
NET0000 = "Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000"


@pytest.mark.parametrize(("surface", "code", "reason", "verdict", "hint"), [
    ("listen-v1-ws", 1011, NET0001, Verdict.TIMEOUT, "idle_timeout"),
    ("listen-v1-ws", 1011, NET0000, Verdict.SERVER_ERROR, "idle_timeout"),
    ("listen-v1-ws", 1008, "DATA-0000", Verdict.MALFORMED_REQUEST, "undecodable_audio"),
    ("speak-v1-ws", 1008, "DATA-0000", Verdict.MALFORMED_REQUEST, None),  # TTS: an invalid command, not audio
    ("speak-v1-ws", 1008, "DATA-0001", Verdict.RATE_LIMITED, "tts_rate_limit"),
    ("speak-v1-ws", 1011, "NET-0000", Verdict.SERVER_ERROR, None),  # TTS NET-0000 is an internal error
])
def test_stream_closes(surface: str, code: int, reason: str, verdict: Verdict, hint: str | None) -> None:
    judgement = judge(Observation(status=101, close_code=code, close_reason=reason), combo(surface, "m"))
    assert (judgement.verdict, judgement.cause_hint) == (verdict, hint)


def test_words_before_status_a_405_about_streaming_is_a_wrong_endpoint() -> None:
    body = {"err_code": "Bad Request", "err_msg": "Model whisper-large is not available for live streaming."}
    judgement = judge(Observation(status=405, body=body), combo("listen-v1-ws", "whisper-large"))
    assert judgement.verdict is Verdict.WRONG_ENDPOINT and judgement.right_endpoint == "POST /v1/listen (pre-recorded)"


def test_a_bare_405_on_a_batch_only_model_stream_is_a_wrong_endpoint() -> None:
    """deepgram/deepgram-dotnet-sdk#304: whisper-large on wss /v1/listen, only '405' came back."""
    assert judge(Observation(status=405), combo("listen-v1-ws", "whisper-large")).verdict is Verdict.WRONG_ENDPOINT
    assert judge(Observation(status=405), combo("listen-v1-ws", "nova-3")).cause_hint == "status_only"


def test_remote_media_is_not_the_request_nor_an_entitlement() -> None:
    """deepgram/deepgram-js-sdk#222, verbatim words."""
    body = {"err_code": "Bad Request", "err_msg": "Could not determine if URL for audio download is publicly routable."}
    judgement = judge(Observation(status=400, body=body), combo("listen-v1-rest", "nova-3"))
    assert judgement.cause_hint == "remote_media_error" and judgement.verdict.is_inconclusive


def test_status_only_is_marked_and_wordy_answers_are_not() -> None:
    assert judge(Observation(status=400), combo("listen-v2-ws", "flux-general-en")).cause_hint == "status_only"
    worded = judge(Observation(status=400, body={"err_code": "Bad Request", "err_msg": "Invalid query string."}),
                   combo("listen-v1-rest", "nova-3"))
    assert worded.cause_hint is None and worded.verdict is Verdict.MALFORMED_REQUEST


def test_modern_details_reach_the_judgement() -> None:
    body = {"category": "INVALID_JSON", "message": "Invalid JSON submitted.",
            "details": "Json deserialize error: missing field `language`", "request_id": "uuid"}
    judgement = judge(Observation(status=400, body=body), combo("read-v1-rest"))
    assert judgement.details == "Json deserialize error: missing field `language`"
    assert judgement.parameter == "language"

"""Rules decided from evidence: what the request itself shows, and what little the user saw.

Each rule is general (a request with no credential, a host and path that are not Deepgram's, a feature a
stream refuses, a language an English-only model does not offer, a voice Deepgram does not publish, an
accepted stream that produced nothing, no answer at all) and is tested here on a verbatim real-world payload
(realworld_payloads.py, each with its public source) plus the near miss it must leave alone. When the status
alone cannot decide, the rule ranks the candidate instead of claiming it (a hidden or bare answer stays
`handshake_hidden` / `status_only`, with the request's defect first).
"""

from __future__ import annotations

import uuid

import pytest
from realworld_payloads import (
    AGENT_CLIENT_MESSAGE,
    DEFAULT_MODEL_CZECH,
    DETECT_LANGUAGE_STREAM,
    DETECT_LANGUAGES_STREAM,
    DG_ERROR_HEADER_ONLY,
    EMPTY_FRAME_CLOSE_1000,
    ENGLISH_ONLY_400,
    ENGLISH_ONLY_HIDDEN,
    FLUX_INACTIVE_CLIENT,
    FLUX_V1_PARAMETER_400,
    GATEWAY_QUOTA,
    JS_SDK_UNDEFINED,
    KEY_AS_BEARER_401,
    KEY_NOT_SET_APP,
    KEY_REQUIRED_NODE,
    LANGUAGE_ENUM_NAME,
    NO_HEADERS_DOTNET,
    NOTHING_WHISPER_STREAM,
    NOVA_SPANISH_SDK_CRASH,
    REMOTE_CONTENT_LENGTH,
    REMOTE_LENGTH_REQUIRED,
    RULE_ANSWERS,
    SELFHOSTED_429,
    SILENT_FOREIGN_LANGUAGE,
    SILENT_NO_ENCODING,
    TOPICS_ENGLISH_ONLY_200,
    TTS_UNSUPPORTED_FORMAT_CUT,
    TTS_VOICE_TYPO,
    VENDOR_401,
    RealAnswer,
    canary_key,
    request_headers,
)

from dg_entitlements import facts
from dg_entitlements.model import Diagnosis, Judgement, Verdict
from dg_entitlements.offline import SeenAnswer, diagnose_answer
from dg_entitlements.verdicts import salvage_fields

ENTITLEMENT = {"not_entitled", "not_entitled_or_no_such_model", "no_credits"}


def run(real: RealAnswer, url: str | None = None, **answer: object) -> tuple[Judgement, Diagnosis]:
    seen = real.answer if not answer else SeenAnswer(**answer)  # type: ignore[arg-type]
    return diagnose_answer(url or real.url, seen, headers=request_headers(real),
                           headers_complete=real.extra.get("complete") == "yes" or bool(real.headers))


@pytest.mark.parametrize("real", RULE_ANSWERS, ids=lambda r: r.name)
def test_rule_payload_is_never_an_entitlement_and_leaks_no_key(real: RealAnswer) -> None:
    judgement, diagnosis = run(real)
    assert diagnosis.cause not in ENTITLEMENT and not diagnosis.is_entitlement, real.source
    assert real.cause == diagnosis.cause or real.cause in diagnosis.candidates[:3], (real.source, diagnosis)
    for text in (diagnosis.title, diagnosis.remedy, judgement.reason):
        assert canary_key() not in text


# ------------------------------------------------------------------------------------------ no credential
def test_no_credential_at_all_is_a_missing_key() -> None:
    # deepgram-dotnet-sdk #342: the key never reached the client, so the request carried no Authorization.
    _, diagnosis = run(NO_HEADERS_DOTNET)
    assert diagnosis.cause == "missing_key"
    assert "Token <your key>" in diagnosis.remedy


def test_unknown_headers_are_not_a_missing_key() -> None:
    # The same answer when nobody said which headers were sent: the key may well have been there.
    _, diagnosis = diagnose_answer(NO_HEADERS_DOTNET.url, NO_HEADERS_DOTNET.answer)
    assert diagnosis.cause == "handshake_hidden"


def test_no_credential_with_a_401_is_a_missing_key() -> None:
    _, diagnosis = diagnose_answer(NO_HEADERS_DOTNET.url, SeenAnswer(status=401), headers=[], headers_complete=True)
    assert diagnosis.cause == "missing_key"


@pytest.mark.parametrize("real", [KEY_REQUIRED_NODE, KEY_NOT_SET_APP], ids=lambda r: r.name)
def test_client_that_had_no_key_to_send(real: RealAnswer) -> None:
    _, diagnosis = diagnose_answer(real.url, real.answer)
    assert diagnosis.cause == "missing_key"


@pytest.mark.parametrize("text", ["WebSocket connection to 'wss://api.deepgram.com/v1/listen' failed",
                                  "Deepgram API Key is invalid", "KeyError: 'transcript'"])
def test_other_client_errors_do_not_say_the_key_is_missing(text: str) -> None:
    assert not facts.MISSING_KEY_CLIENT.search(text)


# ------------------------------------------------------------------------------------------ another service
@pytest.mark.parametrize("real", [VENDOR_401, GATEWAY_QUOTA], ids=lambda r: r.name)
def test_a_service_that_is_not_deepgram_answered(real: RealAnswer) -> None:
    judgement, diagnosis = run(real)
    assert diagnosis.cause == "not_deepgram" and judgement.answered_by_deepgram is False
    assert diagnosis.title.startswith("Not Deepgram") and "api.deepgram.com" in diagnosis.remedy


def test_deepgram_path_on_another_host_is_still_read_as_deepgram() -> None:
    # deepgram-dotnet-sdk #339: self-hosted Deepgram answers on the user's own host.
    _, diagnosis = run(SELFHOSTED_429)
    assert diagnosis.cause == "rate_limited"


def test_a_service_relaying_deepgrams_words_is_read_on_those_words() -> None:
    body = '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"r"}'
    seen = SeenAnswer(status=401, body=body)
    _, diagnosis = diagnose_answer(VENDOR_401.url, seen, headers=request_headers(VENDOR_401))
    assert diagnosis.cause != "not_deepgram"


# ------------------------------------------------------------------------------------------ features on a stream
@pytest.mark.parametrize("real", [DETECT_LANGUAGE_STREAM, DETECT_LANGUAGES_STREAM], ids=lambda r: r.name)
def test_prerecorded_feature_on_a_stream_leads_a_bare_400(real: RealAnswer) -> None:
    _, diagnosis = run(real)
    assert diagnosis.cause == "status_only"
    assert diagnosis.candidates[0] == "feature_not_allowed"
    assert "detect_language" in diagnosis.title


def test_prerecorded_feature_switched_off_or_on_rest_is_no_suspect() -> None:
    off = DETECT_LANGUAGE_STREAM.url.replace("detect_language=true", "detect_language=false")
    assert run(DETECT_LANGUAGE_STREAM, url=off)[1].candidates[0] != "feature_not_allowed"
    rest = DETECT_LANGUAGE_STREAM.url.replace("wss://", "https://")
    _, diagnosis = diagnose_answer(rest, SeenAnswer(status=400), method="POST")
    assert "feature_not_allowed" not in diagnosis.candidates[:1]


# ------------------------------------------------------------------------------------------ language
def test_english_only_model_with_another_language_leads_a_hidden_refusal() -> None:
    # drachtio-freeswitch-modules #112: the client hid the refusal; the request shows conversationalai + es.
    _, diagnosis = run(ENGLISH_ONLY_HIDDEN)
    assert diagnosis.cause == "handshake_hidden" and diagnosis.candidates[0] == "unsupported_language"


def test_english_only_model_with_another_language_leads_a_bare_400() -> None:
    _, diagnosis = run(ENGLISH_ONLY_400)
    assert diagnosis.cause == "status_only" and diagnosis.candidates[0] == "unsupported_language"


@pytest.mark.parametrize(("model", "language", "problem"), [
    ("conversationalai", "es", "unsupported_language"), ("nova-2-phonecall", "fr", "unsupported_language"),
    ("nova-3-medical", "de", "unsupported_language"), ("nova-2-general", "es", None),
    ("nova-2-phonecall", "en-US", None),
    ("nova-3", "vi", None), ("nova-2-meeting", "multi", None), ("nova-2", "Language.EN", "malformed_request"),
    ("nova-3", "english", "malformed_request"), ("nova-3", "es-419", None), ("nova-3", "zh-Hant", None),
])
def test_language_problem(model: str, language: str, problem: str | None) -> None:
    found = facts.language_problem(model, [("language", language)])
    assert (found[0] if found else None) == problem


def test_language_name_instead_of_code_leads_a_hidden_refusal() -> None:
    # pipecat #868: `language=Language.EN` (an enum's name) instead of `en`.
    _, diagnosis = run(LANGUAGE_ENUM_NAME)
    assert diagnosis.cause == "handshake_hidden" and diagnosis.candidates[0] == "malformed_request"


# ------------------------------------------------------------------------------------------ voices
def test_unpublished_voice_leads_a_bare_400_on_speak() -> None:
    # livekit/agents #2224: aura-austeria-en (Deepgram's voice is aura-asteria-en).
    _, diagnosis = run(TTS_VOICE_TYPO)
    assert diagnosis.cause == "status_only" and diagnosis.candidates[0] == "no_such_model"
    fixed = TTS_VOICE_TYPO.url.replace("austeria", "asteria")
    assert "no_such_model" not in run(TTS_VOICE_TYPO, url=fixed)[1].candidates[:1]


# ------------------------------------------------------------------------------------------ accepted, silent
def test_accepted_stream_with_nothing_back_and_no_encoding_is_undecodable_audio() -> None:
    _, diagnosis = run(SILENT_NO_ENCODING)
    assert diagnosis.cause == "undecodable_audio" and "encoding" in diagnosis.remedy


def test_accepted_stream_with_nothing_back_ranks_audio_then_language() -> None:
    _, diagnosis = run(SILENT_FOREIGN_LANGUAGE)
    assert diagnosis.cause == "status_only"
    assert diagnosis.candidates[:2] == ("undecodable_audio", "unsupported_language")


def test_accepted_stream_with_results_is_still_an_acceptance() -> None:
    results = {"type": "Results", "channel": {"alternatives": [{"transcript": "hello there"}]}}
    _, diagnosis = run(SILENT_NO_ENCODING, status=101, frames=(results,))
    assert diagnosis.cause == "entitled"


# ------------------------------------------------------------------------------------------ nothing seen
def test_nothing_seen_and_a_request_deepgram_always_refuses() -> None:
    # daily-python #4: whisper-base on a stream; no message, no error came back.
    _, diagnosis = run(NOTHING_WHISPER_STREAM)
    assert diagnosis.cause == "wrong_endpoint" and "pre-recorded" in diagnosis.title


def test_nothing_seen_and_a_clean_request_asks_for_deepgrams_answer() -> None:
    clean = "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"
    _, diagnosis = diagnose_answer(clean, SeenAnswer(), headers=request_headers(NOTHING_WHISPER_STREAM))
    assert diagnosis.cause == "status_only" and "dg-entitlements explain" in diagnosis.remedy


# ------------------------------------------------------------------------------------------ Deepgram's words
def test_agent_refusing_the_clients_message_is_a_malformed_request() -> None:
    judgement, diagnosis = run(AGENT_CLIENT_MESSAGE)
    assert judgement.verdict is Verdict.MALFORMED_REQUEST and diagnosis.cause == "malformed_request"


def test_dg_error_header_gives_the_status_when_the_client_lost_it() -> None:
    judgement, diagnosis = run(DG_ERROR_HEADER_ONLY)
    assert judgement.verdict is Verdict.INVALID_AUTH and diagnosis.cause == "invalid_key"


# ------------------------------------------------------------------------------------ codes not known yet


@pytest.mark.parametrize(("code", "cause"), [
    ("INACTIVE_CLIENT", "idle_timeout"), ("CLIENT_MESSAGE_TIMEOUT", "idle_timeout"),
    ("UNSUPPORTED_AUDIO_FORMAT", "malformed_request"), ("INVALID_SETTINGS", "malformed_request"),
    ("FAILED_TO_SPEAK", "server_error"), ("PROJECT_QUOTA_EXCEEDED", "rate_limited"),
    ("INSUFFICIENT_CREDITS", "no_credits"), ("REMOTE_FETCH_FAILED", "remote_media_error"),
    ("ERR_CERT_AUTHORITY_INVALID", None), ("CERTIFICATE_VERIFY_FAILED", None),
    ("FORCE_END_TURN_NO_ACTIVE_TURN", None), ("Bad Request", None), ("ECONNRESET", None),
])
def test_a_code_is_read_by_its_own_words(code: str, cause: str | None) -> None:
    meaning = facts.code_meaning(code)
    assert (meaning.cause if meaning else None) == cause


def test_flux_inactive_client_is_an_idle_stream_with_the_flux_remedy() -> None:
    judgement, diagnosis = run(FLUX_INACTIVE_CLIENT)
    assert judgement.verdict is Verdict.TIMEOUT and diagnosis.cause == "idle_timeout"
    assert "INACTIVE_CLIENT" in diagnosis.title and "silence" in diagnosis.remedy  # Flux has no KeepAlive


def test_an_unknown_error_frame_code_with_no_readable_word_stays_unrecognised() -> None:
    judgement, diagnosis = run(FLUX_INACTIVE_CLIENT, frames=({"type": "Error", "code": "FLUX_E_4711"},))
    assert judgement.verdict is Verdict.UNRECOGNISED and diagnosis.cause != "idle_timeout"


def test_a_cut_short_error_body_is_still_read_and_quoted() -> None:
    judgement, diagnosis = run(TTS_UNSUPPORTED_FORMAT_CUT)
    assert judgement.err_code == "UNSUPPORTED_AUDIO_FORMAT" and diagnosis.cause == "malformed_request"
    assert judgement.parameter and "container" in judgement.parameter
    assert "`container=none` is invalid" in diagnosis.remedy


def test_salvage_reads_only_deepgrams_fields() -> None:
    assert salvage_fields('{"err_code":"X_Y","err_msg":"cut sho') == {"err_code": "X_Y", "err_msg": "cut sho"}
    assert salvage_fields('{"transcript": "hello", "confidence": 0.9') is None


# ------------------------------------------------------------------------------------------ remote media


def test_remote_fetch_words_without_a_status_are_the_media_hosts_problem() -> None:
    _judgement, diagnosis = run(REMOTE_CONTENT_LENGTH)
    assert diagnosis.cause == "remote_media_error" and "web page" in diagnosis.remedy


def test_a_browsers_failed_to_fetch_is_not_a_remote_media_error() -> None:
    _judgement, diagnosis = run(REMOTE_CONTENT_LENGTH, client_error="TypeError: Failed to fetch")
    assert diagnosis.cause != "remote_media_error"


def test_a_411_on_pre_recorded_audio_ranks_the_media_host_first() -> None:
    judgement, diagnosis = run(REMOTE_LENGTH_REQUIRED)
    assert judgement.cause_hint == "status_only" and diagnosis.candidates[0] == "remote_media_error"


# ------------------------------------------------------------------------------------- status in words


@pytest.mark.parametrize(("text", "status"), [
    ("Unexpected server response: 401", 401),
    ("server rejected WebSocket connection: HTTP 402", 402),
    ("aiohttp.client_exceptions.WSServerHandshakeError: 400, message='Invalid response status'", 400),
    ("notAnUpgrade(401)", 401),
    ("httpx.HTTPStatusError: Client error '411 Length Required' for url", 411),
    ("The server returned status code '429' limit exceeded,  when status code '101' was expected.", 429),
    ("Exception: DG: 408, message='Request Timeout'", 408),
    ("java.net.ProtocolException: Expected HTTP 101 response but was '401 Unauthorized'", 401),  # OkHttp
    ("HTTP error: 401 Unauthorized", 401),  # tungstenite
    ("401 Client Error: Unauthorized for url: https://api.deepgram.com/v1/listen", 401),  # requests
    ("Request failed with status code 403", 403),  # axios
    ("status code '101' was expected", None),
    ("Received network error or non-101 status code", None),
    ("getaddrinfo EAI_AGAIN api.eu.deepgram.com", None),
    ("WebSocketException in LiveClient.start: timed out", None),
])
def test_the_status_a_clients_text_reports(text: str, status: int | None) -> None:
    assert facts.status_in_client_text(text) == status


def test_a_key_sent_as_bearer_with_the_status_only_in_the_clients_text() -> None:
    _judgement, diagnosis = run(KEY_AS_BEARER_401)
    assert diagnosis.cause == "wrong_auth_scheme" and "Token" in diagnosis.remedy


def test_deepgrams_body_inside_a_clients_error_is_read_as_the_body() -> None:
    body = ('{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.",'
            '"request_id":"019f5990-aa76-7d53-a2ca-a90ec21c5919"}')
    judgement, _ = run(KEY_AS_BEARER_401, client_error=f"Unexpected server response: 401 - {body}")
    assert judgement.err_code == "INVALID_AUTH" and judgement.err_msg == "Invalid credentials."


# ------------------------------------------------------------------------------ accepted, but not as asked


def test_a_warning_on_an_acceptance_names_the_feature_and_the_language() -> None:
    judgement, diagnosis = run(TOPICS_ENGLISH_ONLY_200)
    assert diagnosis.cause == "unsupported_language" and judgement.parameter == "topics"
    assert "`topics`" in diagnosis.title and "Topics is only supported for English" in diagnosis.remedy


def test_a_json_warning_that_is_not_about_language_is_a_request_problem() -> None:
    body = ('{"metadata": {"warnings": [{"parameter": "utt_split", "type": "deprecated", "message": "utt_split is '
            'ignored for this model."}]}, "results": {"channels": [{"alternatives": [{"transcript": "hello"}]}]}}')
    judgement, diagnosis = run(TOPICS_ENGLISH_ONLY_200, status=200, body=body)
    assert diagnosis.cause == "malformed_request" and judgement.parameter == "utt_split"


def test_an_acceptance_with_no_warning_is_an_acceptance() -> None:
    body = '{"metadata": {"duration": 3.2}, "results": {"channels": [{"alternatives": [{"transcript": "bonjour"}]}]}}'
    _, diagnosis = run(TOPICS_ENGLISH_ONLY_200, status=200, body=body)
    assert diagnosis.cause == "entitled"


def test_a_normal_close_the_user_did_not_expect_is_the_client_asking_to_close() -> None:
    judgement, diagnosis = run(EMPTY_FRAME_CLOSE_1000)
    assert judgement.verdict is Verdict.MALFORMED_REQUEST and diagnosis.cause == "malformed_request"
    assert "zero-length binary frame" in diagnosis.remedy


def test_a_close_with_deepgrams_reason_is_read_on_the_reason_not_as_a_client_close() -> None:
    reason = "Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"
    _, diagnosis = run(EMPTY_FRAME_CLOSE_1000, close_code=1011, close_reason=reason)
    assert diagnosis.cause == "idle_timeout"


# ------------------------------------------------------------------------------ the default model's languages


def test_a_language_with_no_model_is_the_default_models_language_list() -> None:
    _judgement, diagnosis = run(DEFAULT_MODEL_CZECH)
    assert diagnosis.cause == "unsupported_language" and "model=nova-3" in diagnosis.remedy


@pytest.mark.parametrize("url", [
    "wss://api.deepgram.com/v1/listen?language=en-US&encoding=linear16&sample_rate=16000",
    "wss://api.deepgram.com/v1/listen?model=nova-3&language=cs&encoding=linear16&sample_rate=16000",
])
def test_english_or_a_named_model_is_no_language_suspect(url: str) -> None:
    _, diagnosis = run(DEFAULT_MODEL_CZECH, url=url, status=400, headers={"dg-error": "Bad Request"})
    assert diagnosis.cause == "malformed_request"


def test_words_that_name_something_are_not_replaced_by_the_requests_suspects() -> None:
    _judgement, diagnosis = run(DEFAULT_MODEL_CZECH, status=400,
                               body='{"err_code":"Bad Request","err_msg":"Invalid query string."}')
    assert diagnosis.cause == "malformed_request"


def test_a_v1_parameter_on_flux_leads_a_bare_400() -> None:
    judgement, diagnosis = run(FLUX_V1_PARAMETER_400)
    assert judgement.cause_hint == "status_only" and diagnosis.candidates[0] == "malformed_request"
    assert "`channels` is a /v1/listen parameter that Flux refuses" in diagnosis.title


def test_the_same_parameter_on_v1_listen_is_no_suspect() -> None:
    url = "wss://api.deepgram.com/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000&channels=1"
    _, diagnosis = run(FLUX_V1_PARAMETER_400, url=url, status=400)
    assert "channels" not in diagnosis.title


def test_deepgrams_body_printed_as_a_python_dict_is_read_as_the_body() -> None:
    """The Python SDKs print the body as a dict (`ApiError: status_code: 400, body: {'err_code': ...}`)."""
    error = ("deepgram.core.api_error.ApiError: status_code: 400, body: {'err_code': 'INVALID_QUERY_PARAMETER', "
             "'err_msg': 'Failed to deserialize query parameters: unknown variant `True`', 'request_id': 'x'}")
    judgement, diagnosis = run(KEY_AS_BEARER_401, client_error=error)
    assert judgement.err_code == "INVALID_QUERY_PARAMETER" and diagnosis.cause == "malformed_request"


# The next two follow from the documented header form (`Authorization: Token <key>`), not from a report: a
# credential that starts with a scheme word, or a key inside quotes, can never be accepted.


def test_the_scheme_word_sent_twice_is_a_wrong_scheme() -> None:
    _, diagnosis = diagnose_answer(KEY_AS_BEARER_401.url, SeenAnswer(status=401),
                                   headers=[f"Authorization: Token Token {canary_key()}"])
    assert diagnosis.cause == "wrong_auth_scheme" and "twice" in diagnosis.title
    assert canary_key() not in diagnosis.title + diagnosis.remedy


def test_a_quoted_key_is_an_invalid_key_with_the_quotes_named() -> None:
    _, diagnosis = diagnose_answer(KEY_AS_BEARER_401.url, SeenAnswer(status=401),
                                   headers=[f'Authorization: Token "{canary_key()}"'])
    assert diagnosis.cause == "invalid_key" and "quotes" in diagnosis.title


def test_a_plain_key_with_a_401_is_not_blamed_on_its_form() -> None:
    _, diagnosis = diagnose_answer(KEY_AS_BEARER_401.url, SeenAnswer(status=401),
                                   headers=[f"Authorization: Token {canary_key()}"])
    assert diagnosis.cause == "status_only" and diagnosis.candidates[0] == "invalid_key"


def test_a_uuid_sent_as_the_key_is_an_id_not_a_key() -> None:
    """POST /v1/projects/{id}/keys answers {api_key_id, key, ...}: the id is a UUID, the secret is the key."""
    body = '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"x"}'
    key_id = str(uuid.uuid4())  # a fresh one: the credential is registered with the process-wide scrubber
    _, diagnosis = diagnose_answer(KEY_AS_BEARER_401.url, SeenAnswer(status=401, body=body),
                                   headers=[f"Authorization: Token {key_id}"])
    assert diagnosis.cause == "invalid_key" and "UUID" in diagnosis.title and "api_key_id" in diagnosis.remedy


@pytest.mark.parametrize(("url", "long_body"), [
    ("https://api.deepgram.com/v1/listen?smart_format=true&utterances=true&model=video&diarize=true", True),
    ("https://api.deepgram.com/v1/projects", False),
])
def test_a_timeout_on_a_body_deepgram_processes_says_how_to_wait_for_it(url: str, long_body: bool) -> None:
    """deepgram-python-sdk #151 (Deepgram: "setting the timeout value to 300 seconds"): a 408 on a large file."""
    _, diagnosis = diagnose_answer(url, SeenAnswer(status=408, client_error="Exception: DG: 408, message='Request "
                                                   "Timeout'"), headers=[f"Authorization: Token {canary_key()}"])
    assert diagnosis.cause == "timeout"
    assert ("callback" in diagnosis.remedy and "300 s" in diagnosis.remedy) is long_body


def test_stream_messages_on_an_https_url_are_judged_as_a_stream() -> None:
    """pipecat #5498: SageMaker-hosted Flux is an HTTP/2 bidirectional stream on an https:// URL; the `Error`
    message the user saw is Deepgram's refusal of a client message, whatever the URL's scheme."""
    frame = {"type": "Error", "code": "UNPARSABLE_CLIENT_MESSAGE",
             "description": "Could not deserialize last text message: unknown variant `Configure`, expected "
                            "`CloseStream`"}
    judgement, diagnosis = diagnose_answer(
        "https://runtime.sagemaker.example.amazonaws.com/endpoints/flux/invocations-bidirectional-stream",
        SeenAnswer(frames=(frame,)), method="POST")
    assert judgement.verdict is Verdict.MALFORMED_REQUEST and diagnosis.cause == "malformed_request"
    assert "`Configure`" in diagnosis.title and "`CloseStream`" in diagnosis.remedy


@pytest.mark.parametrize(("url", "method"), [("https://api.deepgram.com/v1/listen?model=nova-3", "POST"),
                                             ("https://api.deepgram.com/v1/read?language=en", "POST"),
                                             ("https://api.deepgram.com/v1/projects", "GET")])
def test_with_no_method_given_a_rest_path_is_read_with_the_method_it_is_served_with(url: str, method: str) -> None:
    _, diagnosis = diagnose_answer(url, SeenAnswer(status=413))
    assert f"on {method} /" in diagnosis.title


@pytest.mark.parametrize("real", [NOVA_SPANISH_SDK_CRASH, JS_SDK_UNDEFINED], ids=lambda r: r.name)
def test_a_client_that_crashed_reading_the_answer_hid_it_and_the_network_was_fine(real: RealAnswer) -> None:
    judgement, diagnosis = run(real)
    assert judgement.verdict is not Verdict.NETWORK_ERROR and diagnosis.cause == "status_only", diagnosis
    assert "hid" in diagnosis.title and "explain" in diagnosis.remedy  # how to get Deepgram's words


@pytest.mark.parametrize("text", [
    "TypeError: fetch failed", "TypeError: Failed to fetch", "Error: connect ECONNREFUSED 127.0.0.1:443",
    # a crash while handling a network failure is still the network's (chained tracebacks, as printed)
    "ConnectionRefusedError: [Errno 111] Connection refused\n\nDuring handling of the above exception, another "
    "exception occurred:\n\nAttributeError: 'NoneType' object has no attribute 'status_code'",
    "httpx.ReadTimeout: timed out\nKeyError: 'results'",
    "<urlopen error [Errno -2] Name or service not known>\nAttributeError: 'URLError' object has no attribute 'status'",
    "TypeError: Cannot read properties of undefined (reading 'status')",  # axios: error.response was undefined
])
def test_a_network_failure_in_a_type_error_is_still_a_network_failure(text: str) -> None:
    """Near misses: Node's fetch and the browser's report an unreachable host as a TypeError, and a client that
    crashed while handling a network failure names that failure too."""
    judgement, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-3",
                                           SeenAnswer(client_error=text))
    assert judgement.verdict in (Verdict.NETWORK_ERROR, Verdict.TIMEOUT), (text, judgement)
    assert diagnosis.cause in ("network_error", "timeout"), (text, diagnosis)


@pytest.mark.parametrize(("query", "status", "led"), [
    ("model=nova&language=es", None, True),  # deepgram-python-sdk #86: nothing seen
    ("model=nova-2&language=fr", 400, True),  # a bare 400
    ("model=nova-2&language=en-GB", 400, False),  # near miss: English is offered by every model
    ("model=nova-2&language=multi", None, False),  # near miss: multi is a mode, not one language
])
def test_a_foreign_language_is_a_candidate_when_deepgram_s_words_are_missing(query: str, status: int | None,
                                                                            led: bool) -> None:
    _, diagnosis = diagnose_answer(f"https://api.deepgram.com/v1/listen?{query}",
                                   SeenAnswer(status=status, client_error=None if status else "AttributeError: x"))
    assert diagnosis.cause == "status_only", diagnosis
    assert (diagnosis.candidates[0] == "unsupported_language") is led, diagnosis.candidates


@pytest.mark.parametrize("text", [
    "HTTPSConnectionPool(host='api.deepgram.com', port=443): Max retries exceeded with url: /v1/listen (Caused by "
    "ProxyError('Unable to connect to proxy', OSError('Tunnel connection failed: 403 Forbidden')))",
    "httpcore.ProxyError: 403 Forbidden",
])
def test_a_proxy_refusing_the_tunnel_is_not_deepgram_s_status(text: str) -> None:
    """A corporate proxy that refused CONNECT answered, not Deepgram: its 403 is never read as Deepgram's
    (which would rank an entitlement first)."""
    assert facts.status_in_client_text(text) is None
    judgement, diagnosis = diagnose_answer("https://api.deepgram.com/v1/listen?model=nova-3",
                                           SeenAnswer(client_error=text))
    assert judgement.verdict is Verdict.NETWORK_ERROR and diagnosis.cause == "network_error", diagnosis
    assert not set(diagnosis.candidates[:2]) & ENTITLEMENT

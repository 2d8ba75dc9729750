"""Payloads copied verbatim from shared/reference/deepgram-api.md (section numbers given), and a
comparator of shapes: field names, JSON types and nesting, recursively.

These are Deepgram's words, not ours: the fake is checked against them so it cannot drift into
agreeing only with itself. Where the reference truncates an array (`[…]`), the one item shown is kept.
"""

from __future__ import annotations

import json
from typing import Any

# §8.1 Flux /v2/listen live frames (NET fixture, captured once from the live API)
FLUX_CONNECTED = json.loads('{"type":"Connected","request_id":"019f4c80-a061-72f2-9780-89f9950b1adb","sequence_id":0}')
FLUX_UPDATE = json.loads(
    '{"type":"TurnInfo","request_id":"019f4c80-a061-72f2-9780-89f9950b1adb","event":"Update","turn_index":0,'
    '"audio_window_start":0.0,"audio_window_end":0.24,"transcript":"","words":[],"end_of_turn_confidence":0.4548,'
    '"sequence_id":1}')
FLUX_START_OF_TURN = json.loads(
    '{"type":"TurnInfo","request_id":"019f4c80-a061-72f2-9780-89f9950b1adb","event":"StartOfTurn","turn_index":0,'
    '"audio_window_start":0.0,"audio_window_end":0.96,"transcript":"We, the","words":[{"word":"We,",'
    '"confidence":0.9536,"start":0.31999997854232787,"end":0.7199999785423279},{"word":"the","confidence":1.0,'
    '"start":0.7199999785423279,"end":0.9599999785423279}],"end_of_turn_confidence":0.0151,"sequence_id":4}')
FLUX_CONFIGURE_SUCCESS = json.loads(
    '{"type":"ConfigureSuccess","request_id":"019f4c80-a061-72f2-9780-89f9950b1adb","thresholds":{"eot_threshold":0.8,'
    '"eager_eot_threshold":0.5,"eot_timeout_ms":5000},"keyterms":["Deepgram"],"profanity_filter":false,'
    '"sequence_id":9}')
FLUX_EAGER_END_OF_TURN = json.loads(
    '{"type":"TurnInfo","request_id":"019f4c80-a061","event":"EagerEndOfTurn","turn_index":0,'
    '"audio_window_start":0.0,"audio_window_end":19.84,"transcript":"We the people of the United States, of America.",'
    '"words":[{"word":"We","confidence":0.9282,"start":0.3200000762939452,"end":0.7200000762939454}],'
    '"end_of_turn_confidence":0.7925,"sequence_id":85}')
FLUX_END_OF_TURN = {**FLUX_EAGER_END_OF_TURN, "event": "EndOfTurn", "end_of_turn_confidence": 0.9136,
                    "sequence_id": 87}  # the capture elides its words with […]; same item shape as above
# §8.2 Flux fatal error (SPEC-AA); §8.3 ForceEndTurn with no active turn (SKILLS)
FLUX_FATAL_ERROR = json.loads('{ "type": "Error", "sequence_id": 12, "code": "INTERNAL_SERVER_ERROR", '
                              '"description": "boom" }')
FLUX_FORCE_END_TURN_WARNING = json.loads(
    '{"type":"Warning","code":"FORCE_END_TURN_NO_ACTIVE_TURN","description":"Received ForceEndTurn while no turn '
    'was active; the request was ignored."}')

# §8.4 Nova streaming, live (model=nova-2-phonecall)
V1_RESULTS_INTERIM = json.loads(
    '{"type":"Results","channel_index":[0,1],"duration":1.0799375,"start":0.0,"is_final":false,"speech_final":false,'
    '"channel":{"alternatives":[{"transcript":"","confidence":0.0,"words":[]}]},"metadata":{"request_id":'
    '"01a03ac3-92a1-79f0-ad85-2cee59754422","model_info":{"name":"2-phonecall-nova","version":"2024-02-07.20824",'
    '"arch":"nova-2"},"model_uuid":"7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b"},"from_finalize":false}')
V1_METADATA_NO_AUDIO = json.loads(
    '{"type":"Metadata","transaction_key":"deprecated","request_id":"01a03ac2-4f93-7d63-8729-c20d350e2f6e",'
    '"sha256":"incomplete","created":"2026-08-25T21:10:20.046Z","duration":0.0,"channels":1}')
V1_METADATA_WITH_AUDIO = json.loads(
    '{"type":"Metadata","transaction_key":"deprecated","request_id":"01a03ac3-92a1-79f0-ad85-2cee59754422",'
    '"sha256":"incomplete","created":"2026-08-25T21:11:31.685Z","duration":44.259937,"channels":1,"models":'
    '["7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b"],"model_info":{"7e3b5bdf-85ed-4fd2-9f7a-7721bbcad97b":{"name":'
    '"2-phonecall-nova","version":"2024-02-07.20824","arch":"nova-2"}}}')
NET_0001_REASON = ("Deepgram did not receive audio data or a text message within the timeout window. "
                   "See https://dpgr.am/net0001")
# §8.5 Nova-3 streaming final Results (Deepgram's own recording)
V1_RESULTS_FINAL = json.loads(
    '{"channel":{"alternatives":[{"transcript":"For the United States of America.","confidence":0.9990865,"words":'
    '[{"word":"for","start":17.56,"end":17.72,"confidence":0.9873626,"punctuated_word":"For"}]}]},"metadata":'
    '{"model_info":{"name":"2-general-nova","version":"2024-01-18.26916","arch":"nova-3"},"request_id":'
    '"e1985d01-b8bc-42ab-a16a-e7a8419c07f2","model_uuid":"c0d1a568-ce81-4fea-97e7-bd45cb1fdf3c"},"type":"Results",'
    '"channel_index":[0,1],"duration":1.6599998,"start":17.0,"is_final":true,"from_finalize":false,'
    '"speech_final":true}')
# §8.6 pre-recorded /v1/listen metadata (with summarize)
PRERECORDED_METADATA = json.loads(
    '{"transaction_key":"deprecated","request_id":"1ef3b141-68af-4a3e-80c3-ee1f6ef05a35","sha256":'
    '"5324da68ede209a16ac69a38e8cd29cee4d754434a041166cda3a1f5e0b24566","created":"2025-07-22T16:56:44.589Z",'
    '"duration":17.566313,"channels":1,"models":["3b3aabe4-608a-46ac-9585-7960a25daf1a"],"model_info":'
    '{"3b3aabe4-608a-46ac-9585-7960a25daf1a":{"name":"general-nova-3","version":"2024-12-20.0","arch":"nova-3"}},'
    '"summary_info":{"model_uuid":"67875a7f-c9c4-48a0-aa55-5bdb8a91c34a","input_tokens":0,"output_tokens":0}}')
# §8.7
UTTERANCE_END = json.loads('{"channel":[0,1],"last_word_end":2.395,"type":"UtteranceEnd"}')
SPEECH_STARTED = json.loads('{"type":"SpeechStarted","channel":[0,1],"timestamp":9.54}')
# §8.8 CloseStream confirmation
CLOSE_STREAM_METADATA = json.loads(
    '{"type":"Metadata","transaction_key":"deprecated","request_id":"8c8ebea9-dbec-45fa-a035-e4632cb05b5f",'
    '"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","created":"2024-08-29T22:37:55.202Z",'
    '"duration":0.0,"channels":0}')
# §8.9 TTS WebSocket
TTS_FLUSHED = json.loads('{"type":"Flushed","sequence_id":0}')
TTS_CLEARED = json.loads('{"type":"Cleared","sequence_id":0}')
TTS_WARNING_V1 = json.loads('{"type":"Warning","warn_code":"EXCESSIVE_FLUSH","warn_msg":"Rate limit exceeded for '
                            'flushes. Please try again later."}')
# §8.10 voice agent (Deepgram's own recordings)
AGENT_WELCOME = json.loads('{"type":"Welcome","request_id":"3be5ecc1-8c30-42b8-a7a5-077bbe51bdc2"}')
AGENT_SETTINGS_APPLIED = json.loads('{"type":"SettingsApplied"}')
# §3.7 agent Error body per SPEC-AA AgentV1_AgentV1Error: {type, description, code} (a field list, not a capture)
AGENT_ERROR_SPEC = {"type": "Error", "description": "x", "code": "INVALID_SETTINGS"}
# §8.11 minimal agent Settings (SKILLS)
AGENT_SETTINGS = json.loads(
    '{"type":"Settings","audio":{"input":{"encoding":"linear16","sample_rate":16000},"output":{"encoding":"linear16",'
    '"sample_rate":24000,"container":"none"}},"agent":{"listen":{"provider":{"type":"deepgram","version":"v2",'
    '"model":"flux-general-en"}},"think":{"provider":{"type":"open_ai","model":"gpt-4o-mini","temperature":0.7},'
    '"prompt":"You are a concise phone assistant."},"speak":{"provider":{"type":"deepgram","version":"v2",'
    '"model":"flux-alexis-en"}},"greeting":"Hi, how can I help?"}}')

# §8.12 error bodies
ERR_INVALID_AUTH = json.loads('{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":'
                              '"01a0accc-307e-7171-b0e9-5eb486f4e252"}')
ERR_NOT_ENTITLED = json.loads('{"err_code":"INSUFFICIENT_PERMISSIONS","err_msg":"Project does not have access to '
                              'the requested model.","request_id":"uuid"}')
ERR_FLUX_ON_V1 = json.loads('{"err_code":"V2_MODEL_ON_V1_LISTEN_ENDPOINT","err_msg":"Flux models are not supported '
                            'on the /v1/listen endpoint. Please use the /v2/listen endpoint for conversational '
                            'speech-to-text requests."}')
ERR_AURA_ON_V2 = json.loads('{"err_code":"V1_MODEL_ON_V2_SPEAK_ENDPOINT","err_msg":"Only flux models are supported '
                            'on the `/v2/speak` endpoint."}')
ERR_UNKNOWN_PARAM = json.loads('{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Unknown query parameters: '
                               'channels"}')
ERR_FEATURES = json.loads('{"err_code":"UNAUTHORIZED_FEATURES_REQUESTED","err_msg":"Project does not have access to '
                          'the requested feature/s [\\"topics\\"]."}')
ERR_BAD_QUERY_STRING = json.loads('{"err_code":"Bad Request","err_msg":"Invalid query string.","request_id":'
                                  '"69a209af-bf0a-449a-8dca-50772d4c834d"}')
ERR_BAD_LANGUAGE = json.loads('{"err_code":"Bad Request","err_msg":"Bad Request: No such model/language/tier '
                              'combination found."}')
ERR_PAYMENT = json.loads('{"err_code":"ASR_PAYMENT_REQUIRED","err_msg":"Project does not have enough credits for '
                         'an ASR request and does not have an overage agreement.","request_id":"uuid"}')
ERR_TOO_MANY_STT = json.loads('{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests. Please try again '
                              'later","request_id":"uuid"}')
# §8.13 /v1/models documented example
MODELS_EXAMPLE = json.loads(
    '{"stt":[{"name":"general","canonical_name":"nova-3-general","architecture":"nova3","languages":["en","en-US"],'
    '"version":"2025-01-09.0","uuid":"bf05427e-a1f1-4ced-a976-38b2f3533d8d","batch":false,"streaming":true,'
    '"formatted_output":false}],"tts":[{"name":"angus","canonical_name":"aura-angus-en","architecture":"aura",'
    '"languages":["en","en-IE"],"version":"2024-11-19.0","uuid":"b50880e3-4e2e-4e53-ba27-ea0472bf2cf4","metadata":'
    '{"accent":"Irish","color":"#BA80F5","image":"https://static.deepgram.com/examples/avatars/angus.jpg","sample":'
    '"https://static.deepgram.com/examples/voices/angus.wav","tags":["masculine"]}}]}')
# §8.14 / §2.2 grant (the JWT is a string; never written here)
GRANT = {"access_token": "<jwt>", "expires_in": 30}
# §3.9 management shapes (SPEC-OA field lists)
PROJECTS = {"projects": [{"project_id": "p", "name": "n"}]}
KEYS = {"api_keys": [{"member": {"member_id": "m", "email": "e"},
                      "api_key": {"api_key_id": "k", "comment": "c", "scopes": ["member"], "created": "t"}}]}
BALANCES = {"balances": [{"balance_id": "b", "amount": 1.5, "units": "usd", "purchase_order_id": "po"}]}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"  # JSON has one number type; 5000 and 5000.0 are the same to every client
    if value is None:
        return "null"
    return type(value).__name__


def shape_diff(expected: Any, actual: Any, path: str = "$", dynamic: frozenset[str] = frozenset()) -> list[str]:
    """Differences of names, types and nesting. `dynamic` names paths whose keys are data (uuid maps)."""
    out: list[str] = []
    if _kind(expected) != _kind(actual):
        return [f"{path}: type {_kind(actual)} != {_kind(expected)}"]
    if isinstance(expected, dict):
        if path in dynamic:
            if expected and actual:
                out += shape_diff(next(iter(expected.values())), next(iter(actual.values())), path + ".*", dynamic)
            return out
        for key in expected:
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out += shape_diff(expected[key], actual[key], f"{path}.{key}", dynamic)
        out += [f"{path}.{key}: extra" for key in actual if key not in expected]
    elif isinstance(expected, list) and expected and actual:
        out += shape_diff(expected[0], actual[0], path + "[0]", dynamic)
    return out


def shape_problems(expected: Any, actual: Any, allowed_extra: set[str] = frozenset(),  # type: ignore[assignment]
                   dynamic: frozenset[str] = frozenset()) -> list[str]:
    """shape_diff minus the extra fields the reference itself documents as optional."""
    return [d for d in shape_diff(expected, actual, dynamic=dynamic)
            if not (d.endswith(": extra") and d[: -len(": extra")] in allowed_extra)]

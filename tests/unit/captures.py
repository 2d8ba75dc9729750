# ruff: noqa: E501  (verbatim payloads are copied whole: splitting them would stop them being verbatim)
"""Deepgram's answers copied verbatim from ../shared/reference/deepgram-api.md, each with its section.

The verdict code *recognises* these; the fake *produces* its own. Keeping the two apart is what
stops the tests passing by agreeing with themselves. Bodies are the exact text from the reference
(including placeholder request ids such as "uuid"); where the reference gives only the words and the
status, the body is assembled from those words and `assembled` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from dg_entitlements.model import Combo, Family, Frame, Observation, RequestSummary, Surface, Verdict

SURFACES: dict[str, Surface] = {
    "listen-v1-rest": Surface("listen-v1-rest", "http", "POST", "/v1/listen", body="audio", family=Family.STT,
                              title="POST /v1/listen"),
    "listen-v1-ws": Surface("listen-v1-ws", "ws", "GET", "/v1/listen", family=Family.STT, success_status=101,
                            title="wss /v1/listen", close_message={"type": "CloseStream"}),
    "listen-v2-ws": Surface("listen-v2-ws", "ws", "GET", "/v2/listen", family=Family.FLUX, success_status=101,
                            title="wss /v2/listen (Flux)", close_message={"type": "CloseStream"}),
    "listen-v2-rest": Surface("listen-v2-rest", "http", "POST", "/v2/listen", family=Family.FLUX,
                              title="POST /v2/listen"),
    "speak-v1-rest": Surface("speak-v1-rest", "http", "POST", "/v1/speak", body="json", family=Family.TTS,
                             title="POST /v1/speak"),
    "speak-v1-ws": Surface("speak-v1-ws", "ws", "GET", "/v1/speak", family=Family.TTS, success_status=101,
                           title="wss /v1/speak", close_message={"type": "Close"}),
    "speak-v2-rest": Surface("speak-v2-rest", "http", "POST", "/v2/speak", body="json", family=Family.TTS_FLUX,
                             title="POST /v2/speak"),
    "read-v1-rest": Surface("read-v1-rest", "http", "POST", "/v1/read", body="json", model_param=False,
                            family=Family.READ, title="POST /v1/read"),
    "agent-v1-ws": Surface("agent-v1-ws", "ws", "GET", "/v1/agent/converse", host="agent", model_param=False,
                           family=Family.AGENT, success_status=101, title="wss agent /v1/agent/converse"),
    "models-v1": Surface("models-v1", "http", "GET", "/v1/models", auth=False, model_param=False,
                         family=Family.MANAGE, title="GET /v1/models"),
    "project-keys-v1": Surface("project-keys-v1", "http", "GET", "/v1/projects/{project_id}/keys",
                               model_param=False, family=Family.MANAGE, title="GET /v1/projects/{id}/keys"),
    "project-v1": Surface("project-v1", "http", "GET", "/v1/projects/{project_id}", model_param=False,
                          family=Family.MANAGE, title="GET /v1/projects/{id}"),
    "project-members-v1": Surface("project-members-v1", "http", "PUT",
                                  "/v1/projects/{project_id}/members/{member_id}/scopes", model_param=False,
                                  family=Family.MANAGE, title="PUT /v1/projects/{id}/members/{m}/scopes"),
    "auth-token-v1": Surface("auth-token-v1", "http", "GET", "/v1/auth/token", model_param=False,
                             family=Family.MANAGE, title="GET /v1/auth/token"),
    "auth-grant-v1": Surface("auth-grant-v1", "http", "POST", "/v1/auth/grant", body="json", model_param=False,
                             family=Family.MANAGE, title="POST /v1/auth/grant"),
}


@dataclass(frozen=True)
class Capture:
    name: str
    section: str  # where in the reference it came from
    surface: str
    model: str | None
    status: int | None
    body: str | None  # verbatim text
    verdict: Verdict
    headers: dict[str, str] = field(default_factory=dict)
    params: tuple[tuple[str, str], ...] = ()
    frames: tuple[str, ...] = ()  # verbatim server text frames
    close_code: int | None = None
    close_reason: str | None = None
    parameter: str | None = None
    right_endpoint: str | None = None
    assembled: bool = False  # body built from words the reference quotes, not a verbatim JSON

    def combo(self) -> Combo:
        variant = self.model or self.name
        return Combo(id=f"{self.surface}::{variant}", surface=SURFACES[self.surface], model=self.model,
                     params=self.params)

    def observation(self) -> Observation:
        combo = self.combo()
        body: Any = None
        kind: Literal["json", "text", "binary", "empty"] = "empty"
        if self.body is not None:
            try:
                body, kind = json.loads(self.body), "json"
            except ValueError:
                body, kind = self.body, "text"
        frames = tuple(Frame(kind="text", at_ms=float(i), data=json.loads(f), size=len(f))
                       for i, f in enumerate(self.frames))
        query = "&".join(f"{k}={v}" for k, v in combo.query())
        scheme = "wss" if combo.surface.transport == "ws" else "https"
        url = f"{scheme}://api.deepgram.com{combo.surface.path}" + (f"?{query}" if query else "")
        return Observation(status=self.status, headers=dict(self.headers), body=body, body_kind=kind,
                           body_size=len(self.body or ""), frames=frames, close_code=self.close_code,
                           close_reason=self.close_reason, at="2026-09-17T00:37:38Z",
                           request=RequestSummary(combo.surface.method, url, "Token"))


STREAM_PARAMS = (("encoding", "linear16"), ("sample_rate", "16000"))

CAPTURES: tuple[Capture, ...] = (
    # ------------------------------------------------------------------------------- auth (§2.5, §5)
    Capture(
        "ws-invalid-key", "§2.5 / §8.12 WS /v1/listen handshake, bad key [observed]", "listen-v1-ws", "nova-3",
        401,
        '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"01a0accc-307e-7171-b0e9-5eb486f4e252"}',
        Verdict.INVALID_AUTH,
        headers={"content-type": "application/json", "dg-error": "Invalid credentials.", "vary": "accept-encoding",
                 "dg-request-id": "01a0accc-307e-7171-b0e9-5eb486f4e252", "content-length": "112",
                 "date": "Thu, 17 Sep 2026 00:37:38 GMT"},
        params=STREAM_PARAMS,
    ),
    Capture("rest-invalid-key", "§2.5 REST invalid key (DOCS errors page)", "listen-v1-rest", "nova-3", 401,
            '{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"uuid"}', Verdict.INVALID_AUTH),
    Capture("auth-token-plain-text", "§2.5 / §9.5 /v1/auth/token 401 as plain text [observed]", "auth-token-v1",
            None, 401, "Invalid credentials.", Verdict.INVALID_AUTH),
    Capture("mgmt-401-text-scope", "§5.1 management 401 text/plain (DOCS-REPO project_unauthorized)",
            "project-keys-v1", None, 401, "User does not have sufficient permissions.",
            Verdict.INSUFFICIENT_PERMISSIONS),
    Capture("mgmt-403-modern-unauthorized", "§9.4 management 403 modern shape (DOCS-REPO openapi)",
            "project-v1", None, 403, '{"category":"UNAUTHORIZED","message":"Authentication failed."}',
            Verdict.INSUFFICIENT_PERMISSIONS, assembled=True),
    Capture("rest-401-insufficient-permissions", "§5.3 401 INSUFFICIENT_PERMISSIONS (DOCS errors page)",
            "project-keys-v1", None, 401,
            '{"err_code":"INSUFFICIENT_PERMISSIONS","err_msg":"User does not have sufficient permissions."}',
            Verdict.INSUFFICIENT_PERMISSIONS, assembled=True),
    # --------------------------------------------------------------------- not entitled (§5.4 A, B)
    Capture("not-entitled-rest", "§8.12 / §5.4A not entitled [docs + discussion #1599]", "listen-v1-rest",
            "nova-3-medical", 403,
            '{"err_code":"INSUFFICIENT_PERMISSIONS","err_msg":"Project does not have access to the requested model.","request_id":"uuid"}',
            Verdict.NOT_ENTITLED),
    Capture("made-up-model-rest", "§5.4B made-up model name, verified live 2026-09-18 (deepgram/skills)",
            "listen-v1-rest", "nova-3-genral", 403,
            '{"err_code":"INSUFFICIENT_PERMISSIONS","err_msg":"Project does not have access to the requested model."}',
            Verdict.NOT_ENTITLED),
    Capture("not-entitled-ws", "§5.4A on the WS handshake [observed, loreline]; dg-error per §4.3",
            "listen-v1-ws", "nova-2-phonecall", 403,
            '{"err_code":"INSUFFICIENT_PERMISSIONS","err_msg":"Project does not have access to the requested model.","request_id":"uuid"}',
            Verdict.NOT_ENTITLED,
            headers={"dg-error": "Project does not have access to the requested model.", "dg-request-id": "uuid"},
            params=STREAM_PARAMS),
    Capture("not-entitled-ws-header-only", "§4.3 dg-error header on a failed upgrade, body lost",
            "listen-v2-ws", "flux-general-multi", 403, None, Verdict.NOT_ENTITLED,
            headers={"dg-error": "Project does not have access to the requested model.",
                     "dg-request-id": "01a0accc-307e-7171-b0e9-5eb486f4e252"},
            params=STREAM_PARAMS, assembled=True),
    # ------------------------------------------------------------------------ wrong endpoint (§5.4 C, D)
    Capture("flux-on-v1-rest", "§8.12 / §5.4C Flux on /v1/listen [observed, openclaw #129452]", "listen-v1-rest",
            "flux-general-en", 400,
            '{"err_code":"V2_MODEL_ON_V1_LISTEN_ENDPOINT","err_msg":"Flux models are not supported on the /v1/listen endpoint. Please use the /v2/listen endpoint for conversational speech-to-text requests."}',
            Verdict.WRONG_ENDPOINT, right_endpoint="/v2/listen"),
    Capture("flux-on-v1-ws", "§5.4C WS handshake [observed, loreline 2026-09-07]", "listen-v1-ws",
            "flux-general-en", 400,
            '{"err_code":"V2_MODEL_ON_V1_LISTEN_ENDPOINT","err_msg":"Flux models are not supported on the `/v1/listen` endpoint."}',
            Verdict.WRONG_ENDPOINT, params=STREAM_PARAMS, right_endpoint="/v2/listen", assembled=True),
    Capture("aura-on-v2-speak", "§8.12 / §5.4D Aura on /v2/speak [observed]", "speak-v2-rest", "aura-2-thalia-en",
            400, '{"err_code":"V1_MODEL_ON_V2_SPEAK_ENDPOINT","err_msg":"Only flux models are supported on the `/v2/speak` endpoint."}',
            Verdict.WRONG_ENDPOINT, right_endpoint="/v1/speak"),
    # --------------------------------------------------------------------------- malformed (§5.4 E-G)
    Capture("unknown-param-flux", "§8.12 / §3.3 unknown param on /v2/listen [observed]", "listen-v2-ws",
            "flux-general-en", 400, '{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Unknown query parameters: channels"}',
            Verdict.MALFORMED_REQUEST, params=(*STREAM_PARAMS, ("channels", "1")), parameter="channels"),
    Capture("callback-no-scheme", "§8.12 / §5.2 REST 400 [observed, JS SDK commit 80af9cb]", "listen-v1-rest",
            "nova-3", 400,
            '{"err_code":"Bad Request","err_msg":"Invalid query string.","request_id":"69a209af-bf0a-449a-8dca-50772d4c834d"}',
            Verdict.MALFORMED_REQUEST,
            headers={"dg-error": "Invalid query string.", "dg-request-id": "69a209af-bf0a-449a-8dca-50772d4c834d",
                     "access-control-expose-headers":
                         "dg-model-name,dg-model-uuid,dg-char-count,dg-request-id,dg-project-id,dg-error"},
            params=(("callback", "dpgr.am%2Fcallback"),), parameter="callback"),
    Capture("bad-language", "§8.12 / §5.4B bad language for model [observed]", "listen-v1-ws", "nova-3", 400,
            '{"err_code":"Bad Request","err_msg":"Bad Request: No such model/language/tier combination found."}',
            Verdict.MALFORMED_REQUEST, params=(*STREAM_PARAMS, ("language", "zz")), parameter="language"),
    Capture("keyterm-on-nova-2", "§5.4G keyterm on nova-2 [observed, loreline]", "listen-v1-ws", "nova-2", 400,
            '{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"`keyterm` is only supported for Nova-3 and Flux. Please use `keywords` instead."}',
            Verdict.MALFORMED_REQUEST, params=(*STREAM_PARAMS, ("keyterm", "Deepgram")), parameter="keyterm",
            assembled=True),
    Capture("endpointing-banana", "§5.4G endpointing=banana [observed, loreline]", "listen-v1-ws", "nova-3", 400,
            '{"err_code":"Bad Request","err_msg":"Invalid query string."}', Verdict.MALFORMED_REQUEST,
            params=(*STREAM_PARAMS, ("endpointing", "banana")), parameter="endpointing", assembled=True),
    Capture("diarize-with-diarize-model", "§5.4G diarize with diarize_model (SKILLS #19)", "listen-v1-rest",
            "nova-3", 400, '{"err_code":"Bad Request","err_msg":"diarize_model cannot be used together with diarize or diarize_version."}',
            Verdict.MALFORMED_REQUEST, params=(("diarize", "true"), ("diarize_model", "latest")),
            parameter="diarize_model, diarize", assembled=True),
    Capture("summarize-on-stream", "§5.4F summarize on the stream (SKILLS)", "listen-v1-ws", "nova-3", 400,
            "Summarization is not available for streaming.", Verdict.FEATURE_NOT_ALLOWED,
            params=(*STREAM_PARAMS, ("summarize", "v2")), parameter="summarize"),
    Capture("read-missing-language", "§3.6 /v1/read without language (SKILLS #20)", "read-v1-rest", None, 400,
            '{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Failed to deserialize query parameters: missing field `language`"}',
            Verdict.MALFORMED_REQUEST, params=(("summarize", "true"),), parameter="language", assembled=True),
    Capture("invalid-callback-url", "§5.3 invalid callback (DOCS errors page)", "listen-v1-rest", "nova-3", 400,
            '{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Invalid callback url."}', Verdict.MALFORMED_REQUEST,
            params=(("callback", "ftp://example.com/cb"),), parameter="callback", assembled=True),
    Capture("corrupt-audio", "§3.1 URL body without JSON content type (DOCS errors page)", "listen-v1-rest",
            "nova-3", 400,
            '{"err_code":"Bad Request","err_msg":"Bad Request: failed to process audio: corrupt or unsupported data"}',
            Verdict.MALFORMED_REQUEST),
    Capture("invalid-json-modern", "§5.1 modern shape (DOCS errors page)", "auth-grant-v1", None, 400,
            '{"category":"INVALID_JSON","message":"Invalid JSON submitted.","details":"Json deserialize error: ...","request_id":"uuid"}',
            Verdict.MALFORMED_REQUEST),
    Capture("mgmt-400-text-scope", "§5.1 management 400 text/plain (DOCS-REPO invalid_request)",
            "project-members-v1", None, 400, "Invalid request: scope must be either 'member', 'admin' or 'owner'.",
            Verdict.MALFORMED_REQUEST),
    Capture("tts-empty-text", "§5.3 empty text (DOCS errors page)", "speak-v1-rest", "aura-2-thalia-en", 400,
            "Input text contains no characters.", Verdict.MALFORMED_REQUEST),
    Capture("tts-too-long", "§5.3 413 TTS char limit (DOCS errors page)", "speak-v1-rest", "aura-2-thalia-en", 413,
            '{"err_code":"Payload Too Large","err_msg":"Input text exceeds maximum character limit of 2400."}',
            Verdict.MALFORMED_REQUEST, assembled=True),
    # ------------------------------------------------------------------------------ feature (§5.4 F)
    Capture("topics-on-stream", "§8.12 / §5.4F stream feature not allowed [official SKILLS]", "listen-v1-ws",
            "nova-3", 403,
            '{"err_code":"UNAUTHORIZED_FEATURES_REQUESTED","err_msg":"Project does not have access to the requested feature/s [\\"topics\\"]."}',
            Verdict.FEATURE_NOT_ALLOWED, params=(*STREAM_PARAMS, ("topics", "true")), parameter="topics"),
    # ------------------------------------------------------------------------- TTS unknown voice (§5.4 B)
    Capture("tts-no-such-voice-docs", "§5.3 TTS unknown model (DOCS errors page)", "speak-v1-rest",
            "aura-2-helios-en", 400,
            '{"err_code":"Bad Request","err_msg":"Bad Request: No such model/version combination found."}',
            Verdict.UNKNOWN_MODEL, parameter="model"),
    Capture("tts-no-such-voice-text", "§5.4B /v1/speak well-formed non-existent voice [observed 2026-08-18]",
            "speak-v1-rest", "aura-2-helios-en", 400, "No such model/version combination found.",
            Verdict.UNKNOWN_MODEL, parameter="model"),
    Capture("tts-invalid-model-value", "§5.4B malformed voice value [observed, @ai-sdk/deepgram]", "speak-v1-rest",
            "aura-2", 400,
            '{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Invalid \'model\' value of \'aura-2\'.","request_id":"uuid"}',
            Verdict.UNKNOWN_MODEL, parameter="model", assembled=True),
    # ------------------------------------------------------------------- credits, limits, 5xx, 404 (§5.3)
    Capture("no-credits", "§8.12 / §5.3 402 (DOCS)", "listen-v1-rest", "nova-3", 402,
            '{"err_code":"ASR_PAYMENT_REQUIRED","err_msg":"Project does not have enough credits for an ASR request and does not have an overage agreement.","request_id":"uuid"}',
            Verdict.PAYMENT_REQUIRED),
    Capture("stt-429", "§5.3 STT 429 (DOCS errors page)", "listen-v1-rest", "nova-3", 429,
            '{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests. Please try again later","request_id":"uuid"}',
            Verdict.RATE_LIMITED),
    Capture("tts-429", "§5.3 TTS 429 (DOCS errors page)", "speak-v1-rest", "aura-2-thalia-en", 429,
            '{"err_code":"Too Many Requests","err_msg":"Please try again later."}', Verdict.RATE_LIMITED),
    Capture("503-error-code-typo", "§5.3 / §5.1 503 with the `error_code` typo (DOCS errors page)",
            "listen-v1-rest", "nova-3", 503, '{"error_code":"Service Unavailable","err_msg":"Please try again later"}',
            Verdict.SERVER_ERROR),
    Capture("404-uuid-text", "§5.1 404 plain text (DOCS errors page)", "project-v1", None, 404,
            "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-zA-Z], found `p` at 1",
            Verdict.NOT_FOUND),
    Capture("404-project-not-found", "§5.3 404 (DOCS errors page)", "project-v1", None, 404,
            '{"err_code":"PROJECT_NOT_FOUND","err_msg":"Project not found."}', Verdict.NOT_FOUND),
    Capture("post-v2-listen-405", "§3.3 POST /v2/listen returns 405 [observed, openclaw #129452]",
            "listen-v2-rest", "flux-general-en", 405, None, Verdict.NOT_FOUND),
    # -------------------------------------------------------------------------- accepted streams (§8)
    Capture("flux-connected", "§8.1 Flux live frames (NET fixture), no close frame recorded", "listen-v2-ws",
            "flux-general-en", 101, None, Verdict.ENTITLED, params=STREAM_PARAMS,
            frames=('{"type":"Connected","request_id":"019f4c80-a061-72f2-9780-89f9950b1adb","sequence_id":0}',)),
    Capture("flux-fatal-error", "§8.2 Flux fatal error shape (SPEC-AA)", "listen-v2-ws", "flux-general-en", 101,
            None, Verdict.SERVER_ERROR, params=STREAM_PARAMS,
            frames=('{"type":"Connected","request_id":"019f4c80-a061-72f2-9780-89f9950b1adb","sequence_id":0}',
                    '{ "type": "Error", "sequence_id": 12, "code": "INTERNAL_SERVER_ERROR", "description": "boom" }')),
    Capture("flux-warning-not-fatal", "§8.3 Flux Warning (SKILLS #18), then a normal close", "listen-v2-ws",
            "flux-general-en", 101, None, Verdict.ENTITLED, params=STREAM_PARAMS, close_code=1000,
            frames=('{"type":"Warning","code":"FORCE_END_TURN_NO_ACTIVE_TURN","description":"Received ForceEndTurn while no turn was active; the request was ignored."}',)),
    Capture("v1-net0001-close", "§8.4 live Metadata then close 1011 NET-0001", "listen-v1-ws", "nova-2-phonecall",
            101, None, Verdict.TIMEOUT, params=STREAM_PARAMS, close_code=1011,
            close_reason="Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001",
            frames=('{"type":"Metadata","transaction_key":"deprecated","request_id":"01a03ac2-4f93-7d63-8729-c20d350e2f6e","sha256":"incomplete","created":"2026-08-25T21:10:20.046Z","duration":0.0,"channels":1}',)),
    Capture("v1-net0000-close", "§4.3 close 1011 NET-0000 (third-party capture)", "listen-v1-ws", "nova-3", 101,
            None, Verdict.SERVER_ERROR, params=STREAM_PARAMS, close_code=1011,
            close_reason="Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000"),
    Capture("v1-closestream-metadata", "§8.8 CloseStream confirmation, then normal close", "listen-v1-ws", "nova-3",
            101, None, Verdict.ENTITLED, params=STREAM_PARAMS, close_code=1000,
            frames=('{"type":"Metadata","transaction_key":"deprecated","request_id":"8c8ebea9-dbec-45fa-a035-e4632cb05b5f","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","created":"2024-08-29T22:37:55.202Z","duration":0.0,"channels":0}',)),
    Capture("tts-ws-warning", "§8.9 TTS WS Warning (python SDK issue #617), then close 1000", "speak-v1-ws",
            "aura-2-thalia-en", 101, None, Verdict.ENTITLED, close_code=1000,
            frames=('{"type":"Warning","warn_code":"EXCESSIVE_FLUSH","warn_msg":"Rate limit exceeded for flushes. Please try again later."}',)),
    Capture("agent-welcome", "§8.10 agent Welcome + SettingsApplied (PY recordings)", "agent-v1-ws", None, 101,
            None, Verdict.ENTITLED, close_code=1000,
            frames=('{"type":"Welcome","request_id":"3be5ecc1-8c30-42b8-a7a5-077bbe51bdc2"}', '{"type":"SettingsApplied"}')),
    Capture("agent-bad-listen-model", "§8.10 / §3.7 agent Error for a bad listen model (PY recording)",
            "agent-v1-ws", None, 101, None, Verdict.MALFORMED_REQUEST, parameter="agent.listen.model",
            frames=('{"type":"Welcome","request_id":"3be5ecc1-8c30-42b8-a7a5-077bbe51bdc2"}',
                    '{"type":"Error","description":"Error parsing client message. Check the agent.listen.model field against the API spec.","message":""}')),
    # ------------------------------------------------------------------------------- success (§8)
    Capture("prerecorded-200", "§8.6 pre-recorded metadata (PY recording)", "listen-v1-rest", "nova-3", 200,
            '{"metadata":{"transaction_key":"deprecated","request_id":"1ef3b141-68af-4a3e-80c3-ee1f6ef05a35","sha256":"5324da68ede209a16ac69a38e8cd29cee4d754434a041166cda3a1f5e0b24566","created":"2025-07-22T16:56:44.589Z","duration":17.566313,"channels":1,"models":["3b3aabe4-608a-46ac-9585-7960a25daf1a"],"model_info":{"3b3aabe4-608a-46ac-9585-7960a25daf1a":{"name":"general-nova-3","version":"2024-12-20.0","arch":"nova-3"}},"summary_info":{"model_uuid":"67875a7f-c9c4-48a0-aa55-5bdb8a91c34a","input_tokens":0,"output_tokens":0}},"results":{}}',
            Verdict.ENTITLED, assembled=True),
    Capture("models-200", "§8.13 /v1/models documented example", "models-v1", None, 200,
            '{"stt":[{"name":"general","canonical_name":"nova-3-general","architecture":"nova3","languages":["en","en-US"],"version":"2025-01-09.0","uuid":"bf05427e-a1f1-4ced-a976-38b2f3533d8d","batch":false,"streaming":true,"formatted_output":false}],\n "tts":[{"name":"angus","canonical_name":"aura-angus-en","architecture":"aura","languages":["en","en-IE"],"version":"2024-11-19.0","uuid":"b50880e3-4e2e-4e53-ba27-ea0472bf2cf4","metadata":{"accent":"Irish","color":"#BA80F5","image":"https://static.deepgram.com/examples/avatars/angus.jpg","sample":"https://static.deepgram.com/examples/voices/angus.wav","tags":["masculine"]}}]}',
            Verdict.ENTITLED),
    Capture("grant-200", "§8.14 grant response", "auth-grant-v1", None, 200,
            '{"access_token":"<jwt>","expires_in":30}', Verdict.ENTITLED),
)

MODELS_BODY = json.loads(next(c.body for c in CAPTURES if c.name == "models-200") or "{}")

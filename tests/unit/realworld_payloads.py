# ruff: noqa: E501  (verbatim payloads are copied whole: splitting them would stop them being verbatim)
"""Answers people really saw, copied verbatim from public reports, each with its source URL.

The verdict and diagnosis code is tested on these, not on what our fake emits. Deepgram's own answers
come from SDK and integration issue trackers; the middlebox answers (nginx, squid, Cloudflare, AWS API
Gateway, captive portals) from the software's source or from public captures of it. `assembled` marks
a payload rebuilt from words a source quotes without the whole body (the words themselves are verbatim).
Credentials are never literal: canary keys are built at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dg_entitlements.offline import SeenAnswer


def canary_key() -> str:
    """A 40-hex string shaped like a Deepgram key, built at run time (no key literal in the repo)."""
    return "ab" * 20


def canary_jwt() -> str:
    """A JWT-shaped string built at run time."""
    return "ey" + "J" + "hbGciOiJIUzI1NiJ9" + "." + "e30" + "Zm9v" * 3 + "." + "c2ln" * 4


@dataclass(frozen=True)
class RealAnswer:
    name: str
    source: str  # public URL where this answer (or the software that produces it) is shown
    url: str  # the request as the reporter made it (no credential)
    answer: SeenAnswer
    cause: str  # the root cause the evidence supports
    headers: tuple[str, ...] = ()  # request headers; credentials are inserted by the test at run time
    assembled: bool = False
    note: str = ""
    extra: dict[str, str] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------ Deepgram
NOVA3_KEYWORDS = RealAnswer(
    "nova3-keywords", "https://github.com/braden-w/whispering/issues/5",
    "https://api.deepgram.com/v1/listen?model=nova-3&keywords=Epicenter",
    SeenAnswer(status=400, body='{"err_code":"INVALID_QUERY_PARAMETER","err_msg":"Keywords are not supported for Nova-3. Please use `keyterm` instead.","request_id":"85cc44f8-f1d5-4281-99b0-fbfcb5797dd4"}'),
    "malformed_request")
NOVA3_KEYWORDS_WS_BARE = RealAnswer(
    "nova3-keywords-ws-400", "https://github.com/deepgram/deepgram-js-sdk/issues/474",
    "wss://api.deepgram.com/v1/listen?model=nova-3&language=en-GB&encoding=linear16&sample_rate=24000&channels=1&keywords=Jonty",
    SeenAnswer(status=400, client_error="server rejected WebSocket connection: HTTP 400"), "status_only",
    note="the reporter saw only 'HTTP 400'")
KEYWORDS_BROWSER_1006 = RealAnswer(
    "nova3-keywords-browser-1006", "https://github.com/deepgram/deepgram-js-sdk/issues/470",
    "wss://api.deepgram.com/v1/listen?model=nova-3&language=en-US&encoding=linear16&sample_rate=16000&channels=1&keywords=TCP%3A2&keywords=UDP%3A2",
    SeenAnswer(close_code=1006, client_error="onerror fires, onclose with code 1006"), "handshake_hidden",
    headers=("Sec-WebSocket-Protocol: token, {key}",))
WHISPER_STREAM_405 = RealAnswer(
    "whisper-on-stream-405", "https://github.com/deepgram/deepgram-dotnet-sdk/issues/304",
    "wss://api.deepgram.com/v1/listen?encoding=linear16&interim_results=false&model=whisper-large&punctuate=true&sample_rate=16000&smart_format=true&utterance_end_ms=500&vad_events=true",
    SeenAnswer(status=405, client_error="The server returned status code '405' when status code '101' was expected."),
    "wrong_endpoint")
REMOTE_NOT_ROUTABLE = RealAnswer(
    "remote-url-not-routable", "https://github.com/deepgram/deepgram-js-sdk/issues/222",
    "https://api.deepgram.com/v1/listen?smart_format=true&utterances=true",
    SeenAnswer(status=400, body='{"err_code":"Bad Request","err_msg":"Could not determine if URL for audio download is publicly routable.","request_id":"***-0592-4**f-9c98-a0*****ba"}'),
    "remote_media_error")
REMOTE_CONTENT = RealAnswer(
    "remote-content-error", "https://github.com/deepgram/deepgram-js-sdk/issues/263",
    "https://api.deepgram.com/v1/listen?model=nova-2-phonecall&summarize=v2&diarize=true&redact=pci&smart_format=true&numerals=true",
    SeenAnswer(status=400, body='{"err_code":"REMOTE_CONTENT_ERROR","err_msg":"The remote server hosting the media failed to return valid data"}'),
    "remote_media_error", assembled=True, note="the issue title quotes the code and message")
NET0001 = RealAnswer(
    "net0001-idle", "https://github.com/pipecat-ai/pipecat/issues/1113",
    "wss://api.deepgram.com/v1/listen?model=nova-2&encoding=linear16&sample_rate=16000",
    SeenAnswer(close_code=1011, close_reason="Deepgram did not receive audio data or a text message within the timeout window. See https://dpgr.am/net0001"),
    "idle_timeout")
NET0000 = RealAnswer(
    "net0000-mediarecorder", "https://github.com/deepgram/deepgram-python-sdk/issues/509",
    "wss://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(close_code=1011, close_reason="Deepgram did not provide a response message within the timeout window. See https://dpgr.am/net0000"),
    "idle_timeout")
METADATA_ONLY = RealAnswer(
    "metadata-only-zero-duration", "https://github.com/tempo-riz/deepgram_speech_to_text/issues/7",
    "wss://api.deepgram.com/v1/listen?model=nova-2-general&language=en-US&filler_words=false&punctuation=true",
    SeenAnswer(frames=({"type": "Metadata", "transaction_key": "deprecated", "request_id": "746922cc-e470-4cfd-a01f-01792cb96a7f", "sha256": "c9b92b2e86055b9dfb5fdcce41611853" "84ac32bf08107346e3631b1fea922fb2", "created": "2024-05-07T18:42:11.487Z", "duration": 0.0, "channels": 0},)),
    "undecodable_audio")
TTS_CHAR_RATE = RealAnswer(
    "tts-data-0001", "https://developers.deepgram.com/docs/tts-troubleshooting-websocket-net-and-data-errors",
    "wss://api.deepgram.com/v1/speak?model=aura-2-thalia-en&encoding=linear16&sample_rate=24000",
    SeenAnswer(close_code=1008, close_reason="DATA-0001"), "tts_rate_limit", assembled=True,
    note="code and payload from Deepgram's table; jambonz-feature-server #1214 reports the drop")
NO_SCHEME_WORD = RealAnswer(
    "no-scheme-word", "https://github.com/deepgram-devs/deepgram-live-transcripts-ios/issues/1",
    "wss://api.deepgram.com/v1/listen?encoding=linear16&sample_rate=48000&channels=1",
    SeenAnswer(status=401, client_error="notAnUpgrade(401)"), "wrong_auth_scheme",
    headers=("Authorization: {key}",), note="fixed by the reporter by adding 'Token '")
FLUX_KEYTERM_LONG = RealAnswer(
    "flux-keyterm-over-100", "https://github.com/deepgram/deepgram-python-sdk/issues/616",
    "wss://api.deepgram.com/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000&keyterm="
    + "abcdefghij" * 11,
    SeenAnswer(status=400), "status_only")
INVALID_CREDENTIALS_WS = RealAnswer(
    "invalid-credentials-ws", "https://developers.deepgram.com/docs/errors",
    "wss://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(status=401, headers={"content-type": "application/json", "dg-error": "Invalid credentials.", "dg-request-id": "01a0accc-307e-7171-b0e9-5eb486f4e252"},
               body='{"err_code":"INVALID_AUTH","err_msg":"Invalid credentials.","request_id":"01a0accc-307e-7171-b0e9-5eb486f4e252"}'),
    "invalid_key", headers=("Authorization: Token {key}",))

# ------------------------------------------------------------------------------------------ middleboxes
# nginx's built-in pages: src/http/ngx_http_special_response.c (ngx_http_error_401_page + ngx_http_error_tail);
# the same bytes captured from a server in https://github.com/search?q=%22401+Authorization+Required%22+nginx
NGINX_401 = RealAnswer(
    "nginx-401", "https://github.com/nginx/nginx/blob/master/src/http/ngx_http_special_response.c",
    "https://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(status=401, headers={"server": "nginx", "content-type": "text/html", "www-authenticate": 'Basic realm="Restricted"'},
               body="<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
    "not_deepgram")
NGINX_403 = RealAnswer(
    "nginx-403", "https://github.com/nginx/nginx/blob/master/src/http/ngx_http_special_response.c",
    "https://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(status=403, headers={"server": "nginx", "content-type": "text/html"},
               body="<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"),
    "not_deepgram")
# Cloudflare's block page: "Attention Required! | Cloudflare" / "Sorry, you have been blocked" / "Cloudflare Ray ID"
# (developers.cloudflare.com/waf/reference/cloudflare-challenges/ and captures quoted in public scrapers).
CLOUDFLARE_BLOCK = RealAnswer(
    "cloudflare-block", "https://developers.cloudflare.com/fundamentals/reference/http-headers/",
    "https://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(status=403, headers={"server": "cloudflare", "cf-ray": "8a1b2c3d4e5f6789-AMS", "content-type": "text/html; charset=UTF-8"},
               body='<!DOCTYPE html>\n<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n<head>\n<title>Attention Required! | Cloudflare</title>\n</head>\n<body>\n<h1 data-translate="block_headline">Sorry, you have been blocked</h1>\n<span class="cf-footer-item">Cloudflare Ray ID: <strong class="font-semibold">8a1b2c3d4e5f6789</strong></span>\n</body>\n</html>'),
    "not_deepgram", assembled=True)
# squid 407: verbatim headers from a public capture (squid/3.5.27), see the squid docs for ERR_CACHE_ACCESS_DENIED.
SQUID_407 = RealAnswer(
    "squid-407", "https://wiki.squid-cache.org/Features/Authentication",
    "https://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(status=407, headers={"server": "squid/3.5.27", "content-type": "text/html;charset=utf-8", "x-squid-error": "ERR_CACHE_ACCESS_DENIED 0",
                                    "proxy-authenticate": 'Basic realm="Squid proxy-caching web server"', "x-cache": "MISS from 65d2e3c7997a",
                                    "via": "1.1 65d2e3c7997a (squid/3.5.27)"}),
    "not_deepgram")
# AWS API Gateway's default UNAUTHORIZED / ACCESS_DENIED gateway responses.
APIGW_401 = RealAnswer(
    "apigateway-401", "https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html",
    "https://voice.example.com/v1/listen?model=nova-3",
    SeenAnswer(status=401, headers={"content-type": "application/json", "x-amzn-requestid": "5c2b6f1e-0000-4000-8000-000000000000",
                                    "x-amzn-errortype": "UnauthorizedException"}, body='{"message":"Unauthorized"}'),
    "not_deepgram")
# A captive portal answers every plain request itself, with 200 HTML or a redirect (RFC 8952 §2, RFC 8908).
CAPTIVE_200 = RealAnswer(
    "captive-portal-200", "https://www.rfc-editor.org/rfc/rfc8952#section-2",
    "https://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(status=200, headers={"content-type": "text/html"},
               body="<!DOCTYPE html><html><head><title>Guest Wi-Fi Login</title></head><body><form action=\"/login\">Accept the terms to continue</form></body></html>"),
    "not_deepgram", assembled=True)
CAPTIVE_302 = RealAnswer(
    "captive-portal-302", "https://www.rfc-editor.org/rfc/rfc8952#section-2",
    "https://api.deepgram.com/v1/speak?model=aura-2-thalia-en",
    SeenAnswer(status=302, headers={"location": "http://portal.hotel-wifi.example/login?dst=https%3A%2F%2Fapi.deepgram.com"}),
    "not_deepgram", assembled=True)

# ------------------------------------------------------------------------------------------ evidence rules
# Answers the rules in tests/unit/test_rules_evidence.py are decided on: what the user saw, verbatim, with the
# request as reported. `complete` requests carried exactly the headers listed (none: no credential at all).
NO_HEADERS_DOTNET = RealAnswer(
    "no-credential-dotnet", "https://github.com/deepgram/deepgram-dotnet-sdk/issues/342",
    "wss://api.deepgram.com/v1/listen?model=nova-2&language=en&channels=1",
    SeenAnswer(client_error="Deepgram API Key is invalid"), "missing_key",
    note="the key set through a property initializer never reached the client: no Authorization was sent",
    extra={"complete": "yes"})
KEY_REQUIRED_NODE = RealAnswer(
    "client-says-key-required", "https://github.com/xRiddin/Real-Time-AI-Voice-Assistant/issues/1",
    "wss://api.deepgram.com/v1/listen",
    SeenAnswer(client_error="DeepgramError: A deepgram API key is required"), "missing_key")
KEY_NOT_SET_APP = RealAnswer(
    "client-says-key-not-set", "https://github.com/kodjima33/retard-meter/issues/1",
    "wss://api.deepgram.com/v1/listen",
    SeenAnswer(client_error="Failed to start recording: Error: Deepgram API key is not set. Please set DEEPGRAM_API_KEY in your environment or .env file."),
    "missing_key")
VENDOR_401 = RealAnswer(
    "vendor-api-401", "https://github.com/Nexus-JPF/note-companion/issues/363",
    "https://transcription.note-companion.example/api/transcribe", SeenAnswer(status=401), "not_deepgram",
    headers=("Authorization: Bearer {key}",), note="the vendor's own host is not named in the report: a stand-in")
GATEWAY_QUOTA = RealAnswer(
    "gateway-quota", "https://community.livekit.io/t/inference-stt-websocket-fails-apiconnectionerror-while-room-connection-works/683",
    "wss://agent-gateway.livekit.cloud/v1",
    SeenAnswer(client_error="APIConnectionError: Error connecting to LiveKit WebSocket"), "not_deepgram")
SELFHOSTED_429 = RealAnswer(
    "selfhosted-429", "https://github.com/deepgram/deepgram-dotnet-sdk/issues/339",
    "wss://deepgram.selfhosted.example.com/v1/listen?model=nova-2",
    SeenAnswer(status=429, client_error="The server returned status code '429' limit exceeded,  when status code '101' was expected."),
    "rate_limited", headers=("Authorization: Token {key}",), note="a Deepgram path on the user's own host")
DETECT_LANGUAGE_STREAM = RealAnswer(
    "detect-language-stream-400", "https://github.com/fastrepl/anarlog/issues/2877",
    "wss://api.deepgram.com/v1/listen?model=nova-3&detect_language=true&encoding=linear16&sample_rate=16000&channels=1",
    SeenAnswer(status=400), "feature_not_allowed", headers=("Authorization: Token {key}",))
DETECT_LANGUAGES_STREAM = RealAnswer(
    "detect-languages-stream-400", "https://github.com/jambonz/jambonz-feature-server/issues/1109",
    "wss://api.deepgram.com/v1/listen?model=nova-3&detect_language=en&detect_language=es&encoding=linear16&sample_rate=8000",
    SeenAnswer(status=400), "feature_not_allowed", headers=("Authorization: Token {key}",))
ENGLISH_ONLY_HIDDEN = RealAnswer(
    "english-only-model-es-hidden", "https://github.com/drachtio/drachtio-freeswitch-modules/issues/112",
    "wss://api.deepgram.com/v1/listen?tier=base&model=conversationalai&language=es&interim_results=true&encoding=linear16&sample_rate=8000",
    SeenAnswer(client_error="connection failed: HS: ws upgrade response not 101"), "unsupported_language",
    headers=("Authorization: Token {key}",))
ENGLISH_ONLY_400 = RealAnswer(
    "english-only-model-es419-400", "https://github.com/livekit/agents/pull/618",
    "wss://api.deepgram.com/v1/listen?model=nova-2-conversationalai&punctuate=true&smart_format=true&no_delay=true&interim_results=true&encoding=linear16&vad_events=true&sample_rate=48000&channels=1&endpointing=25&filler_words=false&language=es-419",
    SeenAnswer(status=400, client_error="aiohttp.client_exceptions.WSServerHandshakeError: 400, message='Invalid response status', url='wss://api.deepgram.com/v1/listen?model=nova-2-conversationalai&punctuate=true&smart_format=true&no_delay=true&interim_results=true&encoding=linear16&vad_events=true&sample_rate=48000&channels=1&endpointing=25&filler_words=false&language=es-419'"),
    "unsupported_language", headers=("Authorization: Token {key}",))
LANGUAGE_ENUM_NAME = RealAnswer(
    "language-enum-name", "https://github.com/pipecat-ai/pipecat/issues/868",
    "wss://api.deepgram.com/v1/listen?channels=1&encoding=linear16&interim_results=true&language=Language.EN&model=nova-2&sample_rate=16000",
    SeenAnswer(client_error="Unable to connect to Deepgram"), "malformed_request", headers=("Authorization: Token {key}",),
    note="the enum's name went into the query instead of its value 'en'")
TTS_VOICE_TYPO = RealAnswer(
    "tts-voice-typo-400", "https://github.com/livekit/agents/issues/2224",
    "wss://api.deepgram.com/v1/speak?encoding=linear16&model=aura-austeria-en&sample_rate=24000&mip_opt_out=false",
    SeenAnswer(status=400, client_error="WSServerHandshakeError: 400, message='Invalid response status'"), "no_such_model",
    headers=("Authorization: Token {key}",))
SILENT_NO_ENCODING = RealAnswer(
    "silent-stream-no-encoding", "https://github.com/deepgram/deepgram-python-sdk/issues/454",
    "wss://api.deepgram.com/v1/listen?model=nova-2", SeenAnswer(status=101), "undecodable_audio",
    headers=("Authorization: Token {key}",), note="raw Opus sent without encoding: on_message never fired")
SILENT_FOREIGN_LANGUAGE = RealAnswer(
    "silent-stream-vietnamese", "https://github.com/ngoanpv/DeepInterview/pull/26",
    "wss://api.deepgram.com/v1/listen?model=nova-3&language=vi&encoding=linear16&sample_rate=16000&channels=1&interim_results=true",
    SeenAnswer(status=101), "unsupported_language", headers=("Authorization: Token {key}",),
    note="'no text, no end-of-turn' after the stream opened")
NOTHING_WHISPER_STREAM = RealAnswer(
    "nothing-seen-whisper-stream", "https://github.com/daily-co/daily-python/issues/4",
    "wss://api.deepgram.com/v1/listen?model=whisper-base&language=en&detect_language=true&profanity_filter=false&redact=false",
    SeenAnswer(), "wrong_endpoint", headers=("Authorization: Token {key}",),
    note="no transcription message ever arrived and no error was shown")
AGENT_CLIENT_MESSAGE = RealAnswer(
    "agent-client-message-refused", "https://github.com/deepgram/deepgram-js-sdk/issues/354",
    "wss://agent.deepgram.com/agent",
    SeenAnswer(frames=({"type": "Error", "description": "Text message received from client did not match any of the formats we expect."},)),
    "malformed_request", headers=("Authorization: Token {key}",), assembled=True,
    note="the reporter quotes the description; the frame is the agent's Error shape")
DG_ERROR_HEADER_ONLY = RealAnswer(
    "dg-error-header-without-status", "https://developers.deepgram.com/docs/errors",
    "wss://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(headers={"dg-error": "Invalid credentials.", "dg-request-id": "01a0accc-307e-7171-b0e9-5eb486f4e252"}),
    "invalid_key", headers=("Authorization: Token {key}",), note="a client that printed the handshake headers only")
# Codes and shapes the rules had no entry for when first seen (the unseen-2 corpus): each is read by a general
# rule (a code's own words, a warning on an acceptance, a normal close the client asked for, a default model).
FLUX_INACTIVE_CLIENT = RealAnswer(
    "flux-inactive-client", "https://github.com/livekit/agents/pull/3579",
    "wss://api.deepgram.com/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000",
    SeenAnswer(frames=({"type": "Error", "code": "INACTIVE_CLIENT"},)), "idle_timeout",
    headers=("Authorization: Token {key}",), note="maintainer: DG times out with INACTIVE_CLIENT when no data is sent")
TTS_UNSUPPORTED_FORMAT_CUT = RealAnswer(
    "tts-unsupported-audio-format-cut-short", "https://github.com/pipecat-ai/pipecat/issues/2764",
    "https://api.deepgram.com/v1/speak?model=aura-2-helena-en&encoding=opus&container=none",
    SeenAnswer(body='{"err_code":"UNSUPPORTED_AUDIO_FORMAT","err_msg":"Unsupported audio format: `container=none` is invalid when `encoding=opus...'),
    "malformed_request", headers=("Authorization: Token {key}", "Content-Type: application/json"),
    note="the log line cut the body short: not whole JSON")
REMOTE_CONTENT_LENGTH = RealAnswer(
    "remote-fetch-content-length", "https://github.com/deepgram/deepgram-js-sdk/issues/135",
    "https://api.deepgram.com/v1/listen", SeenAnswer(client_error="Fetching failed to get valid content-length."),
    "remote_media_error", headers=("Authorization: Token {key}", "Content-Type: application/json"),
    note='JSON body {"url": a YouTube page}: a web page, not a media file')
REMOTE_LENGTH_REQUIRED = RealAnswer(
    "remote-411-length-required", "https://github.com/deepgram/deepgram-python-sdk/issues/293",
    "https://api.deepgram.com/v1/listen?punctuate=true&model=2-ea&tier=nova&diarize=true&smart_format=true",
    SeenAnswer(client_error="httpx.HTTPStatusError: Client error '411 Length Required' for url"), "remote_media_error",
    headers=("Authorization: Token {key}", "Content-Type: application/json"),
    note="JSON body with a CGI download URL; the status is only in the client's text")
TOPICS_ENGLISH_ONLY_200 = RealAnswer(
    "topics-english-only-warning", "https://github.com/hyperaudio/hyperaudio-lite-editor/issues/598",
    "https://api.deepgram.com/v1/listen?model=nova-2&language=fr&summarize=v2&topics=true",
    SeenAnswer(status=200, body="Topics is only supported for English."), "unsupported_language",
    headers=("Authorization: Token {key}",), note="model and language stand in (the report does not show them)")
EMPTY_FRAME_CLOSE_1000 = RealAnswer(
    "empty-binary-frame-close-1000", "https://github.com/deepgram-starters/nextjs-live-transcription/pull/13",
    "wss://api.deepgram.com/v1/listen?model=nova-2&interim_results=true&smart_format=true",
    SeenAnswer(close_code=1000), "malformed_request", headers=("Sec-WebSocket-Protocol: token, {key}",),
    note="iOS MediaRecorder delivered an empty Blob, sent as an empty binary frame")
DEFAULT_MODEL_CZECH = RealAnswer(
    "default-model-czech-400", "https://github.com/deepgram-devs/deepgram-rust-sdk/issues/109",
    "wss://api.deepgram.com/v1/listen?language=cs&encoding=linear16&sample_rate=16000&channels=1",
    SeenAnswer(status=400, headers={"dg-error": "Bad Request"}), "unsupported_language",
    headers=("Authorization: Token {key}",), note="reporter's fix: add .model(Model::Nova2)")
KEY_AS_BEARER_401 = RealAnswer(
    "key-sent-as-bearer-401", "https://github.com/OpenWhispr/openwhispr/issues/2140",
    "wss://api.deepgram.com/v1/listen?model=nova-3",
    SeenAnswer(client_error="Unexpected server response: 401"), "wrong_auth_scheme",
    headers=("Authorization: Bearer {key}",), note="the status is only in the ws library's text")
FLUX_V1_PARAMETER_400 = RealAnswer(
    "flux-v1-parameter-bare-400", "https://github.com/bolna-ai/bolna/pull/670",
    "wss://api.deepgram.com/v2/listen?model=flux-general-en&eot_threshold=0.7&encoding=linear16&sample_rate=16000&channels=1",
    SeenAnswer(status=400), "malformed_request", headers=("Authorization: Token {key}",),
    note="merged fix: drop `channels` from the Flux URL")
RULE_ANSWERS = (NO_HEADERS_DOTNET, KEY_REQUIRED_NODE, KEY_NOT_SET_APP, VENDOR_401, GATEWAY_QUOTA, SELFHOSTED_429,
                DETECT_LANGUAGE_STREAM, DETECT_LANGUAGES_STREAM, ENGLISH_ONLY_HIDDEN, ENGLISH_ONLY_400,
                LANGUAGE_ENUM_NAME, TTS_VOICE_TYPO, SILENT_NO_ENCODING, SILENT_FOREIGN_LANGUAGE, NOTHING_WHISPER_STREAM,
                AGENT_CLIENT_MESSAGE, DG_ERROR_HEADER_ONLY, FLUX_INACTIVE_CLIENT, TTS_UNSUPPORTED_FORMAT_CUT,
                REMOTE_CONTENT_LENGTH, REMOTE_LENGTH_REQUIRED, TOPICS_ENGLISH_ONLY_200, EMPTY_FRAME_CLOSE_1000,
                DEFAULT_MODEL_CZECH, KEY_AS_BEARER_401, FLUX_V1_PARAMETER_400)

DEEPGRAM_ANSWERS = (NOVA3_KEYWORDS, NOVA3_KEYWORDS_WS_BARE, KEYWORDS_BROWSER_1006, WHISPER_STREAM_405,
                    REMOTE_NOT_ROUTABLE, REMOTE_CONTENT, NET0001, NET0000, METADATA_ONLY, TTS_CHAR_RATE,
                    NO_SCHEME_WORD, FLUX_KEYTERM_LONG, INVALID_CREDENTIALS_WS)
MIDDLEBOX_ANSWERS = (NGINX_401, NGINX_403, CLOUDFLARE_BLOCK, SQUID_407, APIGW_401, CAPTIVE_200, CAPTIVE_302)
ALL = DEEPGRAM_ANSWERS + MIDDLEBOX_ANSWERS


def request_headers(real: RealAnswer) -> list[str]:
    """The request headers with a canary credential put in at run time."""
    return [h.replace("{key}", canary_key()).replace("{jwt}", canary_jwt()) for h in real.headers]


# ------------------------------------------------------------------------------------------ a client that crashed
# The client failed in its own code while reading an answer: Deepgram's words are hidden, the network was fine.
NOVA_SPANISH_SDK_CRASH = RealAnswer(
    "nova-spanish-sdk-attributeerror", "https://github.com/deepgram/deepgram-python-sdk/issues/86",
    "https://api.deepgram.com/v1/listen?utterances=true&diarize=true&model=nova&language=es&paragraphs=true&smart_format=true",
    SeenAnswer(client_error="AttributeError: \u2018URLError\u2019 object has no attribute \u2018status\u2019"),
    "status_only", note="maintainer: Nova did not offer Spanish; PR #87 made the SDK raise the API's error instead")
JS_SDK_UNDEFINED = RealAnswer(
    "js-sdk-dg-undefined-undefined", "https://github.com/deepgram/deepgram-js-sdk/issues/77",
    "https://api.deepgram.com/v1/listen",
    SeenAnswer(client_error="DG: undefined: undefined"), "status_only",
    note="the v1 SDK printed fields the error answer did not have; PR #90 'updated error handling to show correct info'")

"""How every Deepgram SDK and the clients under it print a failed request or handshake, read back.

Users often bring only their client's error text. Each row below is a format string copied from the
source named in its comment (repository and path at the version read, or the library's own text),
filled with a status and, where the format embeds one, Deepgram's body in the shape docs/deepgram-facts.md
gives (legacy `{"err_code","err_msg","request_id"}`: 401 INVALID_AUTH "Invalid credentials.", 403
INSUFFICIENT_PERMISSIONS "Project does not have access to the requested model."). The test reads the status
with `facts.status_in_client_text` and the body with `offline._embedded_body`, the two seams `explain
--offline` uses on `client_error`, so the extraction is checked against the formats, not against reports.
"""

from __future__ import annotations

import json

import pytest

from dg_entitlements import facts
from dg_entitlements.offline import SeenAnswer, _embedded_body, diagnose_answer

# Request ids are UUIDs; this one holds "400" and "401" on purpose: a request id is never a status.
RID = "7c2e9400-5b1d-4f3a-9e21-0d6c8b401f77"
AUTH = {"err_code": "INVALID_AUTH", "err_msg": "Invalid credentials.", "request_id": RID}
MODEL = {"err_code": "INSUFFICIENT_PERMISSIONS", "err_msg": "Project does not have access to the requested model.",
         "request_id": RID}
AUTH_JSON = json.dumps(AUTH, separators=(",", ":"))
MODEL_JSON = json.dumps(MODEL, separators=(",", ":"))
URL = "https://api.deepgram.com/v1/listen?model=nova-3"
WSS = "wss://api.deepgram.com/v1/listen?model=nova-3"
RESPONSE_HEADERS = {"content-type": "application/json", "content-length": "104", "dg-request-id": RID,
                    "date": "Tue, 13 May 2025 10:40:01 GMT"}

# (what prints it, the text, the status it reports)
STATUS_FORMATS: list[tuple[str, str, int]] = [
    # ---- Deepgram SDKs
    # deepgram-python-sdk v3.0.0 deepgram/clients/errors.py, v4.8.1 deepgram/clients/common/v1/errors.py:
    # f"{self.name}: {self.message} (Status: {self.status})", message = err_msg
    ("python v3/v4 DeepgramApiError", "DeepgramApiError: Invalid credentials. (Status: 401)", 401),
    # same file; v4.8.1 abstract_sync_rest.py raises it with the JSONDecodeError's msg on a non-JSON body
    ("python v3/v4 DeepgramUnknownApiError", "DeepgramUnknownApiError: Expecting value (Status: 502)", 502),
    # v4.8.1 deepgram/clients/common/v1/abstract_sync_websocket.py start(): logs "WebSocketException in
    # AbstractSyncWebSocketClient.start: %s" with websockets' InvalidStatusCode (legacy/exceptions.py)
    ("python v3/v4 websocket start", "WebSocketException in AbstractSyncWebSocketClient.start: server rejected "
     "WebSocket connection: HTTP 401", 401),
    # deepgram-python-sdk v2.12.0 deepgram/errors.py DeepgramApiError.__str__:
    # f"Request `{self.request_id}` returned {self.http_error_status}: {self.error}"
    ("python v2 DeepgramApiError", f"Request `{RID}` returned 429: Too many requests", 429),
    # deepgram-python-sdk v5+ (7.6.0) src/deepgram/core/api_error.py (Fern):
    # f"headers: {self.headers}, status_code: {self.status_code}, body: {self.body}"
    ("python v5+ ApiError (REST)", f"headers: {RESPONSE_HEADERS}, status_code: 403, body: {MODEL}", 403),
    # v7.6.0 src/deepgram/listen/v1/raw_client.py connect(): ApiError(status_code, headers=<request headers>,
    # body="Websocket initialized with invalid credentials.") on a websockets InvalidStatus
    ("python v5+ ApiError (WebSocket)", "headers: {'X-Fern-Language': 'Python', 'X-Fern-SDK-Version': '7.6.0'}, "
     "status_code: 401, body: Websocket initialized with invalid credentials.", 401),
    # deepgram-js-sdk v4.11.3 src/lib/errors.ts DeepgramApiError.toJSON() {name, message, status}; Node's
    # util.inspect prints the same fields as "status: 401"
    ("js v3/v4 DeepgramApiError JSON", '{"name":"DeepgramApiError","message":"Invalid credentials.","status":401}',
     401),
    # deepgram-js-sdk v4.11.3 src/packages/AbstractLiveClient.ts buildEnhancedErrorMessage(): the event's
    # message (ws: "Unexpected server response: 401") + " (Status: 401, Request ID: ..., Ready State: ..., URL: ...)"
    ("js v4.11 DeepgramWebSocketError", f"Unexpected server response: 401 (Status: 401, Request ID: {RID}, "
     f"Ready State: CLOSED, URL: {WSS})", 401),
    # deepgram-js-sdk v5 src/errors/DeepgramError.ts buildMessage(): lines message, "Status code: N",
    # "Body: <toJson(body, undefined, 2)>"
    ("js v5 DeepgramError", "BadRequestError\nStatus code: 400\nBody: " + json.dumps(
        {"err_code": "Bad Request", "err_msg": "No such model/language/tier combination found.",
         "request_id": RID}, indent=2), 400),
    # deepgram-go-sdk pkg/client/interfaces/v1/utils.go StatusError.Error():
    # fmt.Sprintf("%s %s: %s - %s", Method, URL, Resp.Status, ErrMsg) / without " - %s" (every status but 400)
    ("go StatusError", f"POST {URL}: 401 Unauthorized", 401),
    ("go StatusError with err_msg", f"POST {URL}: 400 Bad Request - No such model/language/tier combination "
     "found.", 400),
    # deepgram-go-sdk pkg/client/common/v1/rest.go HandleResponse: klog "HTTP Error Code: %d", and
    # fmt.Errorf("%s: %s", res.Status, body) when the 400 body is not Deepgram's
    ("go klog HTTP Error Code", "HTTP Error Code: 400", 400),
    ("go Errorf status: body", "503 Service Unavailable: upstream connect error", 503),
    # deepgram-go-sdk pkg/client/common/v1/websocket.go: klog "HTTP Response: %s" with res.Status
    ("go klog HTTP Response", "HTTP Response: 403 Forbidden", 403),
    # deepgram-dotnet-sdk Deepgram/Abstractions/v1/AbstractRestClient.cs ThrowException(): an empty body calls
    # EnsureSuccessStatusCode (dotnet/runtime SR.net_http_message_not_success_statuscode)
    ("dotnet HttpRequestException", "Response status code does not indicate success: 401 (Unauthorized).", 401),
    # the same with the HttpStatusCode name, as many wrappers print it ({(int)code} ({code}))
    ("dotnet HttpStatusCode name", "Response status code does not indicate success: 429 (TooManyRequests).", 429),
    # Blazor WebAssembly with trimmed resources prints the resource key and its arguments
    ("dotnet trimmed resources", "net_http_message_not_success_statuscode_reason, 405, Method Not Allowed", 405),
    # over HTTP/2 there is no reason phrase (RFC 9113 section 8.3.2), so .NET prints "()" after the status
    ("dotnet over HTTP/2", "Response status code does not indicate success: 401 ().", 401),
    ("dotnet trimmed, no phrase", "Failed to load data: net_http_message_not_success_statuscode_reason, 404", 404),
    # deepgram-dotnet-sdk Abstractions/v2/AbstractWebSocketClient.cs logs "{ex.GetType()} thrown {ex.Message}";
    # System.Net.WebSockets: net_WebSockets_ConnectStatusExpected
    ("dotnet WebSocketException", "System.Net.WebSockets.WebSocketException thrown The server returned status code "
     "'401' when status code '101' was expected.", 401),
    # deepgram-rust-sdk src/lib.rs: "Something went wrong with WS: {0}" over tungstenite's "HTTP error: {status}"
    ("rust WsError (tungstenite)", "Something went wrong with WS: HTTP error: 401 Unauthorized", 401),
    # deepgram-rust-sdk ReqwestError "... the HTTP request: {0}" over reqwest's status error Display
    ("rust ReqwestError (reqwest)", "Something went wrong when making the HTTP request: HTTP status client error "
     f"(401 Unauthorized) for url ({URL})", 401),
    # deepgram-rust-sdk DeepgramApiError Display is fixed ("The Deepgram API returned an error."); its Debug
    # shows reqwest's kind
    ("rust DeepgramApiError Debug", f'DeepgramApiError {{ body: {json.dumps(AUTH_JSON)}, err: reqwest::Error {{ '
     f'kind: Status(401), url: "{URL}" }} }}', 401),
    # deepgram-java-sdk src/main/java/com/deepgram/core/DeepgramHttpException.java toString(); message from
    # RawMediaClient.java "Error with status code " + response.code()
    ("java DeepgramHttpException", f"DeepgramHttpException{{message: Error with status code 401, statusCode: 401, "
     f"body: {AUTH_JSON}}}", 401),
    # deepgram-java-sdk ReconnectingWebSocketListener.onFailure(): "WebSocket connection failed" + " with HTTP " +
    # code + " " + message + ": " + OkHttp's ProtocolException (RealWebSocket.checkUpgradeSuccess)
    ("java ReconnectingWebSocketListener", "WebSocket connection failed with HTTP 401 Unauthorized: "
     "ProtocolException: Expected HTTP 101 response but was '401 Unauthorized'", 401),
    # ---- integrations
    # livekit/agents livekit-agents/livekit/agents/_exceptions.py APIStatusError.__str__ (message=aiohttp's)
    ("livekit APIStatusError", "message='Invalid response status', status_code=401, retryable=False", 401),
    # same file, create_api_error_from_http(): f"{reason} ({status})"
    ("livekit create_api_error_from_http", "Unauthorized (401)", 401),
    # pipecat src/pipecat/services/deepgram/stt.py: f"Deepgram rejected the connection (status {e.status_code}):
    # {e}" over the python SDK's ApiError
    ("pipecat STT", "Deepgram rejected the connection (status 401): headers: {}, status_code: 401, body: "
     "Websocket initialized with invalid credentials.", 401),
    # pipecat src/pipecat/services/deepgram/tts.py: f"HTTP {response.status}: {error_text}" in "Error getting
    # audio: {e}", and f"{self} exception: {e}" over websockets; its loguru lines start with a timestamp
    ("pipecat TTS REST", f"Error getting audio: HTTP 400: {AUTH_JSON}", 400),
    ("pipecat TTS WebSocket log", "2025-05-13 10:40:01.404 | ERROR | DeepgramTTSService#0 exception: server "
     "rejected WebSocket connection: HTTP 401", 401),
    # ---- the libraries under them
    # ws lib/websocket.js: abortHandshake(websocket, req, `Unexpected server response: ${res.statusCode}`)
    ("ws (Node)", "Error: Unexpected server response: 401", 401),
    # websockets 17.4 exceptions.py InvalidStatus, legacy/exceptions.py InvalidStatusCode, ProxyError
    ("websockets InvalidStatus", "websockets.exceptions.InvalidStatus: server rejected WebSocket connection: HTTP 403",
     403),
    ("websockets proxy", "proxy rejected connection: HTTP 407", 407),
    # websocket-client _handshake.py: "Handshake status %d %s -+-+- %s -+-+- %s" (status, reason, headers, body)
    ("websocket-client", f"Handshake status 401 Unauthorized -+-+- {RESPONSE_HEADERS} -+-+- "
     f"{AUTH_JSON.encode()!r}", 401),
    # aiohttp client_exceptions.py ClientResponseError.__str__ "{status}, message={message!r}, url={url!r}";
    # ws_connect raises WSServerHandshakeError(message="Invalid response status")
    ("aiohttp WSServerHandshakeError", f"aiohttp.client_exceptions.WSServerHandshakeError: 401, message='Invalid "
     f"response status', url='{WSS}'", 401),
    # httpx 0.28.1 _models.py raise_for_status: "{error_type} '{0.status_code} {0.reason_phrase}' for url
    # '{0.url}'\nFor more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/{0.status_code}"
    ("httpx HTTPStatusError", f"Client error '402 Payment Required' for url '{URL}'\nFor more information check: "
     "https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/402", 402),
    # requests models.py raise_for_status: "%s Client Error: %s for url: %s"
    ("requests HTTPError", f"401 Client Error: Unauthorized for url: {URL}", 401),
    # urllib.error.HTTPError.__str__: "HTTP Error %s: %s"
    ("urllib HTTPError", "urllib.error.HTTPError: HTTP Error 403: Forbidden", 403),
    # axios lib/core/settle.js: "Request failed with status code " + response.status
    ("axios", "AxiosError: Request failed with status code 400", 400),
    # got: "Response code 401 (Unauthorized)"
    ("got HTTPError", "HTTPError: Response code 401 (Unauthorized)", 401),
    # Chrome before v90 (and Safari): "Error during WebSocket handshake: Unexpected response code: N"
    ("browser handshake console", "WebSocket connection to 'wss://api.deepgram.com/v1/listen?model=nova-3' failed: "
     "Error during WebSocket handshake: Unexpected response code: 401", 401),
    # OkHttp RealWebSocket.checkUpgradeSuccess: "Expected HTTP 101 response but was '${code} ${message}'"
    ("OkHttp", "java.net.ProtocolException: Expected HTTP 101 response but was '403 Forbidden'", 403),
    # java.net.HttpURLConnection: "Server returned HTTP response code: %d for URL: %s"
    ("HttpURLConnection", f"java.io.IOException: Server returned HTTP response code: 401 for URL: {URL}", 401),
    # coder/websocket (nhooyr) dial.go: "expected handshake response status code %v but got %v"
    ("coder/websocket (Go)", "failed to WebSocket dial: expected handshake response status code 101 but got 401",
     401),
    # Ktor WebSockets: "Handshake exception, expected status code 101 but was " + status
    ("Ktor", "WebSocketException: Handshake exception, expected status code 101 but was 403", 403),
    # Swift NIO WebSocket upgrader: notAnUpgrade(HTTPResponseHead.status)
    ("Swift notAnUpgrade", "notAnUpgrade(401)", 401),
    # Chrome's console for a fetch/XHR that failed, as pasted from the browser
    ("browser console, fetch", "Failed to load resource: the server responded with a status of 401 ()", 401),
    # curl -v on an upload: curl sends "Expect: 100-continue", so an interim 100 comes before the final status
    ("curl -v with 100 Continue", "< HTTP/1.1 100 Continue\n< HTTP/1.1 402 Payment Required\n< dg-request-id: "
     f"{RID}", 402),
    # curl lib/http.c: failf(data, "The requested URL returned error: %d", httpcode) under -f
    ("curl -f", "curl: (22) The requested URL returned error: 401", 401),
]

# Texts that carry numbers but no status: each must read as None.
NOT_A_STATUS: list[tuple[str, str]] = [
    # deepgram-go-sdk websocket.go: klog "Dialer failed. Err: %v" over gorilla's ErrBadHandshake
    ("gorilla bad handshake", "Dialer failed. Err: websocket: bad handshake"),
    # undici (Node's global WebSocket) fails a refused upgrade without the status
    ("undici", "Received network error or non-101 status code."),
    # .NET without the status it got: the 101 is what was expected
    ("expected 101 only", "status code '101' was expected"),
    # Chrome since v90 prints the URL and nothing else; a port is not a status
    ("browser, port", "WebSocket connection to 'ws://localhost:401/v1/listen' failed: "),
    # deepgram-js-sdk v4.11 on a browser WebSocket: a request id and a URL, no status
    ("js v4.11 without status", f"WebSocket connection error (Request ID: {RID}, Ready State: CLOSED, "
     "URL: wss://api.deepgram.com:443/v1/listen?sample_rate=16000)"),
    # websockets 17.4 ConnectionClosed: close codes are four digits, not statuses
    ("websockets close", "received 1011 (internal error) NET-0001; then sent 1011 (internal error) NET-0001"),
    # livekit stt.py raises APIStatusError(status_code=ws.close_code) on an unexpected close
    ("livekit close code", "message='deepgram connection closed unexpectedly', status_code=1011, retryable=True"),
    # Python OSError and Rust io::Error: errnos 100-199 are not statuses
    ("python errno", "[Errno 111] Connect call failed ('127.0.0.1', 443)"),
    ("rust os error", "Something went wrong with WS: IO error: Connection refused (os error 111)"),
    # a byte count and a timestamp whose milliseconds look like a status
    ("byte count", "sent 401 bytes of audio, then the connection was reset"),
    ("timestamp", "2025-05-13 10:40:01.401 | WARNING | DeepgramSTTService#0: Connection lost, will retry"),
    # a request id that holds "400" and "401"
    ("request id", f"dg-request-id: {RID}"),
    # Dart's dart:io, with the port it prints
    ("dart", "WebSocketException: Connection to 'https://api.deepgram.com:0/v1/listen?model=nova-3#' was not "
     "upgraded to websocket"),
]

# (what prints it, the text, the err_code in the embedded body)
BODY_FORMATS: list[tuple[str, str, str]] = [
    ("ws with the body appended", f"Unexpected server response: 401 - {AUTH_JSON}", "INVALID_AUTH"),
    # deepgram-js-sdk v3/v4 AbstractRestClient._getErrorMessage: err.msg || err.message || ... ||
    # JSON.stringify(err): a legacy body has none of those keys, so the message is the whole body
    ("js v3/v4 DeepgramApiError", f"DeepgramApiError: {MODEL_JSON}", "INSUFFICIENT_PERMISSIONS"),
    ("js v5 DeepgramError", f"DeepgramError\nStatus code: 401\nBody: {json.dumps(AUTH, indent=2)}", "INVALID_AUTH"),
    ("python v5+ ApiError, headers first", f"headers: {RESPONSE_HEADERS}, status_code: 403, body: {MODEL}",
     "INSUFFICIENT_PERMISSIONS"),
    ("websocket-client, headers first", f"Handshake status 401 Unauthorized -+-+- {RESPONSE_HEADERS} -+-+- "
     f"{AUTH_JSON.encode()!r}", "INVALID_AUTH"),
    ("java DeepgramHttpException wrapper", f"DeepgramHttpException{{message: Error with status code 401, "
     f"statusCode: 401, body: {AUTH_JSON}}}", "INVALID_AUTH"),
    ("rust Debug, escaped body", f'DeepgramApiError {{ body: {json.dumps(AUTH_JSON)}, err: reqwest::Error {{ '
     f'kind: Status(401), url: "{URL}" }} }}', "INVALID_AUTH"),
    ("pipecat TTS REST", f"Error getting audio: HTTP 401: {AUTH_JSON}", "INVALID_AUTH"),
    ("cut short", f"Unexpected server response: 403 - {MODEL_JSON[:90]}", "INSUFFICIENT_PERMISSIONS"),
]


@pytest.mark.parametrize(("client", "text", "status"), STATUS_FORMATS, ids=[row[0] for row in STATUS_FORMATS])
def test_each_clients_format_reports_its_status(client: str, text: str, status: int) -> None:
    assert facts.status_in_client_text(text) == status, client


@pytest.mark.parametrize(("client", "text"), NOT_A_STATUS, ids=[row[0] for row in NOT_A_STATUS])
def test_numbers_that_are_not_a_status_are_not_read_as_one(client: str, text: str) -> None:
    assert facts.status_in_client_text(text) is None, client


def _err_code(embedded: str) -> str | None:
    return next((code for code in ("INVALID_AUTH", "INSUFFICIENT_PERMISSIONS") if code in embedded), None)


@pytest.mark.parametrize(("client", "text", "err_code"), BODY_FORMATS, ids=[row[0] for row in BODY_FORMATS])
def test_deepgrams_body_is_found_inside_each_format(client: str, text: str, err_code: str) -> None:
    embedded = _embedded_body(text)
    assert embedded is not None, client
    assert _err_code(embedded) == err_code
    assert not any(other in embedded for other in ("content-type", "statusCode", "reqwest", "Handshake")), embedded


@pytest.mark.parametrize(("client", "text", "err_code"), BODY_FORMATS, ids=[row[0] for row in BODY_FORMATS])
def test_the_body_inside_each_format_is_judged_as_deepgrams(client: str, text: str, err_code: str) -> None:
    judgement, _ = diagnose_answer(URL, SeenAnswer(client_error=text), method="POST")
    assert judgement.err_code == err_code, client


def test_the_status_next_to_its_own_reason_phrase_only() -> None:
    # "401 Unauthorized" is a status; "401 Forbidden" pairs a number with another status's phrase
    assert facts.status_in_client_text(f"POST {URL}: 401 Unauthorized") == 401
    assert facts.status_in_client_text(f"POST {URL}: 401 Forbidden") is None
    assert facts.status_in_client_text("Forbidden (401)") is None


def test_without_braces_there_is_no_embedded_body() -> None:
    assert _embedded_body("DeepgramApiError: Invalid credentials. (Status: 401)") is None
    assert _embedded_body(f"Handshake status 503 Service Unavailable -+-+- {RESPONSE_HEADERS} -+-+- b''") is None

"""`dg-entitlements proxy`: a transparent local reverse proxy that shows what the app's own requests get.

SDKs and WebSocket libraries hide Deepgram's answer ("non-101 status code", close 1006); every official
SDK accepts a custom base URL, so a proxy on loopback sees the status, the `dg-error` header, the body and
the request id the client threw away, and judges them with the same verdict and diagnosis code as the suite.

Modules, one job each: settings (what to forward where), exchange (the facts of one request, collected
while relaying), judging (facts -> Cell), lines (Cell -> terminal text), rest / ws (the two relays), app
(the ASGI app), session (what happens to every finished exchange), record (cassettes), report (exit
report), server (run it), cli (`cmd_proxy`).
"""

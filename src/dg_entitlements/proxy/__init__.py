"""`dg-entitlements proxy`: a transparent local reverse proxy that shows what the app's own requests get.

SDKs and WebSocket libraries hide Deepgram's answer ("non-101 status code", close 1006); every official
SDK accepts a custom base URL, so a proxy on loopback sees the status, the `dg-error` header, the body and
the request id the client threw away, and judges them with the same verdict and diagnosis code as the suite.

Modules, one job each: settings (what to forward where), exchange (the facts of one request, collected
while relaying), judging (facts -> Cell), lines (Cell -> terminal text), rest / ws (the two relays), app
(the ASGI app), readahead (uvicorn's WebSocket protocol, reading a few messages ahead), observe (judging
finished exchanges off the relay's path), session (what happens to every judged exchange), record
(cassettes), report (exit report), server (run it), cli (`cmd_proxy`).
"""

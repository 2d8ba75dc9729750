"""Credentials the suite's accounts cannot express: temporary tokens (Bearer) and a key in the URL.

The pipeline sends API keys as `Token`; a user's own code may send a JWT from /v1/auth/grant as
`Bearer`, or put the key in the query string. `explain` reproduces the request exactly as given, so
these scenarios go through it (in process, against the scenario fake), with a spy on `diagnose` to
read the Diagnosis itself and not only its rendering.
"""

from __future__ import annotations

import base64
import json
import time

import httpx

from dg_entitlements.catalogue import Catalogue
from dg_entitlements.explain import explain
from dg_entitlements.fake.server import FakeServer
from dg_entitlements.model import Diagnosis, Verdict

KEY = "dgfake-payg-full-k1"
MAX_TTL_WAIT_S = 3.0


def grant(server: FakeServer, ttl_seconds: int) -> tuple[str, float]:
    """A temporary token minted by the fake over HTTP, and its `exp` claim."""
    response = httpx.post(f"{server.http_url}/v1/auth/grant", json={"ttl_seconds": ttl_seconds},
                          headers={"Authorization": f"Token {KEY}"}, timeout=5.0, trust_env=False)
    assert response.status_code == 200, response.text
    token = str(response.json()["access_token"])
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return token, float(claims["exp"])


def stream_url(server: FakeServer) -> str:
    return f"{server.ws_url}/v1/listen?model=nova-3&encoding=linear16&sample_rate=16000"


def test_fresh_token_as_bearer_is_accepted(scenario_fake: FakeServer, catalogue: Catalogue) -> None:
    """The control for the expiry test: the same Bearer request with a live token is accepted."""
    token, _ = grant(scenario_fake, 30)
    text, verdict = explain(catalogue, stream_url(scenario_fake), None, [f"Authorization: Bearer {token}"], None, None)
    assert verdict is Verdict.ENTITLED
    assert token not in text


def test_expired_token_is_diagnosed_as_expired(scenario_fake: FakeServer, catalogue: Catalogue,
                                               diagnoses: list[Diagnosis | None]) -> None:
    """A 1 s token used after it expired: 401, and the diagnosis points at the token, not the key."""
    token, exp = grant(scenario_fake, 1)
    wait = exp - time.time() + 0.05
    assert wait <= MAX_TTL_WAIT_S
    if wait > 0:
        time.sleep(wait)
    text, verdict = explain(catalogue, stream_url(scenario_fake), None, [f"Authorization: Bearer {token}"], None, None)
    assert verdict is Verdict.INVALID_AUTH
    assert len(diagnoses) == 1 and diagnoses[0] is not None
    d = diagnoses[0]
    assert d.cause == "expired_token"
    assert d.title == ("The temporary token (Bearer) was refused: expired, invalid, or an API key sent as Bearer")
    assert d.is_entitlement is False
    assert any(e.label == "request id" for e in d.evidence)
    assert token not in text and KEY not in text


def test_token_on_management_is_missing_scope(scenario_fake: FakeServer, catalogue: Catalogue,
                                              diagnoses: list[Diagnosis | None]) -> None:
    """Tokens from /v1/auth/grant never work on the Manage APIs: a scope problem, named as such."""
    token, _ = grant(scenario_fake, 30)
    text, verdict = explain(catalogue, f"{scenario_fake.http_url}/v1/projects", "GET",
                            [f"Authorization: Bearer {token}"], None, None)
    assert verdict is Verdict.INSUFFICIENT_PERMISSIONS
    d = diagnoses[0]
    assert d is not None and d.cause == "missing_scope"
    assert d.title == "Temporary tokens cannot use the Manage APIs (GET /v1/projects)"
    assert d.is_entitlement is False
    assert token not in text


def test_key_in_flux_url_is_malformed_and_never_printed(scenario_fake: FakeServer, catalogue: Catalogue,
                                                        diagnoses: list[Diagnosis | None]) -> None:
    """`?token=<key>` on /v2/listen: an unknown parameter before auth; the key is scrubbed from the output."""
    url = f"{scenario_fake.ws_url}/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000&token={KEY}"
    text, verdict = explain(catalogue, url, None, [], None, None)
    assert verdict is Verdict.MALFORMED_REQUEST
    d = diagnoses[0]
    assert d is not None and d.cause == "key_in_url"
    assert d.title == ("API key passed in the URL (`token=`) instead of the Authorization header, on "
                       "wss /v2/listen (Flux)")
    assert d.is_entitlement is False
    assert KEY not in text
    assert "cause:    API key passed in the URL (`token=`)" in text

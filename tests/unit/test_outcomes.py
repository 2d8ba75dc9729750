"""Expected vs got: the outcome table, and the one-screen failure message."""

from __future__ import annotations

import pytest

from dg_entitlements.model import Expectation, Judgement, Observation, Outcome, RequestSummary, Verdict
from dg_entitlements.outcomes import explain_mismatch, outcome_for
from dg_entitlements.secrets import register_secret

V = Verdict
Out = Outcome


def j(verdict: Verdict, **kw: str) -> Judgement:
    return Judgement(verdict=verdict, reason=f"because {verdict.value}", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(("expected", "status_expected", "got", "status", "outcome"), [
    (V.ENTITLED, 200, V.ENTITLED, 200, Out.AS_EXPECTED),
    (V.ENTITLED, 101, V.ENTITLED, 101, Out.AS_EXPECTED),
    (V.ENTITLED, 200, V.ENTITLED, 201, Out.AS_EXPECTED),  # allowed is allowed
    (V.ENTITLED, 200, V.NOT_ENTITLED, 403, Out.UNEXPECTED_DENY),
    (V.ENTITLED, 101, V.MALFORMED_REQUEST, 400, Out.UNEXPECTED_DENY),
    (V.ENTITLED, 101, V.INVALID_AUTH, 401, Out.UNEXPECTED_DENY),
    (V.ENTITLED, 101, V.TIMEOUT, None, Out.INCONCLUSIVE),
    (V.ENTITLED, 200, V.SERVER_ERROR, 503, Out.INCONCLUSIVE),
    (V.ENTITLED, 200, V.RATE_LIMITED, 429, Out.INCONCLUSIVE),
    (V.ENTITLED, 200, V.NETWORK_ERROR, None, Out.INCONCLUSIVE),
    (V.ENTITLED, 200, V.UNRECOGNISED, 418, Out.INCONCLUSIVE),
    (V.NOT_ENTITLED, 403, V.NOT_ENTITLED, 403, Out.AS_EXPECTED),
    (V.NOT_ENTITLED, None, V.NOT_ENTITLED, 401, Out.AS_EXPECTED),
    (V.NOT_ENTITLED, 403, V.ENTITLED, 200, Out.UNEXPECTED_ALLOW),
    (V.WRONG_ENDPOINT, 400, V.ENTITLED, 101, Out.UNEXPECTED_ALLOW),
    (V.WRONG_ENDPOINT, 400, V.MALFORMED_REQUEST, 400, Out.UNEXPECTED_DENY),
    (V.NOT_ENTITLED, 403, V.NOT_ENTITLED, 401, Out.UNEXPECTED_DENY),  # right verdict, wrong status
    (V.NOT_ENTITLED, 403, V.SERVER_ERROR, 500, Out.INCONCLUSIVE),
    (V.RATE_LIMITED, 429, V.RATE_LIMITED, 429, Out.AS_EXPECTED),  # an inconclusive verdict that was expected
    (V.RATE_LIMITED, 429, V.ENTITLED, 200, Out.UNEXPECTED_ALLOW),
    (V.PAYMENT_REQUIRED, 402, V.PAYMENT_REQUIRED, 402, Out.AS_EXPECTED),
    (V.FEATURE_NOT_ALLOWED, 403, V.NOT_ENTITLED, 403, Out.UNEXPECTED_DENY),
])
def test_outcome_table(expected: Verdict, status_expected: int | None, got: Verdict, status: int | None,
                       outcome: Outcome) -> None:
    assert outcome_for(Expectation(expected, status_expected), j(got), status) is outcome


def test_mismatch_message_has_expected_got_words_and_request_id() -> None:
    obs = Observation(status=400,
                      headers={"dg-request-id": "rid-123", "dg-error": "Unknown query parameters: channels"},
                      body={"err_code": "INVALID_QUERY_PARAMETER", "err_msg": "Unknown query parameters: channels"},
                      at="2026-09-17T00:37:38Z",
                      request=RequestSummary("GET", "wss://api.deepgram.com/v2/listen?model=flux-general-en&channels=1",
                                             "Token"))
    judgement = Judgement(V.MALFORMED_REQUEST, "Deepgram answered 400 ...", err_code="INVALID_QUERY_PARAMETER",
                          err_msg="Unknown query parameters: channels", parameter="channels")
    text = explain_mismatch(Expectation(V.ENTITLED, 101, source="fake.toml: payg"), judgement, obs)
    lines = text.splitlines()
    assert lines[0] == "unexpected deny: expected entitled (status 101)  [fake.toml: payg]"
    assert lines[1] == "  got:        malformed_request (400) (parameter `channels`)"
    assert '  Deepgram:   INVALID_QUERY_PARAMETER "Unknown query parameters: channels"' in lines
    assert "  request id: rid-123" in lines
    assert not any(line.startswith("  dg-error:") for line in lines)  # same words, not repeated
    assert len(lines) <= 12


def test_mismatch_message_never_shows_a_key() -> None:
    secret = "0123456789abcdef" * 2 + "01234567"
    register_secret(secret)
    obs = Observation(status=401, body={"err_code": "INVALID_AUTH", "err_msg": f"Invalid credentials {secret}"},
                      request=RequestSummary("GET", f"wss://h/v1/listen?token={secret}", None))
    text = explain_mismatch(Expectation(V.ENTITLED, 101), Judgement(V.INVALID_AUTH, f"bad {secret}",
                                                                     err_msg=f"Invalid credentials {secret}"), obs)
    assert secret not in text
    assert "request:    GET wss://h/v1/listen?token=" in text


def test_mismatch_message_for_inconclusive_shows_error_and_tries() -> None:
    from dg_entitlements.model import Attempt

    obs = Observation(status=None, error="timeout:connect",
                      attempts=(Attempt(None, "timeout:connect", 10.0), Attempt(None, "timeout:connect", 10.0)))
    text = explain_mismatch(Expectation(V.ENTITLED, 101), Judgement(V.TIMEOUT, "timed out"), obs)
    assert text.splitlines()[0].startswith("inconclusive: expected entitled")
    assert "timeout (no status) (error timeout:connect; after 2 tries)" in text
    assert "request id: (none returned)" in text

"""Who answered: Deepgram, or something between the client and Deepgram (issue 11.2).

Every payload is a real shape with its source in realworld_payloads.py (nginx source, squid captures,
Cloudflare and AWS docs, RFC 8952 for captive portals). The rule under test is general: evidence
classes (proxy credential demand, redirect elsewhere, HTML where Deepgram sends JSON/audio, a bare
gateway {"message"}, CDN headers, a bare policy close), never the particular texts.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from realworld_payloads import DEEPGRAM_ANSWERS, MIDDLEBOX_ANSWERS, RealAnswer, request_headers

from dg_entitlements.diagnosis import DiagnosisContext, diagnose
from dg_entitlements.model import (
    AccountInfo,
    Cell,
    Combo,
    Expectation,
    Family,
    Frame,
    Observation,
    Outcome,
    RequestSummary,
    Surface,
    Verdict,
)
from dg_entitlements.offline import SeenAnswer, diagnose_answer
from dg_entitlements.secrets import scrub
from dg_entitlements.verdicts import judge, who_answered

REST = Surface("listen-v1-rest", "http", "POST", "/v1/listen", body="audio", family=Family.STT,
               title="POST /v1/listen")
WS = Surface("listen-v1-ws", "ws", "GET", "/v1/listen", family=Family.STT, success_status=101,
             title="wss /v1/listen")


def obs(status: int | None, body: object = None, headers: dict[str, str] | None = None,
        frames: tuple[Frame, ...] = (), close_code: int | None = None, close_reason: str | None = None) -> Observation:
    request = RequestSummary("POST", "https://api.deepgram.com/v1/listen?model=nova-3", "Token")
    return Observation(status=status, body=body, headers=headers or {}, request=request, frames=frames,
                       close_code=close_code, close_reason=close_reason)


@pytest.mark.parametrize("real", MIDDLEBOX_ANSWERS, ids=lambda r: r.name)
def test_middlebox_answers_are_not_deepgram(real: RealAnswer) -> None:
    judgement, diagnosis = diagnose_answer(real.url, real.answer, headers=request_headers(real))
    assert judgement.verdict is Verdict.UNRECOGNISED and judgement.verdict.is_inconclusive
    assert judgement.answered_by_deepgram is False
    assert diagnosis.cause == "not_deepgram" and diagnosis.is_entitlement is False and diagnosis.ticket is None
    assert diagnosis.title == "Something between you and Deepgram answered (a proxy, WAF or portal)"
    assert "HTTPS_PROXY" in diagnosis.remedy and "host" in diagnosis.remedy
    assert scrub(diagnosis.remedy) == diagnosis.remedy


@pytest.mark.parametrize("real", [r for r in DEEPGRAM_ANSWERS if r.answer.body or r.answer.headers],
                         ids=lambda r: r.name)
def test_deepgram_words_are_deepgrams(real: RealAnswer) -> None:
    judgement, diagnosis = diagnose_answer(real.url, real.answer, headers=request_headers(real))
    assert judgement.answered_by_deepgram is True and diagnosis.cause != "not_deepgram"


def test_a_200_html_page_on_a_json_endpoint_is_not_an_allow() -> None:
    """A captive portal's 200 must never read as 'entitled'."""
    page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Wi-Fi</body></html>"
    judgement = judge(obs(200, page, {"content-type": "text/html"}), Combo("c", REST, "nova-3"))
    assert judgement.verdict is Verdict.UNRECOGNISED and judgement.cause_hint == "not_deepgram"


def test_a_200_json_transcript_is_still_an_allow() -> None:
    body = {"metadata": {"request_id": "r", "duration": 1.2}, "results": {"channels": []}}
    judgement = judge(obs(200, body, {"content-type": "application/json"}), Combo("c", REST, "nova-3"))
    assert judgement.verdict is Verdict.ENTITLED and judgement.answered_by_deepgram is True


def test_deepgram_marks_outweigh_an_html_content_type() -> None:
    """dg-request-id is Deepgram's mark on every answer: with it, a 403 is read for its words."""
    body = {"err_code": "INSUFFICIENT_PERMISSIONS",
            "err_msg": "Project does not have access to the requested model."}
    judgement = judge(obs(403, body, {"dg-request-id": "r", "via": "1.1 corp-proxy"}), Combo("c", REST, "nova-3"))
    assert judgement.verdict is Verdict.NOT_ENTITLED and judgement.answered_by_deepgram is True


def test_a_proxy_credential_demand_outweighs_everything() -> None:
    judgement = judge(obs(407, {"err_code": "x"}, {"proxy-authenticate": "Negotiate"}), Combo("c", REST, "nova-3"))
    assert judgement.cause_hint == "not_deepgram"


def test_an_answer_from_another_host_is_not_deepgram() -> None:
    observation = replace(obs(403, "denied"), answered_by="10.0.0.1:3128")
    assert who_answered(observation, Combo("c", REST, "nova-3")).deepgram is False


def test_a_redirect_within_deepgram_is_not_a_middlebox() -> None:
    observation = obs(301, None, {"location": "https://api.eu.deepgram.com/v1/listen"})
    assert who_answered(observation, Combo("c", REST, "nova-3")).deepgram is None


def test_a_bare_policy_close_is_not_read_as_deepgrams_words() -> None:
    observation = obs(101, close_code=1008, close_reason="")
    judgement = judge(observation, Combo("c", WS, "nova-3"))
    assert judgement.cause_hint == "not_deepgram" and judgement.verdict is Verdict.UNRECOGNISED


def test_a_deepgram_close_with_messages_is_deepgrams() -> None:
    frames = (Frame("text", 0.0, {"type": "Metadata", "request_id": "r", "duration": 1.0}),)
    observation = obs(101, frames=frames, close_code=1008, close_reason="DATA-0000")
    assert who_answered(observation, Combo("c", WS, "nova-3")).deepgram is True


def test_a_bare_status_says_nothing_about_who() -> None:
    assert who_answered(obs(403), Combo("c", REST, "nova-3")).deepgram is None


def test_not_deepgram_never_gets_a_ticket_even_as_an_unexpected_deny() -> None:
    combo = Combo("c", REST, "nova-3")
    observation = obs(403, "<html><body>blocked</body></html>", {"content-type": "text/html"})
    judgement = judge(observation, combo)
    cell = Cell("a", "c", "listen-v1-rest", "nova-3", "nova-3", Expectation(Verdict.ENTITLED),
                Outcome.UNEXPECTED_DENY, judgement, observation)
    ctx = DiagnosisContext(AccountInfo("a", None, None, "https://api.deepgram.com", "none"), None, None)
    diagnosis = diagnose(cell, combo, ctx)
    assert diagnosis is not None and diagnosis.cause == "not_deepgram" and diagnosis.ticket is None


def test_seen_answer_defaults_are_empty() -> None:
    assert SeenAnswer().status is None and SeenAnswer().frames == ()

"""The pure parts of the probe runner: requests, targets, retry policy, budgets, bodies."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dg_entitlements.budget import Budget, parse_budget
from dg_entitlements.catalogue import load_catalogue
from dg_entitlements.errors import ConfigError
from dg_entitlements.model import Cost
from dg_entitlements.probe.answers import allowed_headers, parse_body
from dg_entitlements.probe.audio import probe_wav, wav_seconds
from dg_entitlements.probe.request import MissingPrerequisite, build_request
from dg_entitlements.probe.retry import RetryPolicy, backoff_delay, is_transient, parse_retry_after
from dg_entitlements.probe.target import LIVE_TARGET, Target, target_from_base_url

ROOT = Path(__file__).resolve().parents[2]
COMBOS = load_catalogue(ROOT / "src/dg_entitlements/data/catalogue.toml").by_id()
LOCAL = Target("http://127.0.0.1:9", "ws://127.0.0.1:9", "ws://127.0.0.1:9")


def test_requests_per_surface() -> None:
    req = build_request(COMBOS["listen-v1-rest::nova-3"], LIVE_TARGET)
    assert req.url == "https://api.deepgram.com/v1/listen?model=nova-3"
    assert req.content_type == "application/octet-stream" and req.cost.audio_seconds == 1.0
    ws = build_request(COMBOS["listen-v2-ws::flux-general-en"], LIVE_TARGET)
    assert ws.url == "wss://api.deepgram.com/v2/listen?model=flux-general-en&encoding=linear16&sample_rate=16000"
    assert ws.close_message == {"type": "CloseStream"} and ws.cost == Cost(requests=1)
    agent = build_request(COMBOS["agent-v1-ws::converse"], LIVE_TARGET)
    assert agent.url == "wss://agent.deepgram.com/v1/agent/converse"
    speak = build_request(COMBOS["speak-v1-rest::aura-2-thalia-en"], LIVE_TARGET)
    assert speak.body == b'{"text":"Hi."}' and speak.cost.characters == 3
    assert not build_request(COMBOS["models-v1::list"], LIVE_TARGET).auth


def test_project_paths_need_a_project_id() -> None:
    with pytest.raises(MissingPrerequisite):
        build_request(COMBOS["project-keys-v1::list"], LOCAL)
    req = build_request(COMBOS["project-keys-v1::list"], LOCAL, project_id="p-1")
    assert req.url == "http://127.0.0.1:9/v1/projects/p-1/keys"


def test_base_url_forms() -> None:
    eu = target_from_base_url("https://api.eu.deepgram.com/")
    assert (eu.rest, eu.ws, eu.agent) == ("https://api.eu.deepgram.com", "wss://api.eu.deepgram.com",
                                          "wss://api.eu.deepgram.com")
    assert target_from_base_url("ws://localhost:8080").rest == "http://localhost:8080"
    assert target_from_base_url("http://127.0.0.1:5").is_loopback and not eu.is_loopback
    for bad in ["api.deepgram.com", "https://api.deepgram.com/?token=abc", "https://h/v1"]:
        with pytest.raises(ConfigError):
            target_from_base_url(bad)


def test_transient_statuses_only() -> None:
    for status in (429, 500, 502, 503, 504):
        assert is_transient(status, None)
    for status in (200, 101, 400, 401, 402, 403, 404, 405):
        assert not is_transient(status, None)
    assert is_transient(None, "refused") and is_transient(None, "timeout:read")


def test_backoff_honours_retry_after_and_grows() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=8.0)
    rng = random.Random(1)
    assert backoff_delay(1, 2.5, policy, rng) == 2.5
    assert backoff_delay(1, 60.0, policy, rng) == 8.0
    firsts = [backoff_delay(1, None, policy, rng) for _ in range(50)]
    thirds = [backoff_delay(3, None, policy, rng) for _ in range(50)]
    assert all(0.5 <= d <= 1.0 for d in firsts) and all(2.0 <= d <= 4.0 for d in thirds)


def test_retry_after_forms() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now_epoch=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_budget_parsing_and_fitting() -> None:
    budget = parse_budget("requests=3,audio=1.5s,chars=5")
    assert budget == Budget(requests=3, audio_seconds=1.5, characters=5)
    spent = Cost()
    fits = []
    for cost in [Cost(1, 1.0, 0), Cost(1, 1.0, 0), Cost(1, 0.0, 3), Cost(1, 0.0, 3), Cost(1, 0.0, 0)]:
        fits.append(budget.allows(spent, cost))
        spent = spent + cost if fits[-1] else spent
    assert fits == [True, False, True, False, True]
    for bad in ["gold=3", "requests", "audio=abc", "chars=-1"]:
        with pytest.raises(ConfigError):
            parse_budget(bad)


def test_bodies_are_bounded_and_secrets_removed() -> None:
    body, kind = parse_body(b'{"access_token":"abc.def.ghi","expires_in":30}', "application/json")
    assert kind == "json" and body == {"access_token": "[redacted]", "expires_in": 30}
    assert parse_body(b"Invalid credentials.", "text/plain") == ("Invalid credentials.", "text")
    assert parse_body(b"RIFF\x00\x01", "audio/wav") == (None, "binary")
    assert parse_body(b"x" * 10000, "text/plain")[0] == "x" * 4000
    assert parse_body(b"", None) == (None, "empty")
    headers = allowed_headers([("DG-Request-Id", "r1"), ("Set-Cookie", "s"), ("dg-error", "e")])
    assert headers == {"dg-request-id": "r1", "dg-error": "e"}


def test_probe_audio_is_one_second_of_wav() -> None:
    assert wav_seconds(probe_wav()) == 1.0 and wav_seconds(b"not wav") == 0.0


# --- issue 11: bad input is one ConfigError; headers that tell who answered; scrub before cut ---------

@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://127.0.0.1:abc", "http://[::1", "http://127.0.0.1:0",
                                 "http://user:pw@127.0.0.1", "http://127.0.0.1 :80", "http://\u200b127.0.0.1"])
def test_bad_base_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        target_from_base_url(url)


def test_a_base_url_error_never_echoes_the_value() -> None:
    key = "0123456789abcdef" * 2 + "01234567"  # built at run time
    for url in (f"https://api.deepgram.com/{key}", f"https://{key}:x@api.deepgram.com", f"ftp://{key}"):
        with pytest.raises(ConfigError) as err:
            target_from_base_url(url)
        assert key not in str(err.value) and key[:10] not in str(err.value)


@pytest.mark.parametrize("text", ["requests=1e309", "audio=inf", "chars=nan", "requests=-inf", "audio=1e13"])
def test_budget_numbers_out_of_range_are_config_errors(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_budget(text)


def test_middlebox_headers_are_kept_bounded_and_scrubbed_first() -> None:
    from dg_entitlements.secrets import register_secret

    secret = "dgfake-header-canary-31"
    register_secret(secret)
    kept = allowed_headers([("Location", "http://127.0.0.1:9/x"), ("Server", "cloudflare"), ("Via", "1.1 squid"),
                            ("Proxy-Authenticate", "Basic"), ("WWW-Authenticate", "x" * 480 + secret),
                            ("X-Cache", "MISS"), ("CF-Ray", "8f1a"), ("x-amzn-RequestId", "r"), ("Set-Cookie", "s")])
    assert set(kept) == {"location", "server", "via", "proxy-authenticate", "www-authenticate", "x-cache", "cf-ray",
                         "x-amzn-requestid"}
    assert secret[:10] not in kept["www-authenticate"] and len(kept["www-authenticate"]) <= 500


def test_text_body_is_scrubbed_before_it_is_cut() -> None:
    from dg_entitlements.secrets import register_secret

    secret = "dgfake-body-canary-4242"
    register_secret(secret)
    body, kind = parse_body(("x" * 3990 + secret).encode(), "text/plain")
    assert kind == "text" and secret[:8] not in body


def test_oversized_and_redirect_errors_are_not_retried() -> None:
    assert not is_transient(200, "oversized:body") and not is_transient(302, "redirect")
    assert is_transient(None, "timeout:read")

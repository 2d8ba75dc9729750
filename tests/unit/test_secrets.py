"""Keys cannot print themselves and the scrubber catches them by value and by shape."""

from __future__ import annotations

import base64
import json

from dg_entitlements.secrets import ApiKey, Scrubber, fingerprint, looks_like_real_key


def real_shaped() -> str:
    return "0123456789abcdef" * 2 + "01234567"  # built at run time: 40 hex characters


def jwt_shaped() -> str:
    def part(obj: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return part({"alg": "HS256", "typ": "JWT"}) + "." + part({"sub": "canary-subject"}) + ".c2lnbmF0dXJlLWNhbmFyeQ"


def test_key_repr_and_str_are_fingerprints() -> None:
    key = ApiKey("dgfake-canary-1234", "env:X")
    assert "dgfake-canary-1234" not in repr(key) and "dgfake-canary-1234" not in str(key)
    assert str(key) == fingerprint("dgfake-canary-1234") and key.reveal() == "dgfake-canary-1234"
    assert f"{key}" == key.fingerprint


def test_scrubber_by_value_and_shape() -> None:
    s = Scrubber(["dgfake-canary-1234"])
    text = (f"a dgfake-canary-1234 b {real_shaped()} c {jwt_shaped()} d Authorization: Token abcdefgh "
            "e sec-websocket-protocol: token, zyxwvuts f ?access_token=qwerty&x=1")
    out = s.scrub(text)
    for secret in ["dgfake-canary-1234", real_shaped(), jwt_shaped(), "abcdefgh", "zyxwvuts", "qwerty"]:
        assert secret not in out, secret
    assert "x=1" in out and out.startswith("a [redacted key#")


def test_scrubber_leaves_prose_alone() -> None:
    text = "the token expired; use a Token scheme; 2026-11-24 request 01a0accc-307e-7171-b0e9-5eb486f4e252"
    assert Scrubber().scrub(text) == text


def test_real_key_shape() -> None:
    assert looks_like_real_key(real_shaped())
    assert not looks_like_real_key("dgfake-payg-full-k1")

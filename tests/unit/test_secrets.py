"""Keys cannot print themselves and the scrubber catches them by value and by shape."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from urllib.parse import quote, quote_plus

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dg_entitlements.secrets import (
    FRESH_MAX,
    WINDOW_MARGIN_CHARS,
    ApiKey,
    Scrubber,
    fingerprint,
    looks_like_real_key,
    trie_pattern,
)


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


# --- issue 11 item 3: every encoding, scrub before cut, the tool's own advice left alone -------------

def _forms(secret: str) -> dict[str, str]:
    import urllib.parse

    raw = secret.encode()
    return {"plain": secret, "upper": secret.upper(), "url": urllib.parse.quote(secret, safe=""),
            "hex": raw.hex(), "HEX": raw.hex().upper(),
            "b64@0": base64.b64encode(raw).decode(), "b64@1": base64.b64encode(b"x" + raw).decode(),
            "b64@2": base64.b64encode(b"xy" + raw).decode(),
            "b64url@1": base64.urlsafe_b64encode(b"x" + raw).decode().rstrip("=")}


def test_known_secret_is_caught_in_every_encoding() -> None:
    for secret in (real_shaped(), jwt_shaped()):
        scrubber = Scrubber([secret])
        for name, form in _forms(secret).items():
            out = scrubber.scrub(f"before {form} after")
            assert form not in out and secret not in out, (name, out)
            assert "[redacted key#" in out, name


def test_binary_body_is_scrubbed_as_bytes() -> None:
    secret = "dgfake-binary-canary-77"
    body = b"\xff\xfe\x80" + secret.encode() + b"\x00\x9f" + secret.upper().encode()
    out = Scrubber([secret]).scrub_bytes(body)
    assert secret.encode() not in out and secret.upper().encode() not in out
    assert out.startswith(b"\xff\xfe\x80")  # the rest of the bytes survive unchanged


def test_scrub_then_cut_never_leaves_a_prefix() -> None:
    secret = real_shaped()
    text = "x" * 30 + secret + "y" * 10
    for limit in range(31, 70):
        assert secret[:10] not in Scrubber([secret]).scrub_bounded(text, limit)


def test_advice_and_placeholders_are_left_alone() -> None:
    advice = ("send Authorization: Token <your key>; or ?api_key=<key> (never in a URL); "
              "Sec-WebSocket-Protocol: token, <key>")
    scrubber = Scrubber(["<your key>", "<key>", "[redacted key#12345678]"])
    assert scrubber.scrub(advice) == advice


def test_key_in_a_query_named_authorization_is_caught() -> None:
    out = Scrubber().scrub("GET /v1/listen?model=nova-3&authorization=Token%20dgfake-query-canary-1")
    assert "dgfake-query-canary-1" not in out and "model=nova-3" in out


def test_pasted_real_key_is_recognised_however_it_was_pasted() -> None:
    key = real_shaped()
    for pasted in (f" {key}", f"{key}\n", key.upper(), f"Token {key}", f"\ufeff{key}", f"Bearer {jwt_shaped()}"):
        assert looks_like_real_key(pasted), repr(pasted[:8])


_WORD = st.text(alphabet="abcAB%-_+/9", min_size=1, max_size=8)


@given(words=st.lists(_WORD, min_size=1, max_size=12, unique=True), text=st.text(alphabet="abcAB%-_+/9 x", max_size=60))
@example(words=["a", "ab"], text="ab").via("a word that is the prefix of another")
@example(words=["a", "abc", "abd"], text="abd").via("a word that is the prefix of a branch")
def test_the_trie_finds_what_a_flat_longest_first_alternation_finds(words: list[str], text: str) -> None:
    """The trie is an optimisation only: same matches, same spans, as `longest|...|shortest`."""
    flat = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    trie = re.compile(trie_pattern(words))
    assert [m.span() for m in trie.finditer(text)] == [m.span() for m in flat.finditer(text)]


def test_many_keys_are_each_still_caught_in_every_encoding() -> None:
    keys = [f"dgfake-acct{i:03d}-k1" for i in range(200)]
    s = Scrubber(keys)
    for key in (keys[0], keys[117], keys[-1]):
        for form in (key, key.upper(), base64.b64encode(key.encode()).decode(), key.encode().hex()):
            assert key not in s.scrub(f"[{form}]").lower() and form not in s.scrub(f"[{form}]"), form


@pytest.mark.parametrize("count", [1, FRESH_MAX - 1, FRESH_MAX, FRESH_MAX + 1, 5 * FRESH_MAX + 3])
def test_fresh_and_compiled_secrets_are_caught_alike(count: int) -> None:
    """Below FRESH_MAX secrets are found by substring search, from it on by compiled levels: every
    secret, in every form, any letter case, is caught on both sides of the switch."""
    # unlike each other, so no secret's base64 core is part of another's and each keeps its own marker
    secrets = [f"dgfake-{hashlib.sha256(str(i).encode()).hexdigest()[:16]}{'q' * (i % 5)}" for i in range(count)]
    s = Scrubber(secrets)
    for secret in (secrets[0], secrets[count // 2], secrets[-1]):
        for name, form in _forms(secret).items():
            out = s.scrub(f"<{form}>")
            assert form not in out and secret not in out.lower(), (count, name, out)
            assert f"[redacted {fingerprint(secret)}]" in out, (count, name, out)


def test_a_form_that_contains_another_is_replaced_whole() -> None:
    """The URL-encoded form of a key holds the key's own characters: it is replaced in one piece."""
    secret = "dgfake key/with+odd=chars"
    out = Scrubber([secret]).scrub(f"a={quote(secret, safe='')}&b={quote_plus(secret)}")
    assert out == f"a=[redacted {fingerprint(secret)}]&b=[redacted {fingerprint(secret)}]"


def test_cutting_a_long_text_scrubs_what_it_keeps() -> None:
    """scrub_bounded scrubs only the kept part and a margin: a secret or a JWT that starts in the kept part
    is replaced (nothing of it is kept), however long the text behind it is; so is a query value."""
    key, jwt = real_shaped(), jwt_shaped()
    s = Scrubber([key])
    tail = "z" * (5 * WINDOW_MARGIN_CHARS)
    for limit in (100, 2000):
        for pad in range(limit - 45, limit):
            for secret in (key, key.upper(), jwt):
                kept = s.scrub_bounded("x" * pad + secret + tail, limit)
                assert len(kept) <= limit and kept[:pad] == "x" * pad, (limit, pad)
                assert kept[pad:] != secret[:limit - pad] and kept[pad] == "[", (limit, pad, kept[pad:])
        query = s.scrub_bounded("x" * (limit - 20) + f"?api_key=dgfake-{'w' * 30}" + tail, limit)
        assert query.endswith("?api_key=[redacted]"[:20]) and "dgfake" not in query, query[-20:]
    long_jwt = jwt.replace(".", "." + "A" * (2 * WINDOW_MARGIN_CHARS), 1)
    assert "eyJ" not in s.scrub_bounded("x" * 50 + long_jwt + tail, 2000)


def test_a_fresh_secret_with_letters_that_fold_differently_is_caught() -> None:
    """Until FRESH_MAX secrets arrive they are found by substring search: in any letter case, as a compiled
    level would find them (a pasted credential need not be ASCII)."""
    secret = "Stra\u00dfe-geheim-1"
    for text in (f"x {secret} y", f"x {secret.upper()} y", f"x {secret.lower()} y"):
        assert "geheim" not in Scrubber([secret]).scrub(text), text


def test_a_key_in_an_sdk_error_that_prints_the_request_headers_is_caught() -> None:
    """deepgram-python-sdk v5+ ApiError prints the request's headers, `Authorization: Token <key>` included
    (listen/v1/raw_client.py passes headers=dict(headers)): a user pastes that text into explain --offline."""
    for key in (real_shaped(), "dgfake-unshaped-secret-7"):
        text = (f"ApiError: headers: {{'host': 'api.deepgram.com', 'authorization': 'Token {key}'}}, "
                "status_code: 401, body: {'category': 'INVALID_AUTH', 'message': 'Invalid credentials.'}")
        out = Scrubber().scrub(text)
        assert key not in out and "'authorization': 'Token [redacted" in out, out

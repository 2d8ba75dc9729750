"""Issue 6 item 5 (property): the TOML loaders turn any input into a result or one ConfigError.

Why: a user's typo must never surface as a traceback. Hypothesis writes TOML-ish files from the
loaders' own vocabulary (tables, known keys, values of every TOML type, plus junk lines), starting
from a valid file half the time so the deep checks are reached, and the loaders must either load it
or raise ConfigError; any other exception is a bug.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dg_entitlements.accounts import ACCOUNT_KEYS, Accounts, load_accounts
from dg_entitlements.catalogue import COMBO_KEYS, SURFACE_KEYS, Catalogue, load_catalogue
from dg_entitlements.errors import ConfigError
from dg_entitlements.fake.config import ACCOUNT_FIELDS, FakeConfig, load_fake_config

PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

VALID_CATALOGUE = """schema = 1
[surfaces.s1]
transport = "http"
family = "stt"
method = "POST"
path = "/v1/listen"
body = "audio"
[[combos]]
surface = "s1"
models = ["nova-3", "nova-2"]
"""
VALID_ACCOUNTS = """[accounts.a]
key = "dgfake-a-k1"
default = "entitled"
[accounts.a.expect]
"s1::nova-3" = { status = 403, verdict = "not_entitled" }
"""
VALID_FAKE = """schema = 1
[accounts.a]
key = "dgfake-a-k1"
project_id = "7d1c0a52-fa4e-4c3b-9e51-000000000001"
[accounts.a.faults]
latency_ms = 0
"""

HEADERS = st.sampled_from([
    "[surfaces.s1]", "[surfaces.s2]", "[[combos]]", "[accounts.a]", "[accounts.a.expect]", "[accounts.a.faults]",
    "[accounts.b-c]", "[controls]", "[controls.known_good]", "[server]", "[fidelity]", "[combos]", "[[surfaces]]",
    "[accounts]", "[x.y.z]",
])
KEYS = st.sampled_from(sorted(SURFACE_KEYS | COMBO_KEYS | ACCOUNT_KEYS | ACCOUNT_FIELDS | {
    "schema", "status", "verdict", '"s1::*"', '"s1::nova-3"', "s1", "bogus_model", "latency_ms", "error_rate_5xx",
    "never_answer", "rate_limit", "retry_after_s", "region", "idle_timeout_s", "1", '""'}))
STRINGS = st.sampled_from(["http", "ws", "GET", "/v1/listen", "v1/listen", "s1", "s2", "nova-3", "entitled",
                           "not_entitled", "nope", "audio", "json", "none", "api", "agent", "", "*", "[", "é",
                           "dgfake-a-k1", "0123456789abcdef" * 2 + "01234567", "7d1c0a52-fa4e"])
SCALARS = st.one_of(
    STRINGS.map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'),
    st.integers(-(2**70), 2**70).map(str), st.sampled_from(["0", "101", "403", "600", "-1", "1e400", "nan", "inf"]),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace("inf", "inf").lower()),
    st.sampled_from(["true", "false", "1979-05-27", "1979-05-27T07:32:00Z", "07:32:00"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(KEYS, inner), max_size=3).map(
            lambda kv: "{ " + ", ".join(f"{k} = {v}" for k, v in kv) + " }"),
    ),
    max_leaves=6,
)
LINES = st.one_of(HEADERS, st.tuples(KEYS, VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"), st.text(max_size=20))


@st.composite
def docs(draw: st.DrawFn) -> str:
    """A valid file (or nothing) with generated lines inserted anywhere, so junk lands inside tables."""
    lines = draw(st.sampled_from(["", VALID_CATALOGUE, VALID_ACCOUNTS, VALID_FAKE])).splitlines()
    drop: bool = draw(st.booleans())
    if lines and drop:
        del lines[draw(st.integers(0, len(lines) - 1))]
    for line in draw(st.lists(LINES, max_size=8)):
        lines.insert(draw(st.integers(0, len(lines))), line)
    return "\n".join(lines)


def _load_all(text: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input.toml"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        for loader, kind in ((load_catalogue, Catalogue), (load_accounts, Accounts), (load_fake_config, FakeConfig)):
            try:
                loaded = loader(path)
            except ConfigError as exc:
                assert "\n" not in str(exc)  # one line, always
                continue
            assert isinstance(loaded, kind)


@PROPS
@given(docs())
@example(VALID_CATALOGUE.replace("[[combos]]", 'success_status = "abc"\n[[combos]]'))
@example(VALID_CATALOGUE.replace("[[combos]]", "success_status = [1]\n[[combos]]"))
@example(VALID_CATALOGUE + "variant = 3\n")
def test_loaders_give_a_result_or_one_config_error(text: str) -> None:
    _load_all(text)


@PROPS
@given(st.binary(max_size=200))
def test_loaders_survive_arbitrary_bytes(data: bytes) -> None:
    _load_all(data)

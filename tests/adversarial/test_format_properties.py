"""Issue 11 item 6 (property): every file format and string this tool reads from a user is either
accepted or refused with one ConfigError, whatever it holds; never another exception.

Formats: HTTP cassettes (http.yaml), WebSocket cassettes (ws.json), cassette metadata (meta.json),
--dg-budget strings, base URLs, key files and keys from the environment. Hypothesis starts from a
valid document half the time and puts arbitrary values (any JSON/YAML type, odd text) at known keys,
so the deep checks are reached, not only the parser.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dg_entitlements.accounts import Account, resolve_key
from dg_entitlements.budget import parse_budget
from dg_entitlements.cassette.http import read_http_cassette
from dg_entitlements.cassette.record import read_meta
from dg_entitlements.cassette.ws import load_ws
from dg_entitlements.errors import ConfigError
from dg_entitlements.probe.target import target_from_base_url
from dg_entitlements.secrets import global_scrubber

PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ODD_TEXT = st.one_of(st.text(max_size=40), st.sampled_from(
    ["", "abc", "1e309", "nan", "-1", "99999", "\ufeff", "\u200b", "\x00", "2026-01-01T00:00:00Z", "Z", "ws://x",
     "http://127.0.0.1:99999", "http://[::1", "requests=1e309", "a" * 300]))
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), ODD_TEXT)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(ODD_TEXT, inner, max_size=3)), max_leaves=8)


@pytest.fixture(autouse=True)
def _forget_generated_secrets() -> Iterator[None]:
    """Keys read here are random text ("000000", "aaaaaa"...) and the scrubber is process-wide: left
    registered, they would redact request ids in every later test of the session."""
    scrubber = global_scrubber()
    saved = {**vars(scrubber), "_secrets": dict(scrubber._secrets)}  # its levels and fresh set are immutable
    yield
    vars(scrubber).update(saved)


def _valid_ws() -> dict[str, Any]:
    return {"schema": 1, "meta": {"recorded_at": "2026-01-01T00:00:00Z"}, "streams": [{
        "path": "/v1/listen", "query": "model=nova-3",
        "handshake": {"status": 101, "headers": {"dg-request-id": "r"}, "body": None},
        "frames": [{"kind": "text", "data": {"type": "Results"}, "at_ms": 1.0}, {"kind": "binary", "size": 3}],
        "close": {"code": 1000, "reason": "", "by": "server"}, "error": None}]}


def _valid_http() -> dict[str, Any]:
    return {"version": 1, "interactions": [{
        "request": {"body": "", "headers": {}, "method": "GET", "uri": "http://127.0.0.1:9/v1/models"},
        "response": {"body": {"string": "{}"}, "headers": {"content-type": ["application/json"]},
                     "status": {"code": 200, "message": "OK"}}}]}


WS_PATHS = [("schema",), ("meta",), ("meta", "recorded_at"), ("streams",), ("streams", 0), ("streams", 0, "path"),
            ("streams", 0, "query"), ("streams", 0, "handshake"), ("streams", 0, "handshake", "status"),
            ("streams", 0, "handshake", "headers"), ("streams", 0, "handshake", "body"), ("streams", 0, "frames"),
            ("streams", 0, "frames", 0), ("streams", 0, "frames", 1, "size"), ("streams", 0, "frames", 0, "kind"),
            ("streams", 0, "close"), ("streams", 0, "close", "code"), ("streams", 0, "close", "reason"),
            ("streams", 0, "close", "by"), ("streams", 0, "error")]
HTTP_PATHS = [("interactions",), ("interactions", 0), ("interactions", 0, "request"), ("interactions", 0, "response"),
              ("interactions", 0, "request", "uri"), ("interactions", 0, "request", "method"),
              ("interactions", 0, "request", "headers"), ("interactions", 0, "request", "body"),
              ("interactions", 0, "response", "status"), ("interactions", 0, "response", "status", "code"),
              ("interactions", 0, "response", "status", "message"), ("interactions", 0, "response", "body"),
              ("interactions", 0, "response", "body", "string"), ("interactions", 0, "response", "headers")]


def _put(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    cur = doc
    for step in path[:-1]:
        try:
            cur = cur[step]
        except (KeyError, IndexError, TypeError):
            return doc
    with contextlib.suppress(IndexError, TypeError):
        cur[path[-1]] = value
    return doc


def _only_config_errors(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except ConfigError as exc:
        assert "\n" not in str(exc)


@PROPS
@given(path=st.sampled_from(WS_PATHS), value=VALUES, whole=st.one_of(st.none(), VALUES))
@example(path=("streams", 0, "frames", 1, "size"), value="huge", whole=None)
@example(path=("meta", "recorded_at"), value="yesterday", whole=None)
def test_ws_cassettes(path: tuple[Any, ...], value: Any, whole: Any) -> None:
    doc = whole if whole is not None else _put(_valid_ws(), path, value)
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "ws.json"
        file.write_text(json.dumps(doc, allow_nan=True))
        _only_config_errors(load_ws, file)


@PROPS
@given(path=st.sampled_from(HTTP_PATHS), value=VALUES, raw=st.one_of(st.none(), st.text(max_size=200)))
@example(path=("interactions", 0, "response", "status"), value="abc", raw=None)
def test_http_cassettes(path: tuple[Any, ...], value: Any, raw: str | None) -> None:
    text = raw if raw is not None else yaml.safe_dump(_put(_valid_http(), path, value))
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "http.yaml"
        file.write_text(text, encoding="utf-8", errors="surrogatepass") if raw is None else \
            file.write_bytes(text.encode("utf-8", "surrogatepass"))
        _only_config_errors(read_http_cassette, file)


@PROPS
@given(value=VALUES, raw=st.one_of(st.none(), st.binary(max_size=64)))
@example(value="not a date", raw=None)
def test_cassette_metadata(value: Any, raw: bytes | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "a").mkdir()
        data = raw if raw is not None else json.dumps({"recorded_at": value, "host": "x"}, allow_nan=True).encode()
        (Path(tmp) / "a" / "meta.json").write_bytes(data)
        _only_config_errors(read_meta, Path(tmp), "a")


BUDGET_ITEMS = st.builds(lambda n, sep, v: f"{n}{sep}{v}", st.sampled_from(["requests", "audio", "chars", "x", ""]),
                         st.sampled_from(["=", "", "=="]), st.one_of(ODD_TEXT, st.floats().map(str)))


@PROPS
@given(items=st.lists(BUDGET_ITEMS, max_size=4), raw=st.one_of(st.none(), st.text(max_size=40)))
@example(items=[], raw="requests=1e309")  # the reproduced case: int(inf) was an OverflowError
@example(items=[], raw="chars=nan")
def test_budget_strings(items: list[str], raw: str | None) -> None:
    _only_config_errors(parse_budget, raw if raw is not None else ",".join(items))


URL_PARTS = st.tuples(st.sampled_from(["http", "https", "ws", "wss", "ftp", "", "HTTP"]),
                      st.sampled_from(["127.0.0.1", "[::1]", "[::1", "localhost", "", "a@b", "\u200bx"]),
                      st.one_of(st.just(""), st.integers(min_value=-5, max_value=10**6).map(lambda p: f":{p}"),
                                st.sampled_from([":", ":abc", ":65535"])),
                      st.sampled_from(["", "/", "/v1", "?token=x", "#f"]))


@PROPS
@given(parts=URL_PARTS, raw=st.one_of(st.none(), st.text(max_size=60)))
@example(parts=("http", "127.0.0.1", ":99999", ""), raw=None)  # the reproduced case: a ValueError
def test_base_urls(parts: tuple[str, str, str, str], raw: str | None) -> None:
    url = raw if raw is not None else f"{parts[0]}://{parts[1]}{parts[2]}{parts[3]}"
    _only_config_errors(target_from_base_url, url)


@PROPS
@example(data="\ufeffdgfake-k1\n".encode())  # the reproduced cases: a traceback on the old code
@example(data="dgfake\u200b-k1".encode())
@given(data=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_key_files_and_env_keys(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "key"
        file.write_bytes(data)
        _only_config_errors(resolve_key, Account(alias="a", key_file=str(file), source="accounts.toml"))
    text = data.decode("utf-8", "replace").replace("\x00", "")
    _only_config_errors(resolve_key, Account(alias="a", key_env="K", source="accounts.toml"), {"K": text}, False)

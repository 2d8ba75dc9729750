"""vcrpy for HTTP: one YAML cassette per account (`<cassettes>/<alias>/http.yaml`), matched by alias.

vcrpy patches httpx globally, so one cassette context serves the whole concurrent run; a persister
of ours splits it into one file per account on save and merges the files on load. The account of a
request comes from the probe task's context (so even a keyless GET /v1/models is filed under its
account), else from the credential through the alias map.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from vcr import VCR
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from ..errors import ConfigError
from ..fsutil import atomic_write_text
from ..probe.answers import HEADER_ALLOW, SECRET_FIELDS
from ..probe.runner import CURRENT_ACCOUNT
from ..secrets import scrub, scrub_bytes
from .aliases import ALIAS_PREFIX, AliasMap, alias_project_ids

HTTP_FILE = "http.yaml"


def request_key(method: str, uri: str) -> tuple[str, str, str]:
    parts = urlsplit(uri)
    return (method.upper(), parts.path, parts.query)


def _alias_of(request: Any) -> str:
    value = request.headers.get("authorization") or request.headers.get("Authorization") or ""
    return value[len(ALIAS_PREFIX):] if value.startswith(ALIAS_PREFIX) else "unknown"


def _redact_json_bytes(raw: bytes) -> bytes:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    from ..probe.answers import redact_secrets

    if (isinstance(data, dict) and set(k.lower() for k in data) & SECRET_FIELDS) or isinstance(data, list):
        return json.dumps(redact_secrets(data)).encode()
    return raw


class SplitPersister:
    """Save: one file per alias (merged with what the file had). Load: every alias file, merged."""

    directory: Path = Path("fixtures/cassettes")
    aliases: tuple[str, ...] = ()
    alias_projects: bool = False
    # alias -> True when this save re-recorded every answer the file held before (none left stale):
    # only then may the recording re-stamp `recorded_at` (cassette/record.py).
    refreshed: dict[str, bool] = {}  # noqa: RUF012 - class-level state, like the fields above

    @classmethod
    def load_cassette(cls, cassette_path: str, serializer: str) -> tuple[list[Any], list[Any]]:
        requests: list[Any] = []
        responses: list[Any] = []
        for alias in cls.aliases:
            path = cls.directory / alias / HTTP_FILE
            if not path.is_file():
                continue
            reqs, resps = read_http_cassette(path)
            requests.extend(reqs)
            responses.extend(resps)
        if not requests:
            raise CassetteNotFoundError()
        return requests, responses

    @classmethod
    def save_cassette(cls, cassette_path: str, cassette_dict: dict[str, Any], serializer: str) -> None:
        by_alias: dict[str, dict[tuple[str, str, str], tuple[Any, Any]]] = {}
        for req, resp in zip(cassette_dict["requests"], cassette_dict["responses"], strict=True):
            by_alias.setdefault(_alias_of(req), {})[request_key(req.method, req.uri)] = (req, resp)
        for alias, fresh in by_alias.items():
            path = cls.directory / alias / HTTP_FILE
            merged: dict[tuple[str, str, str], tuple[Any, Any]] = {}
            if path.is_file():
                for req, resp in zip(*read_http_cassette(path), strict=True):
                    merged[request_key(req.method, req.uri)] = (req, resp)
            cls.refreshed[alias] = set(merged) <= set(fresh)
            merged.update(fresh)
            items = [merged[k] for k in sorted(merged)]
            for _, resp in items:
                scrub_body(resp.get("body") if isinstance(resp, dict) else None)
            text = serialize({"requests": [r for r, _ in items], "responses": [r for _, r in items]}, yamlserializer)
            text = alias_project_ids(text, alias) if cls.alias_projects else text
            atomic_write_text(path, scrub(text))


def read_http_cassette(path: Path) -> tuple[list[Any], list[Any]]:
    """Parse one YAML cassette; a corrupt or hand-broken file is one ConfigError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
        requests, responses = deserialize(text, yamlserializer)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(str(path), "", f"corrupt HTTP cassette: {exc.__class__.__name__}: {str(exc)[:120]}",
                          "re-record it (make record) or restore it from git") from None
    for i, resp in enumerate(responses):
        problem = _response_problem(resp)
        if problem:
            raise ConfigError(str(path), f"interactions[{i}].response", f"corrupt HTTP cassette: {problem}",
                              "re-record it (make record) or restore it from git")
    return list(requests), list(responses)


def _response_problem(resp: Any) -> str | None:
    """What is wrong with one recorded response (vcrpy would fail on it mid-run), or None."""
    if not isinstance(resp, dict) or "status" not in resp or "body" not in resp:
        return "no status/body"
    status = resp["status"]
    code = status.get("code") if isinstance(status, dict) else None
    if not isinstance(code, int) or isinstance(code, bool) or not 100 <= code <= 599:
        return "status.code is not an HTTP status"
    if not isinstance(status.get("message", ""), str):
        return "status.message is not text"
    body = resp["body"]
    if not isinstance(body, dict) or not isinstance(body.get("string"), (str, bytes)):
        return "body.string is not text or bytes"
    headers = resp.get("headers", {})
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in headers.items()):
        return "headers are not name: [values]"
    return None


def scrub_body(body: Any) -> Any:
    """Scrub a recorded body in place of the raw one, text or bytes (a non-UTF-8 body would be written
    as base64 `!!binary`, where the scrubber of the written text could not see a key)."""
    if isinstance(body, dict):
        value = body.get("string")
        if isinstance(value, bytes):
            body["string"] = scrub_bytes(value)
        elif isinstance(value, str):
            body["string"] = scrub(value)
    return body


def recorded_keys(path: Path) -> set[tuple[str, str, str]]:
    if not path.is_file():
        return set()
    requests, _ = read_http_cassette(path)
    return {request_key(r.method, r.uri) for r in requests}


def make_vcr(directory: Path, aliases: Iterable[str], alias_map: AliasMap, record: bool,
             alias_projects: bool = False) -> VCR:
    """The one VCR configuration for both recording and replay, so both rewrite requests the same way."""
    SplitPersister.directory = directory
    SplitPersister.aliases = tuple(aliases)
    SplitPersister.alias_projects = alias_projects
    SplitPersister.refreshed = {}

    def before_record_request(request: VcrRequest) -> VcrRequest:
        value = request.headers.get("Authorization") or request.headers.get("authorization")
        for name in [h for h in request.headers if h.lower() in ("authorization", "user-agent")]:
            del request.headers[name]
        alias = CURRENT_ACCOUNT.get() or alias_map.alias_for_authorization(value)
        request.headers["Authorization"] = ALIAS_PREFIX + alias
        body = request.body
        if isinstance(body, bytes) and len(body) > 512 and body.lstrip()[:1] not in (b"{", b"["):
            # The probe audio is ours and the same every time: keep its size, not 32 kB of base64 per request.
            request.body = f"<{len(body)} bytes of probe audio>".encode()
        return request

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        response["headers"] = {k: v for k, v in response.get("headers", {}).items()
                               if k.lower() in HEADER_ALLOW}
        body = response.get("body", {})
        if isinstance(body, dict) and isinstance(body.get("string"), bytes):
            body["string"] = _redact_json_bytes(body["string"])
        scrub_body(body)
        return response

    def match_account(r1: VcrRequest, r2: VcrRequest) -> None:
        a1, a2 = _alias_of(r1), _alias_of(r2)
        if a1 != a2:
            raise AssertionError(f"account {a1} != {a2}")

    vcr = VCR(
        record_mode="all" if record else "none",
        before_record_request=before_record_request,
        before_record_response=before_record_response,
        match_on=MATCH_ON,
        decode_compressed_response=True,
        serializer="yaml",
    )
    vcr.register_matcher("account", match_account)
    vcr.register_persister(SplitPersister)
    return vcr


MATCH_ON: tuple[str, ...] = ("method", "path", "query", "account")

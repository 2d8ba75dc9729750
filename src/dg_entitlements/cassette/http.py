"""vcrpy for HTTP: one YAML cassette per account (`<cassettes>/<alias>/http.yaml`), matched by alias.

vcrpy patches httpx globally, so one cassette context serves the whole concurrent run; a persister
of ours, one instance per recording or replay, splits it into one file per account on save and
merges the files on load. Whether a recording covers a request is cassette/matching.py's rule.

The account of a request comes from the probe that sends it (so even a keyless GET /v1/models is
filed under its account), else from the credential through the alias map. vcrpy gives no explicit
way to carry it: its httpx stub rebuilds each request from method, URL, body and headers alone
(`vcr/stubs/httpx_stubs.py: _make_vcr_request`, vcrpy 9.4), so httpx `Request.extensions` never
reach `before_record_request`, and a header of our own would be sent on the wire. So the account
travels in a ContextVar owned here, set in the probe's own task by `ACCOUNT_OBSERVER`, which the
recording and replay contexts hand the runner with their other observers.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from vcr import VCR
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request as VcrRequest
from vcr.serialize import deserialize, serialize
from vcr.serializers import yamlserializer

from ..errors import ConfigError
from ..fsutil import atomic_write_text
from ..probe.answers import HEADER_ALLOW, SECRET_FIELDS
from ..probe.runner import ProbeJob, ProbeObserver
from ..secrets import scrub, scrub_bytes
from . import matching
from .aliases import ALIAS_PREFIX, AliasMap, alias_project_ids
from .matching import RequestKey, alias_of, request_key  # request_key: also the proxy recorder's

HTTP_FILE = "http.yaml"

# The account of the probe running in this task (see the module docstring for why not explicit).
_PROBE_ACCOUNT: ContextVar[str | None] = ContextVar("dg_probe_account", default=None)


def _note_account(job: ProbeJob) -> None:
    _PROBE_ACCOUNT.set(job.account)


ACCOUNT_OBSERVER = ProbeObserver(started=_note_account)


def _redact_json_bytes(raw: bytes) -> bytes:
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    from ..probe.answers import redact_secrets

    if (isinstance(data, dict) and set(k.lower() for k in data) & SECRET_FIELDS) or isinstance(data, list):
        return json.dumps(redact_secrets(data)).encode()
    return raw


@dataclass(frozen=True)
class SplitPersister:
    """Save: one file per alias (merged with what the file had). Load: every alias file, merged.
    One instance per recording or replay context: nothing is shared between runs."""

    directory: Path
    aliases: tuple[str, ...]
    alias_projects: bool = False
    # alias -> True when this save re-recorded every answer the file held before (none left stale):
    # only then may the recording re-stamp `recorded_at` (cassette/record.py).
    refreshed: dict[str, bool] = field(default_factory=dict)

    def load_cassette(self, cassette_path: str, serializer: str) -> tuple[list[Any], list[Any]]:
        requests: list[Any] = []
        responses: list[Any] = []
        for alias in self.aliases:
            path = self.directory / alias / HTTP_FILE
            if not path.is_file():
                continue
            reqs, resps = read_http_cassette(path)
            requests.extend(reqs)
            responses.extend(resps)
        if not requests:
            raise CassetteNotFoundError()
        return requests, responses

    def save_cassette(self, cassette_path: str, cassette_dict: dict[str, Any], serializer: str) -> None:
        by_alias: dict[str, dict[RequestKey, tuple[Any, Any]]] = {}
        for req, resp in zip(cassette_dict["requests"], cassette_dict["responses"], strict=True):
            by_alias.setdefault(alias_of(req), {})[request_key(req.method, req.uri)] = (req, resp)
        for alias, fresh in by_alias.items():
            path = self.directory / alias / HTTP_FILE
            merged: dict[RequestKey, tuple[Any, Any]] = {}
            if path.is_file():
                for req, resp in zip(*read_http_cassette(path), strict=True):
                    merged[request_key(req.method, req.uri)] = (req, resp)
            self.refreshed[alias] = set(merged) <= set(fresh)
            merged.update(fresh)
            items = [merged[k] for k in sorted(merged)]
            for _, resp in items:
                scrub_body(resp.get("body") if isinstance(resp, dict) else None)
            text = serialize({"requests": [r for r, _ in items], "responses": [r for _, r in items]}, yamlserializer)
            text = alias_project_ids(text, alias) if self.alias_projects else text
            atomic_write_text(path, scrub(text))


def read_http_cassette(path: Path) -> tuple[list[Any], list[Any]]:
    """Parse one YAML cassette; a corrupt or hand-broken file is one ConfigError naming it."""
    try:
        text = path.read_text(encoding="utf-8")
        requests, responses = deserialize(text, yamlserializer)
    # LookupError: vcrpy takes the first of each header's values, and a hand-edited file may list none.
    except (OSError, UnicodeDecodeError, yaml.YAMLError, LookupError, TypeError, ValueError, AttributeError) as exc:
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


def recorded_keys(path: Path) -> set[RequestKey]:
    if not path.is_file():
        return set()
    requests, _ = read_http_cassette(path)
    return {request_key(r.method, r.uri) for r in requests}


def make_vcr(persister: SplitPersister, alias_map: AliasMap, record: bool) -> VCR:
    """The one VCR configuration for both recording and replay, so both rewrite requests the same way."""

    def before_record_request(request: VcrRequest) -> VcrRequest:
        value = request.headers.get("Authorization") or request.headers.get("authorization")
        for name in [h for h in request.headers if h.lower() in ("authorization", "user-agent")]:
            del request.headers[name]
        alias = _PROBE_ACCOUNT.get() or alias_map.alias_for_authorization(value)
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

    vcr = VCR(
        record_mode="all" if record else "none",
        before_record_request=before_record_request,
        before_record_response=before_record_response,
        decode_compressed_response=True,
        serializer="yaml",
    )
    matching.configure(vcr)
    vcr.register_persister(persister)
    return vcr


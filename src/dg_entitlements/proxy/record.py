"""`--record DIR`: the app's real traffic as the suite's cassettes, so `--dg-mode replay` can serve it.

Same files as `make record`: `<DIR>/<alias>/http.yaml` (vcrpy's YAML format, serialised by vcrpy itself,
the request's credential replaced by `Authorization: alias:<alias>` as the suite's persister does),
`<DIR>/<alias>/ws.json` (our WebSocket format, cassette/ws.py) and `<DIR>/<alias>/meta.json`.

The alias is the one replay will look for: with `--accounts FILE` (the accounts.toml the replay run uses)
a credential that is one of its accounts' keys is filed under that account's alias, and requests without
a credential (the suite's own keyless GET /v1/models, say) under every one of them, since their answer
is the same for all; replay files a keyless request under the account it is probing. Any other
credential is filed under its fingerprint (`key-1a2b3c4d`), keyless requests without `--accounts` under
`no-key`. The alias is written inside http.yaml too (`Authorization: alias:<alias>`), which is why
renaming a folder afterwards is not enough. Everything passes the scrubber before it is written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from vcr.request import Request as VcrRequest
from vcr.serialize import serialize
from vcr.serializers import yamlserializer

from .. import __version__
from ..accounts import load_accounts, resolve_key
from ..cassette.aliases import ALIAS_PREFIX
from ..cassette.http import HTTP_FILE, request_key
from ..cassette.record import META_FILE, WS_FILE
from ..cassette.ws import WsStream, stream_from_observation, to_json
from ..fsutil import atomic_write_text
from ..secrets import scrub
from .identity import NO_KEY
from .judging import Judged

AUDIO_SUMMARY = 512  # request bodies larger than this that are not JSON are audio: keep their size only


def alias_of(account: str) -> str:
    return account.replace("#", "-")


def aliases_from_accounts(path: Path) -> dict[str, str]:
    """Fingerprint label ("key#1a2b3c4d") -> accounts.toml alias, for every account whose key is available
    here (a literal fake key, a set key_env, a key_file). The keys are registered with the scrubber."""
    out: dict[str, str] = {}
    for account in load_accounts(path).accounts:
        key = resolve_key(account, required=False)
        if key is not None:
            out[key.fingerprint] = account.alias
    return out


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def http_interaction(judged: Judged, alias: str) -> tuple[VcrRequest, dict[str, object]]:
    ex = judged.exchange
    body = ex.request_body
    if len(body) > AUDIO_SUMMARY and body.lstrip()[:1] not in (b"{", b"["):
        body = f"<{ex.request_bytes} bytes of audio>".encode()
    request = VcrRequest(ex.method, ex.url, body or None, {"Authorization": ALIAS_PREFIX + alias})
    response: dict[str, object] = {
        "status": {"code": ex.status, "message": _reason(ex.status or 0)},
        "headers": {k: [v] for k, v in ex.headers.items()},
        "body": {"string": ex.raw_body},
    }
    return request, response


class Recorder:
    """Collects exchanges per alias; `write()` (at exit, and safe to call again) saves the cassettes."""

    def __init__(self, directory: Path, host: str, aliases: dict[str, str] | None = None) -> None:
        self.directory = directory
        self.host = host
        self.aliases = dict(aliases or {})
        self.recorded_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.http: dict[str, dict[tuple[str, str, str], tuple[VcrRequest, dict[str, object]]]] = {}
        self.ws: dict[str, dict[tuple[str, str], WsStream]] = {}

    def folders_for(self, account: str) -> list[str]:
        if account == NO_KEY and self.aliases:
            return sorted(set(self.aliases.values()))
        return [self.aliases.get(account, alias_of(account))]

    def add(self, judged: Judged) -> None:
        ex = judged.exchange
        # A keyless answer fanned out to every account never replaces one recorded with that account's key.
        fanned_out = ex.account == NO_KEY and bool(self.aliases)
        for alias in self.folders_for(ex.account):
            if ex.transport == "ws":
                obs = judged.cell.observation
                if obs is not None:
                    stream = stream_from_observation(ex.path, urlsplit(ex.url).query, obs)
                    streams = self.ws.setdefault(alias, {})
                    if not (fanned_out and stream.key in streams):
                        streams[stream.key] = stream
            elif ex.status is not None:
                request, response = http_interaction(judged, alias)
                key = request_key(request.method, request.uri)
                interactions = self.http.setdefault(alias, {})
                if not (fanned_out and key in interactions):
                    interactions[key] = (request, response)

    def write(self) -> list[Path]:
        written: list[Path] = []
        for alias in sorted(set(self.http) | set(self.ws)):
            folder = self.directory / alias
            meta = {"schema": 1, "recorded_at": self.recorded_at, "host": self.host, "tool_version": __version__,
                    "account": alias, "mode": "proxy"}
            if alias in self.ws:
                written.append(atomic_write_text(folder / WS_FILE, scrub(to_json(list(self.ws[alias].values()),
                                                                                  meta))))
            if alias in self.http:
                items = [self.http[alias][k] for k in sorted(self.http[alias])]
                text = serialize({"requests": [r for r, _ in items], "responses": [r for _, r in items]},
                                 yamlserializer)
                written.append(atomic_write_text(folder / HTTP_FILE, scrub(text)))
            written.append(atomic_write_text(folder / META_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n"))
        return written

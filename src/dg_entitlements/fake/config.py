"""The fake Deepgram's configuration: which fake keys exist, what each project may use, which faults
to inject, and every choice we made where the reference is unverified (the `[fidelity]` table).

Everything is validated at load time so a typo fails with one line naming the file and key, never
as a puzzling 403 in the middle of a run.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, get_type_hints

from .. import decode
from ..catalogue import read_toml
from ..errors import ConfigError, reject_unknown

Role = Literal["owner", "admin", "member"]
ROLES: tuple[str, ...] = ("owner", "admin", "member")
HEX40 = re.compile(r"[0-9a-fA-F]{40}")
REGION = re.compile(r"[a-z]{2,12}")


@dataclass(frozen=True)
class Faults:
    """Misbehaviour injected for one account, so clients can be tested against a bad day at Deepgram."""

    latency_ms: int = 0
    error_rate_5xx: float = 0.0  # share of admitted requests answered 5xx, spread evenly (deterministic)
    status_5xx: int = 503
    reset_handshake: bool = False  # drop the TCP connection instead of answering
    never_answer: tuple[str, ...] = ()  # path globs that hang until the server stops
    slow_close_ms: int = 0  # delay before a server-initiated WebSocket close frame
    malformed_error_body: bool = False  # error bodies cut in half (invalid JSON)
    plain_text_errors: bool = False  # error bodies as text/plain err_msg
    rate_limit: bool = False  # answer every admitted request 429
    retry_after_s: float | None = None  # sent as Retry-After on every 429 of this account when set


@dataclass(frozen=True)
class FakeAccount:
    alias: str
    key: str = field(repr=False)
    project_id: str
    project_name: str
    role: Role = "owner"
    models: tuple[str, ...] = ("*",)
    denied_models: tuple[str, ...] = ()
    credits: float = 200.0
    max_concurrent_streams: int = 50
    faults: Faults = Faults()


@dataclass(frozen=True)
class Fidelity:
    """Behaviour the reference leaves unverified or disputed; docs/fidelity.md gives each knob's source."""

    scope_denied_status: int = 403
    nova_on_v2_listen_err_code: str = "V1_MODEL_ON_V2_LISTEN_ENDPOINT"
    nova_on_v2_listen_err_msg: str = "Only flux models are supported on the `/v2/listen` endpoint."
    flux_on_v1_listen_err_msg: str = (
        "Flux models are not supported on the `/v1/listen` endpoint. "
        "Please use the `/v2/listen` endpoint for conversational speech-to-text requests."
    )
    tts_not_entitled_status: int = 403
    flux_not_entitled_status: int = 403
    whisper_on_stream_status: int = 405
    flux_close_code: int = 0  # 0: a close frame with no status code, as the Flux docs say
    flux_keepalive: Literal["error", "ignore"] = "error"
    flux_bad_message_close_code: int = 1008
    # Flux with no audio for stream_idle_timeout_s: "error" sends Error INACTIVE_CLIENT then closes 1011
    # (livekit/agents #3579, maintainer); "net0001" closes 1011 NET-0001 as /v1/listen does
    flux_idle: Literal["error", "net0001"] = "error"
    flux_end_of_turn_trigger: bool = True
    keepalive_resets_idle: bool = True
    data_0000_reason: str = "Deepgram could not decode the audio data. See https://dpgr.am/data0000"
    tts_max_chars: int = 2000
    tts_flush_limit: int = 20
    tts_flush_window_s: float = 60.0
    tts_ws_char_limit: int = 100_000  # Speak characters per window on a TTS WebSocket; more: close 1008 DATA-0001
    tts_ws_char_window_s: float = 60.0
    jwt_on_manage: Literal["insufficient_permissions", "invalid_auth"] = "insufficient_permissions"
    echo_subprotocol: bool = True
    # Vocabulary (fake/vocabulary.py gives the sources; 0 turns a limit off)
    keywords_on_nova3: Literal["reject", "accept"] = "reject"
    keyterm_max_tokens: int = 500
    keyterm_max_count: int = 0
    flux_keyterm_max_chars: int = 0
    comma_joined_lists: Literal["literal", "reject"] = "literal"
    # v1 stream audio that is no known container and has no `encoding`: "silent" accepts it and
    # transcribes nothing (Metadata duration 0, channels 0); "data_0000" closes 1008 DATA-0000
    undecodable_stream_audio: Literal["silent", "data_0000"] = "silent"


@dataclass(frozen=True)
class ServerSettings:
    region: str = "global"
    idle_timeout_s: float = 10.0  # v1 listen: no audio or text for this long -> 1011 NET-0001
    latency_ms: int = 0  # added to every answer
    stream_idle_timeout_s: float = 60.0  # Flux, TTS and agent streams: close after this long without a frame
    agent_settings_timeout_s: float = 30.0
    body_timeout_s: float = 30.0  # reading a REST body
    send_timeout_s: float = 10.0  # one WebSocket send to a client that does not read

    @property
    def regional(self) -> bool:
        return self.region != "global"


@dataclass(frozen=True)
class FakeConfig:
    server: ServerSettings
    accounts: tuple[FakeAccount, ...]
    fidelity: Fidelity = Fidelity()
    source: str = "<memory>"


# ------------------------------------------------------------------------------------------ loading


# Bounds of the numeric faults; a numeric fault missing here is refused by _faults (never left unchecked).
FAULT_RANGES: dict[str, tuple[float, float]] = {
    "latency_ms": (0, 600_000), "slow_close_ms": (0, 600_000), "error_rate_5xx": (0.0, 1.0),
    "status_5xx": (500, 599), "retry_after_s": (0, 86_400),
}


def _fault_value(name: str, hint: Any, value: Any, file: str, where: str) -> Any:
    """One fault's value, checked by its declared type, so a new Faults field is parsed with no new branch."""
    if hint is bool:
        return decode.typed(value, bool, file, where, "true or false")
    if hint == tuple[str, ...]:
        globs = decode.str_list(value, file, where)
        for g in globs:
            if not g.startswith("/"):
                raise ConfigError(file, where, f"{g!r} is not a path glob", 'write it as "/v1/listen"')
        return globs
    numeric = {int: int, float: float, float | None: float}.get(hint)
    if numeric is None or name not in FAULT_RANGES:
        raise TypeError(f"Faults.{name}: no loader for {hint!r}; add it to FAULT_RANGES or _fault_value")
    lo, hi = FAULT_RANGES[name]
    number = decode.number(value, file, where, lo=lo, hi=hi, integer=numeric is int)
    return numeric(number)


def _faults(raw: Any, file: str, key: str) -> Faults:
    decode.table(raw, file, key, {f.name for f in fields(Faults)})
    hints = get_type_hints(Faults)
    return Faults(**{name: _fault_value(name, hints[name], value, file, f"{key}.{name}")
                     for name, value in raw.items()})


ACCOUNT_FIELDS = {"key", "project_id", "project_name", "role", "models", "denied_models", "credits",
                  "max_concurrent_streams", "faults", "description"}


def _account(alias: str, raw: Any, file: str) -> FakeAccount:
    key = f"accounts.{alias}"
    decode.table(raw, file, key, ACCOUNT_FIELDS)
    secret = raw.get("key")
    if not isinstance(secret, str) or len(secret) < 8 or any(c.isspace() or c == "," for c in secret):
        raise ConfigError(file, f"{key}.key", "missing or not a string of 8+ characters without spaces or commas",
                          'set key = "dgfake-<alias>-k1"')
    if HEX40.fullmatch(secret):
        raise ConfigError(file, f"{key}.key", "looks like a real Deepgram key (40 hex characters)",
                          'fake keys must never look real: use something like "dgfake-<alias>-k1"')
    project_id = raw.get("project_id")
    try:
        project_id = str(uuid.UUID(str(project_id)))
    except ValueError:
        raise ConfigError(file, f"{key}.project_id", f"{project_id!r} is not a UUID",
                          'use a UUID such as "7d1c0a52-fa4e-4c3b-9e51-000000000001"') from None
    role = decode.choice(raw.get("role", "owner"), ROLES, file, f"{key}.role", "role")
    name = decode.typed(raw.get("project_name", alias), str, file, f"{key}.project_name", "a string")
    return FakeAccount(
        alias=alias, key=secret, project_id=project_id, project_name=name, role=role,
        models=decode.str_list(raw.get("models", ["*"]), file, f"{key}.models"),
        denied_models=decode.str_list(raw.get("denied_models", []), file, f"{key}.denied_models"),
        credits=float(decode.number(raw.get("credits", 200.0), file, f"{key}.credits", lo=-1e12, hi=1e12)),
        max_concurrent_streams=decode.number(raw.get("max_concurrent_streams", 50), file,
                                             f"{key}.max_concurrent_streams", lo=1, hi=1_000_000, integer=True),
        faults=_faults(raw.get("faults", {}), file, f"{key}.faults"),
    )


def parse_fake_config(data: dict[str, Any], file: str = "<memory>") -> FakeConfig:
    """Build a FakeConfig from parsed TOML (also used by tests to build configs in memory)."""
    reject_unknown(data, {"schema", "server", "fidelity", "accounts"}, file, "")
    if data.get("schema", 1) != 1:
        raise ConfigError(file, "schema", f"unsupported schema {data.get('schema')!r}", "use schema = 1")
    server = ServerSettings(**decode.dataclass_table(ServerSettings, data.get("server", {}), file, "server"))
    if not REGION.fullmatch(server.region):
        raise ConfigError(file, "server.region", f"unknown region {server.region!r}",
                          'use "global" or a region code such as "eu", "au", "in", "us"')
    fidelity_kw = decode.dataclass_table(Fidelity, data.get("fidelity", {}), file, "fidelity")
    fidelity = Fidelity(**fidelity_kw)
    raw_accounts = data.get("accounts")
    if not isinstance(raw_accounts, dict) or not raw_accounts:
        raise ConfigError(file, "accounts", "no [accounts.<alias>] tables", "add at least one [accounts.<alias>]")
    accounts = tuple(_account(alias, raw, file) for alias, raw in raw_accounts.items())
    seen: dict[str, str] = {}
    for acc in accounts:
        if acc.key in seen:
            raise ConfigError(file, f"accounts.{acc.alias}.key", f"same key as accounts.{seen[acc.key]}",
                              "give every account its own fake key")
        seen[acc.key] = acc.alias
    return FakeConfig(server=server, accounts=accounts, fidelity=fidelity, source=file)


def load_fake_config(path: str | Path) -> FakeConfig:
    path = Path(path)
    return parse_fake_config(read_toml(path), str(path))

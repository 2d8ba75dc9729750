"""Accounts and their expectations: who we probe as, with which key, and what each should get.

An account's expectation for a combination is resolved in three layers, so a profile stays short:
1. the combination's own `expect` in the catalogue (what Deepgram does whatever the account), else
   the account's `default` (usually "entitled");
2. then every pattern of the account's `[expect]` table that matches the combination id, in file
   order, the last match winning (like .gitignore). Patterns are shell globs on "<surface>::<variant>".
A wildcard never overrides what the catalogue says Deepgram does for a combination (`"*::flux-*"`
must not turn "Flux on /v1/listen is a 400" into "not entitled"); naming the combination exactly does.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import decode
from .catalogue import Catalogue, parse_expectation, read_toml
from .errors import ConfigError, reject_unknown
from .keyfile import check_env_key, read_key_file
from .model import Combo, Expectation, Verdict
from .secrets import ApiKey, contains_secret_shape, looks_like_real_key, register_secret

MAX_ALIAS_CHARS = 64
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
ACCOUNT_KEYS = {"key", "key_env", "key_file", "base_url", "ws_base_url", "agent_base_url", "project_id",
                "default", "expect", "description", "stream_limit"}


@dataclass(frozen=True)
class Account:
    alias: str
    key_env: str | None = None
    key_file: str | None = None
    literal_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    ws_base_url: str | None = None
    agent_base_url: str | None = None
    project_id: str | None = None
    # Parsed once, at load: a bare verdict keeps status None, filled with the surface's success status
    # when a cell resolves it (the one thing that depends on the combination).
    default: Expectation = field(default_factory=lambda: Expectation(Verdict.ENTITLED))
    expect: tuple[tuple[str, Expectation], ...] = ()  # (pattern, expectation) in file order
    description: str = ""
    source: str = ""
    stream_limit: int | None = None  # the project's concurrent-stream limit (probe/limits.py); None: documented

    @property
    def key_source(self) -> str:
        if self.literal_key:
            return "literal (fake)"
        if self.key_env:
            return f"env:{self.key_env}"
        if self.key_file:
            return f"file:{self.key_file}"
        return "none"


@dataclass(frozen=True)
class Accounts:
    accounts: tuple[Account, ...]
    source: str

    def aliases(self) -> list[str]:
        return [a.alias for a in self.accounts]

    def get(self, alias: str) -> Account:
        for account in self.accounts:
            if account.alias == alias:
                return account
        raise ConfigError(self.source, f"accounts.{alias}", f"unknown account alias {alias!r}",
                          f"use one of: {', '.join(self.aliases())}")


def load_accounts(path: str | Path) -> Accounts:
    path = Path(path)
    file = str(path)
    data = read_toml(path)
    raw_accounts = data.get("accounts")
    if not isinstance(raw_accounts, dict) or not raw_accounts:
        raise ConfigError(file, "accounts", "no [accounts.<alias>] tables", "add at least one [accounts.<alias>]")
    accounts = []
    for alias, raw in raw_accounts.items():
        key = f"accounts.{alias}"
        decode.table(raw, file, key)
        if len(alias) > MAX_ALIAS_CHARS or contains_secret_shape(alias):
            raise ConfigError(file, "accounts", f"an account alias is longer than {MAX_ALIAS_CHARS} characters or "
                              "looks like a key", "use a short name such as \"payg\" (never the key itself)")
        if not alias.isascii() or not alias.replace("-", "").replace("_", "").isalnum():
            raise ConfigError(file, key, f"alias {alias!r} has characters outside letters, digits, - and _",
                              "rename the account")
        reject_unknown(raw, ACCOUNT_KEYS, file, key)
        sources = [k for k in ("key", "key_env", "key_file") if k in raw]
        if len(sources) > 1:
            raise ConfigError(file, key, f"several key sources {sources}", "keep exactly one of key_env, key_file, key")
        literal = raw.get("key")
        if literal is not None and (not isinstance(literal, str) or looks_like_real_key(literal)
                                    or contains_secret_shape(literal)):
            raise ConfigError(file, f"{key}.key", "a literal key that looks like a real Deepgram key",
                              "never write a real key in a file: use key_env = \"DEEPGRAM_API_KEY\"")
        for name in ("key_env", "key_file", "base_url", "ws_base_url", "agent_base_url", "project_id"):
            if name in raw and not isinstance(raw[name], str):
                # Never echo the value: it may be a pasted key.
                raise ConfigError(file, f"{key}.{name}", f"expected a string, got a {type(raw[name]).__name__}",
                                  f"quote the {name}")
            if name in raw and contains_secret_shape(raw[name]):
                raise ConfigError(file, f"{key}.{name}", "holds what looks like a key or a token (not shown)",
                                  f"{name} names where the key is (e.g. key_env = \"DEEPGRAM_API_KEY\"); "
                                  "never paste the key itself in a file")
        if "key_env" in raw and not ENV_NAME.fullmatch(raw["key_env"]):
            raise ConfigError(file, f"{key}.key_env", "is not an environment variable name (value not shown)",
                              'name the variable holding the key, e.g. key_env = "DEEPGRAM_API_KEY"')
        if "key_file" in raw and (len(raw["key_file"]) > 4096 or "\x00" in raw["key_file"]):
            raise ConfigError(file, f"{key}.key_file", "is not a file path (value not shown)",
                              'give the path of a file holding only the key, e.g. key_file = "~/.deepgram-key"')
        stream_limit = raw.get("stream_limit")
        if stream_limit is not None:  # the project's concurrent-stream limit (1 for a secondary self-serve project)
            decode.number(stream_limit, file, f"{key}.stream_limit", lo=1, hi=10_000, integer=True)
        expect_raw = decode.table(raw.get("expect", {}), file, f"{key}.expect",
                                  hint=f'write [accounts.{alias}.expect] then "listen-*::whisper-*" = "not_entitled"')
        # Parsed once, now: a typo fails at load time, and no cell parses again.
        default = parse_expectation(raw.get("default", "entitled"), file, f"{key}.default")
        expect = tuple((pattern, parse_expectation(value, file, f"{key}.expect.{pattern!r}"))
                       for pattern, value in expect_raw.items())
        if literal:
            register_secret(literal)
        accounts.append(Account(
            alias=alias, key_env=raw.get("key_env"), key_file=raw.get("key_file"), literal_key=literal,
            base_url=raw.get("base_url"), ws_base_url=raw.get("ws_base_url"),
            agent_base_url=raw.get("agent_base_url"), project_id=raw.get("project_id"),
            default=default, expect=expect,
            description=str(raw.get("description", "")), source=file, stream_limit=stream_limit,
        ))
    return Accounts(tuple(accounts), file)


def check_against_catalogue(accounts: Accounts, catalogue: Catalogue) -> None:
    """An expectation pattern that matches nothing is a typo, not a wish: refuse it."""
    ids = [c.id for c in catalogue.combos]
    for account in accounts.accounts:
        for pattern, _ in account.expect:
            if not fnmatch.filter(ids, pattern):
                raise ConfigError(account.source, f"accounts.{account.alias}.expect.{pattern!r}",
                                  "matches no combination in the catalogue",
                                  f"patterns match '<surface>::<variant>' ids such as {ids[0]!r}")


def is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def expectation_for(account: Account, combo: Combo) -> Expectation:
    """Resolve the layered expectation (see module docstring)."""
    result = combo.expect if combo.expect is not None else account.default
    for pattern, expectation in account.expect:
        if combo.expect is not None and is_glob(pattern):
            continue
        if fnmatch.fnmatchcase(combo.id, pattern):
            result = expectation
    if result.verdict is Verdict.ENTITLED and result.status is None:
        result = Expectation(Verdict.ENTITLED, combo.surface.success_status, result.source)
    return result


def resolve_key(account: Account, env: Mapping[str, str] | None = None, required: bool = True) -> ApiKey | None:
    """The only place a key is read. Missing keys are a configuration error, never a silent skip."""
    env = os.environ if env is None else env
    value: str | None = None
    if account.literal_key:
        value = account.literal_key
    elif account.key_env:
        value = env.get(account.key_env) or None
        if value is not None:
            value = check_env_key(value, account.key_env, account.source, f"accounts.{account.alias}.key_env")
        if value is None and required:
            raise ConfigError(account.source, f"accounts.{account.alias}.key_env",
                              f"environment variable {account.key_env} is not set",
                              f"export {account.key_env}=<your Deepgram API key> (never put it in a file in the repo)")
    elif account.key_file:
        path = Path(os.path.expanduser(account.key_file))
        value = read_key_file(path, account.source, f"accounts.{account.alias}.key_file")
    if value is None:
        if required:
            raise ConfigError(account.source, f"accounts.{account.alias}", "no key source",
                              'add key_env = "DEEPGRAM_API_KEY"')
        return None
    register_secret(value)
    return ApiKey(value, account.key_source)

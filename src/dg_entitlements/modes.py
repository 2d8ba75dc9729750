"""The three ways to answer a probe. Only targets, keys and the cassette context differ; the probe
code never asks which mode it is in.

- fake: start the embedded fake Deepgram on a free loopback port and point every account at it;
- live: real Deepgram (or any base URL: regional, dedicated, self-hosted), keys from the environment;
- replay: HTTP from vcrpy cassettes, WebSocket cassettes served back by the fake server, so the
  same client code runs.
Recording wraps a fake or live run and writes cassettes as it goes. Only the engine opens a mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from .accounts import Account, resolve_key
from .cassette.aliases import AliasMap, replay_credential
from .cassette.settings import CassetteSettings
from .config import Loaded
from .model import Combo
from .probe.runner import ProbeObserver
from .probe.target import LIVE_TARGET, Target, http_from_ws, target_from_base_url, ws_from_http
from .secrets import ApiKey


@dataclass
class ModeEnv:
    """What an open mode gives a run: where each account's probes go, the keys they send (resolved
    once, by `open_mode`), notes and cassette information for the report, and the observers the
    runner calls for every probe (the cassette layer's, when recording or replaying)."""

    targets: dict[str, Target]
    notes: list[str] = field(default_factory=list)
    cassette_info: dict[str, object] = field(default_factory=dict)
    observers: tuple[ProbeObserver, ...] = ()
    keys: dict[str, ApiKey | None] | None = None  # None in an environment made by hand: build_plan resolves


def keys_for(loaded: Loaded, aliases: Iterable[str]) -> dict[str, ApiKey | None]:
    """The keys the run's accounts send in this mode: resolved once, by `open_mode`, so the plan and
    the cassette layer's alias map use the very same ones."""
    opts = loaded.options
    keys = {alias: resolve_key(loaded.accounts.get(alias), required=opts.mode == "live") for alias in aliases}
    if opts.mode == "replay":
        # Cassettes are matched by alias; an account whose key is not at hand sends a stand-in.
        keys = {alias: key or ApiKey(replay_credential(alias), "replay") for alias, key in keys.items()}
    return keys


def cassette_settings(loaded: Loaded, keys: Mapping[str, ApiKey | None]) -> CassetteSettings:
    """The cassette layer's narrow view of the configuration, for the run's accounts and their keys
    (each key, stand-ins included, maps to its account's alias)."""
    opts = loaded.options
    return CassetteSettings(
        directory=opts.path(opts.cassettes), aliases=tuple(sorted(keys)),
        alias_map=AliasMap({key.reveal(): alias for alias, key in keys.items() if key is not None}),
        mode=opts.mode, alias_project_ids=opts.alias_project_ids, max_age_days=opts.max_cassette_age_days)


def aliases_of(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """The run's accounts, sorted, from its (account, combination) pairs."""
    return sorted({alias for alias, _ in pairs})


def _combos(loaded: Loaded, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, Combo]]:
    combos = loaded.catalogue.by_id()
    return [(alias, combos[combo_id]) for alias, combo_id in pairs]


def check_cassettes(loaded: Loaded, pairs: Sequence[tuple[str, str]]) -> None:
    """Replay's pre-flight: every cassette the pairs need is there and readable, or one ConfigError."""
    from .cassette.replay import read_cassettes

    read_cassettes(cassette_settings(loaded, keys_for(loaded, aliases_of(pairs))), _combos(loaded, pairs))


def account_target(account: Account, base: Target) -> Target:
    """An account's own base URLs over the run's: `base_url` for all three roles, then `ws_base_url`
    and `agent_base_url` for their role alone (a self-hosted STT host beside Deepgram's agent, say)."""
    target = target_from_base_url(account.base_url, f"{account.source}: accounts.{account.alias}.base_url") \
        if account.base_url else base
    if account.ws_base_url:
        ws = target_from_base_url(account.ws_base_url, f"{account.source}: accounts.{account.alias}.ws_base_url")
        target = Target(target.rest, ws_from_http(http_from_ws(ws.ws)), target.agent)
    if account.agent_base_url:
        agent = target_from_base_url(account.agent_base_url,
                                     f"{account.source}: accounts.{account.alias}.agent_base_url")
        target = Target(target.rest, target.ws, agent.ws)
    return target


@contextlib.contextmanager
def open_mode(loaded: Loaded, pairs: Sequence[tuple[str, str]]) -> Iterator[ModeEnv]:
    """Start what the mode needs (the fake server, cassette contexts) and stop it afterwards."""
    opts = loaded.options
    aliases = aliases_of(pairs)
    keys = keys_for(loaded, aliases)
    if opts.mode == "live":
        base = loaded.base_target or LIVE_TARGET
        targets = {alias: account_target(loaded.accounts.get(alias), base) for alias in aliases}
        with _recording(loaded, targets, keys) as env:
            yield env
        return
    from .fake.config import load_fake_config
    from .fake.server import FakeServer

    fake_config = load_fake_config(opts.fake_config_file)
    if opts.mode == "replay":
        from .cassette.replay import replay_context

        with replay_context(cassette_settings(loaded, keys), _combos(loaded, pairs)) as session, \
                FakeServer(fake_config, latency_ms=opts.fake_latency_ms, ws_responder=session.ws_responder) as server:
            target = Target(server.http_url, server.ws_url, server.ws_url)
            yield ModeEnv({alias: target for alias in aliases}, [f"replay from {opts.cassettes}"], session.info,
                          session.observers, keys)
        return
    with FakeServer(fake_config, latency_ms=opts.fake_latency_ms) as server:
        target = Target(server.http_url, server.ws_url, server.ws_url)
        with _recording(loaded, {alias: target for alias in aliases}, keys) as env:
            env.notes.append(f"embedded fake Deepgram on {server.http_url}")
            yield env


@contextlib.contextmanager
def _recording(loaded: Loaded, targets: dict[str, Target], keys: dict[str, ApiKey | None]) -> Iterator[ModeEnv]:
    if not loaded.options.record:
        yield ModeEnv(targets, keys=keys)
        return
    from .cassette.record import record_context

    host = next(iter(targets.values())).rest if targets else ""
    with record_context(cassette_settings(loaded, keys), host) as session:
        yield ModeEnv(targets, [f"recording cassettes to {loaded.options.cassettes}"], session.info,
                      session.observers, keys)

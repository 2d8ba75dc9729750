"""The three ways to answer a probe. Only targets and the cassette context differ; the probe code
never asks which mode it is in.

- fake: start the embedded fake Deepgram on a free loopback port and point every account at it;
- live: real Deepgram (or any base URL: regional, dedicated, self-hosted), keys from the environment;
- replay: HTTP from vcrpy cassettes, WebSocket cassettes served back by the fake server, so the
  same client code runs.
Recording wraps a fake or live run and writes cassettes as it goes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .accounts import Accounts, check_against_catalogue, load_accounts, resolve_key
from .budget import parse_budget
from .cassette.aliases import replay_credential
from .catalogue import Catalogue, load_catalogue
from .errors import ConfigError
from .options import SuiteOptions
from .pipeline import RunPlan, Selected
from .probe.runner import ProbeSettings
from .probe.target import LIVE_TARGET, Target, target_from_base_url
from .secrets import ApiKey


@dataclass(frozen=True)
class Loaded:
    """Configuration read and validated once, before anything is probed."""

    options: SuiteOptions
    catalogue: Catalogue
    accounts: Accounts


def load(options: SuiteOptions) -> Loaded:
    catalogue = load_catalogue(options.path(options.catalogue))
    accounts = load_accounts(options.accounts_file)
    check_against_catalogue(accounts, catalogue)
    parse_budget(options.budget)
    if options.base_url:
        target_from_base_url(options.base_url)
    if options.concurrency is not None and options.concurrency < 1:
        raise ConfigError("--dg-concurrency", str(options.concurrency), "must be at least 1", "use e.g. 4")
    return Loaded(options, catalogue, accounts)


def all_pairs(loaded: Loaded) -> list[tuple[str, str]]:
    return [(a.alias, c.id) for a in loaded.accounts.accounts for c in loaded.catalogue.combos]


def check_keys(loaded: Loaded) -> None:
    """Live and record-live runs need every key up front: one clear line, never a silent skip."""
    if loaded.options.mode == "live":
        for account in loaded.accounts.accounts:
            resolve_key(account)


@dataclass
class ModeEnv:
    targets: dict[str, Target]
    notes: list[str] = field(default_factory=list)
    cassette_info: dict[str, object] = field(default_factory=dict)


@contextlib.contextmanager
def open_mode(loaded: Loaded, pairs: Sequence[tuple[str, str]]) -> Iterator[ModeEnv]:
    """Start what the mode needs (the fake server, cassette contexts) and stop it afterwards."""
    opts = loaded.options
    aliases = sorted({alias for alias, _ in pairs})
    if opts.mode == "live":
        base = target_from_base_url(opts.base_url) if opts.base_url else LIVE_TARGET
        targets = {}
        for alias in aliases:
            account = loaded.accounts.get(alias)
            targets[alias] = target_from_base_url(account.base_url, f"{account.source}: base_url") \
                if account.base_url else base
        with _recording(loaded, targets) as env:
            yield env
        return
    from .fake.config import load_fake_config
    from .fake.server import FakeServer

    fake_config = load_fake_config(opts.path(opts.fake_config))
    if opts.mode == "replay":
        from .cassette.replay import replay_context

        with replay_context(loaded, pairs) as (responder, info), \
                FakeServer(fake_config, latency_ms=opts.fake_latency_ms, ws_responder=responder) as server:
            target = Target(server.http_url, server.ws_url, server.ws_url)
            yield ModeEnv({alias: target for alias in aliases}, [f"replay from {opts.cassettes}"], info)
        return
    with FakeServer(fake_config, latency_ms=opts.fake_latency_ms) as server:
        target = Target(server.http_url, server.ws_url, server.ws_url)
        with _recording(loaded, {alias: target for alias in aliases}) as env:
            env.notes.append(f"embedded fake Deepgram on {server.http_url}")
            yield env


@contextlib.contextmanager
def _recording(loaded: Loaded, targets: dict[str, Target]) -> Iterator[ModeEnv]:
    if not loaded.options.record:
        yield ModeEnv(targets)
        return
    from .cassette.record import record_context

    with record_context(loaded, targets) as info:
        yield ModeEnv(targets, [f"recording cassettes to {loaded.options.cassettes}"], info)


def build_plan(loaded: Loaded, pairs: Sequence[tuple[str, str]], env: ModeEnv) -> RunPlan:
    opts = loaded.options
    combos = loaded.catalogue.by_id()
    selected = tuple(Selected(loaded.accounts.get(alias), combos[cid]) for alias, cid in pairs)
    aliases = sorted({alias for alias, _ in pairs})
    keys = {alias: resolve_key(loaded.accounts.get(alias), required=opts.mode == "live") for alias in aliases}
    if opts.mode == "replay":
        # Cassettes are matched by alias; an account whose key is not at hand sends a stand-in.
        keys = {alias: key or ApiKey(replay_credential(alias), "replay") for alias, key in keys.items()}
    loopback = all(t.is_loopback for t in env.targets.values())
    return RunPlan(
        mode=opts.mode, catalogue=loaded.catalogue, selected=selected, targets=env.targets, keys=keys,
        settings=ProbeSettings(concurrency=opts.effective_concurrency, loopback=loopback),
        controls=opts.controls, budget=parse_budget(opts.budget), notes=tuple(env.notes),
    )

"""The three ways to answer a probe. Only targets and the cassette context differ; the probe code
never asks which mode it is in.

- fake: start the embedded fake Deepgram on a free loopback port and point every account at it;
- live: real Deepgram (or any base URL: regional, dedicated, self-hosted), keys from the environment;
- replay: HTTP from vcrpy cassettes, WebSocket cassettes served back by the fake server, so the
  same client code runs.
Recording wraps a fake or live run and writes cassettes as it goes. Only the engine opens a mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from .accounts import Account
from .config import Loaded
from .probe.target import LIVE_TARGET, Target, http_from_ws, target_from_base_url, ws_from_http


@dataclass
class ModeEnv:
    targets: dict[str, Target]
    notes: list[str] = field(default_factory=list)
    cassette_info: dict[str, object] = field(default_factory=dict)


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
    aliases = sorted({alias for alias, _ in pairs})
    if opts.mode == "live":
        base = target_from_base_url(opts.base_url) if opts.base_url else LIVE_TARGET
        targets = {alias: account_target(loaded.accounts.get(alias), base) for alias in aliases}
        with _recording(loaded, targets) as env:
            yield env
        return
    from .fake.config import load_fake_config
    from .fake.server import FakeServer

    fake_config = load_fake_config(opts.fake_config_file)
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

"""Recording wraps a fake or live run: vcrpy sees the HTTP, a probe observer sees the WebSocket."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .. import __version__
from ..accounts import resolve_key
from ..fsutil import atomic_write_text
from ..model import Observation
from ..probe.runner import PROBE_OBSERVER, ProbeJob, utc_now
from ..probe.target import Target
from ..secrets import scrub
from .aliases import PUBLIC, AliasMap, alias_project_ids
from .http import HTTP_FILE, SplitPersister, make_vcr
from .ws import WsStream, load_ws, stream_from_observation, to_json

if TYPE_CHECKING:
    from ..modes import Loaded

WS_FILE = "ws.json"
META_FILE = "meta.json"


def alias_map_for(loaded: Loaded, aliases: list[str]) -> AliasMap:
    from .aliases import replay_credential

    mapping = {}
    for alias in aliases:
        account = loaded.accounts.get(alias)
        key = resolve_key(account, required=False)
        if key is not None:
            mapping[key.reveal()] = alias
        mapping[replay_credential(alias)] = alias
    return AliasMap(mapping)


@contextlib.contextmanager
def record_context(loaded: Loaded, targets: dict[str, Target]) -> Iterator[dict[str, Any]]:
    directory = loaded.options.path(loaded.options.cassettes)
    aliases = sorted(targets)
    alias_map = alias_map_for(loaded, aliases)
    streams: dict[str, dict[tuple[str, str], WsStream]] = {}

    def observe(job: ProbeJob, observation: Observation) -> None:
        if job.request.transport != "ws":
            return
        alias = job.account or alias_map.alias_for_credential(job.key.reveal() if job.key else None) or PUBLIC
        parts = urlsplit(job.request.url)
        stream = stream_from_observation(parts.path, parts.query, observation)
        streams.setdefault(alias, {})[stream.key] = stream

    recorded_at = utc_now()
    token = PROBE_OBSERVER.set(observe)
    alias_projects = loaded.options.alias_project_ids
    vcr = make_vcr(directory, aliases, alias_map, record=True, alias_projects=alias_projects)
    completed = False
    try:
        with vcr.use_cassette(str(directory / "http")):
            yield {"recording": True, "recorded_at": recorded_at}
        completed = True
    finally:
        PROBE_OBSERVER.reset(token)
        host = next(iter(targets.values())).rest if targets else ""
        for alias in aliases:
            path = directory / alias / WS_FILE
            merged: dict[tuple[str, str], WsStream] = {}
            if path.is_file():
                merged.update(load_ws(path)[1])
            fresh = streams.get(alias, {})
            http_refreshed = SplitPersister.refreshed.get(alias, not (directory / alias / HTTP_FILE).is_file())
            whole = completed and http_refreshed and set(merged) <= set(fresh)
            meta = meta_after_recording(read_meta_or_none(directory, alias), whole, recorded_at, {
                "schema": 1, "host": host, "tool_version": __version__, "account": alias,
                "mode": loaded.options.mode})
            merged.update(fresh)
            text = to_json(list(merged.values()), meta)
            text = alias_project_ids(text, alias) if alias_projects else text
            atomic_write_text(path, scrub(text))
            atomic_write_text(directory / alias / META_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n")


def meta_after_recording(previous: dict[str, Any] | None, completed: bool, recorded_at: str,
                         fields: dict[str, Any]) -> dict[str, Any]:
    """The metadata a recording leaves. Only a recording that ran to its end AND re-recorded every
    answer the cassettes held stamps `recorded_at`: an interrupted one (Ctrl-C, a crash) or a partial one
    (a subset, older answers kept) keeps the previous stamp, so old answers are never passed off as
    fresh; with no previous metadata it is written with `partial: true`."""
    if completed:
        return {**fields, "recorded_at": recorded_at}
    if previous is not None:
        return previous
    return {**fields, "recorded_at": recorded_at, "partial": True}


def read_meta_or_none(directory: Path, alias: str) -> dict[str, Any] | None:
    """The previous metadata if it is readable; a corrupt one is replaced (this run re-records it)."""
    from ..errors import ConfigError

    try:
        return read_meta(directory, alias)
    except ConfigError:
        return None


def read_meta(directory: Path, alias: str) -> dict[str, Any] | None:
    path = directory / alias / META_FILE
    if not path.is_file():
        return None
    from ..errors import ConfigError

    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or not isinstance(meta.get("recorded_at"), str):
            raise ValueError("no recorded_at")
        parse_recorded_at(meta["recorded_at"])
        return meta
    except (OSError, ValueError, RecursionError) as exc:
        raise ConfigError(str(path), "recorded_at", f"corrupt cassette metadata: {str(exc)[:80]}",
                          "re-record it (make record) or restore it from git") from None


def parse_recorded_at(value: Any) -> datetime:
    """An ISO-8601 time, UTC when no zone is given; ValueError otherwise (callers turn it into ConfigError)."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("recorded_at is not an ISO-8601 time")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("recorded_at is not an ISO-8601 time") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)

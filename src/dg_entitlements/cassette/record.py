"""Recording wraps a fake or live run: vcrpy sees the HTTP, a probe observer sees the WebSocket."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..fsutil import atomic_write_text
from ..model import Observation
from ..probe.runner import ProbeJob, ProbeObserver, utc_now
from ..secrets import scrub
from .aliases import PUBLIC, alias_project_ids
from .http import ACCOUNT_OBSERVER, HTTP_FILE, SplitPersister, make_vcr
from .matching import StreamKey, stream_key
from .settings import CassetteSession, CassetteSettings
from .ws import WsStream, load_ws, stream_from_observation, to_json

WS_FILE = "ws.json"
META_FILE = "meta.json"


@contextlib.contextmanager
def record_context(settings: CassetteSettings, host: str) -> Iterator[CassetteSession]:
    """Record the run's HTTP (vcrpy) and WebSocket answers (an observer) into the cassettes of
    `settings.aliases`, merged with what they held; `host` is the base URL the answers came from."""
    directory = settings.directory
    streams: dict[str, dict[StreamKey, WsStream]] = {}

    def observe(job: ProbeJob, observation: Observation) -> None:
        if job.request.transport != "ws":
            return
        key = job.key.reveal() if job.key else None
        alias = job.account or settings.alias_map.alias_for_credential(key) or PUBLIC
        stream = stream_from_observation(*stream_key(job.request.url), observation)
        streams.setdefault(alias, {})[stream.key] = stream

    recorded_at = utc_now()
    persister = SplitPersister(directory, settings.aliases, settings.alias_project_ids)
    vcr = make_vcr(persister, settings.alias_map, record=True)
    completed = False
    try:
        with vcr.use_cassette(str(directory / "http")):
            yield CassetteSession({"recording": True, "recorded_at": recorded_at},
                                  (ACCOUNT_OBSERVER, ProbeObserver(finished=observe)))
        completed = True
    finally:
        for alias in settings.aliases:
            path = directory / alias / WS_FILE
            merged: dict[StreamKey, WsStream] = {}
            if path.is_file():
                merged.update(load_ws(path)[1])
            fresh = streams.get(alias, {})
            http_refreshed = persister.refreshed.get(alias, not (directory / alias / HTTP_FILE).is_file())
            whole = completed and http_refreshed and set(merged) <= set(fresh)
            meta = meta_after_recording(read_meta_or_none(directory, alias), whole, recorded_at, {
                "schema": 1, "host": host, "tool_version": __version__, "account": alias, "mode": settings.mode})
            merged.update(fresh)
            text = to_json(list(merged.values()), meta)
            text = alias_project_ids(text, alias) if settings.alias_project_ids else text
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

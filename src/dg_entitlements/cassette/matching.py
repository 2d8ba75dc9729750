"""When a recording covers a request: the one rule, for every place that looks an answer up.

A recorded answer covers a request when both speak for the same account and have the same method,
path and query. The query is compared as sent, not re-parsed or re-ordered: the probe builds a
combination's query string the same way every time, so the string is its identity.

Who asks:
- vcrpy, while replaying and recording (`MATCH_ON`, registered by `configure`);
- the HTTP persister, when a re-recorded answer replaces an older one, and the proxy's recorder
  (`request_key`);
- the WebSocket recorder and the replay responder (`stream_key`: a handshake is always a GET);
- replay's pre-flight check (`covers`): it runs before discovery has learned the project id, so the
  wanted path holds PROJECT_WILDCARD where the id goes (one path segment).

The account is the `alias:<alias>` the cassette layer writes into the Authorization header
(cassette/aliases.py), never a key.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from vcr import VCR

from .aliases import ALIAS_PREFIX

RequestKey = tuple[str, str, str]  # (METHOD, path, query)
StreamKey = tuple[str, str]  # (path, query)
PROJECT_WILDCARD = "\x00project\x00"
# vcrpy matcher names, all ours (registered by `configure`); the e2e test drops "account" to show the
# vcrpy pitfall it prevents: two accounts replaying each other's answers.
MATCH_ON: tuple[str, ...] = ("request", "account")


def request_key(method: str, uri: str) -> RequestKey:
    parts = urlsplit(uri)
    return (method.upper(), parts.path, parts.query)


def stream_key(uri: str) -> StreamKey:
    _, path, query = request_key("GET", uri)
    return (path, query)


def alias_of(request: Any) -> str:
    """The account a vcrpy request was filed under (its rewritten Authorization header)."""
    value = request.headers.get("authorization") or request.headers.get("Authorization") or ""
    return value[len(ALIAS_PREFIX):] if value.startswith(ALIAS_PREFIX) else "unknown"


def _path_covers(recorded: str, wanted: str) -> bool:
    if PROJECT_WILDCARD not in wanted:
        return recorded == wanted
    head, _, tail = wanted.partition(PROJECT_WILDCARD)
    return (recorded.startswith(head) and recorded.endswith(tail)
            and "/" not in recorded[len(head):len(recorded) - len(tail)])


def covers(recorded: RequestKey | StreamKey, wanted: RequestKey | StreamKey) -> bool:
    """Whether a recorded key answers a wanted one of the same kind (both end in path, query)."""
    return (len(recorded) == len(wanted) and recorded[:-2] == wanted[:-2] and recorded[-1] == wanted[-1]
            and _path_covers(recorded[-2], wanted[-2]))


def _match_request(r1: Any, r2: Any) -> None:
    k1, k2 = request_key(r1.method, r1.uri), request_key(r2.method, r2.uri)
    if k1 != k2:
        raise AssertionError(f"{k1} != {k2}")


def _match_account(r1: Any, r2: Any) -> None:
    a1, a2 = alias_of(r1), alias_of(r2)
    if a1 != a2:
        raise AssertionError(f"account {a1} != {a2}")


def configure(vcr: VCR) -> None:
    """Make a VCR decide coverage by this module's rule (vcrpy raises AssertionError for a mismatch)."""
    vcr.register_matcher("request", _match_request)
    vcr.register_matcher("account", _match_account)
    vcr.match_on = MATCH_ON

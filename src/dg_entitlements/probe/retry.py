"""When to try a probe again, and how long to wait: pure, so the policy is tested without clocks.

Transient answers (network errors, timeouts, 429, 5xx) are retried with exponential backoff and
full jitter, honouring Retry-After, inside a per-probe and a per-run time bound. 400/401/402/403
are Deepgram's answers about the request or the account: retrying them would only cost money.
A small loop of our own fits better than a retry library here: the decision depends on an
observation (status, Retry-After, error kind) and two shared budgets, and every try is recorded.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from .timeouts import MAX_PROBE_S, MAX_RUN_RETRY_S

TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 520, 522, 524})


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 3
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_probe_s: float = MAX_PROBE_S  # a probe never takes longer than this, retries included (hard bound)
    max_run_retry_s: float = MAX_RUN_RETRY_S  # all retries of a run together never sleep longer than this


NOT_RETRIED_ERRORS = ("oversized", "redirect")  # the same answer would come again: retrying only costs time


def is_transient(status: int | None, error: str | None) -> bool:
    if error is not None:
        return not error.startswith(NOT_RETRIED_ERRORS)
    return status is not None and (status in TRANSIENT_STATUSES or 500 <= status <= 599)


def parse_retry_after(value: str | None, now_epoch: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/garbled."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    import time

    return max(0.0, when - (time.time() if now_epoch is None else now_epoch))


def backoff_delay(tries_done: int, retry_after: float | None, policy: RetryPolicy, rng: random.Random) -> float:
    """Full-jitter exponential backoff; a server's Retry-After is honoured (capped by the policy)."""
    if retry_after is not None:
        return min(retry_after, policy.max_delay_s)
    ceiling = min(policy.max_delay_s, policy.base_delay_s * (2 ** (tries_done - 1)))
    return rng.uniform(ceiling / 2, ceiling)


class RetryBudget:
    """Retry sleep shared by every probe of a run, so a broken host cannot stretch a run without bound."""

    def __init__(self, total_s: float) -> None:
        self._left = total_s
        self._lock = threading.Lock()

    def take(self, seconds: float) -> bool:
        with self._lock:
            if seconds > self._left:
                return False
            self._left -= seconds
            return True

    @property
    def left(self) -> float:
        return self._left

"""The progress line while probing: cells done / total, per account (an engine event handler).

On a terminal it is rewritten in place at most a few times a second; in CI logs it is a plain line
at every tenth of the run, so a log stays short and still shows a run that stalls.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable

from .engine import CellFinished, Event, RunFinished, RunStarted

REFRESH_S = 0.25


class Progress:
    def __init__(self, write_line: Callable[[str], None], tty: bool = False) -> None:
        self._write_line = write_line
        self._tty = tty
        self._total = 0
        self._per_account: dict[str, int] = {}
        self._done: Counter[str] = Counter()
        self._last = 0.0
        self._next_tenth = 1

    def __call__(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._total, self._per_account = event.total, event.per_account
            self._write_line(f"dg-entitlements: probing {event.total} cells for {len(event.per_account)} "
                             f"account(s) in {event.mode} mode")
        elif isinstance(event, CellFinished):
            self._done[event.cell.account] += 1
            self._show(event.done)
        elif isinstance(event, RunFinished) and self._tty:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()

    def line(self, done: int) -> str:
        accounts = ", ".join(f"{a} {self._done[a]}/{n}" for a, n in self._per_account.items())
        return f"probed {done}/{self._total} ({accounts})"

    def _show(self, done: int) -> None:
        if self._tty:
            now = time.monotonic()
            if now - self._last >= REFRESH_S or done == self._total:
                self._last = now
                sys.stderr.write("\r\x1b[2K" + self.line(done)[:200])
                sys.stderr.flush()
        elif self._total and done * 10 >= self._next_tenth * self._total:
            while done * 10 >= self._next_tenth * self._total:
                self._next_tenth += 1
            self._write_line(self.line(done))

"""What happens to each finished exchange: judged, printed, logged, recorded; and the report at exit.

Called from the proxy's event loop when a request or stream ends, so the line appears when it happens.
The work is small and synchronous (a judgement, a print, one appended JSON line); the lock only guards
the list the exit report and the tests read from other threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from ..catalogue import Catalogue
from ..secrets import scrub
from .exchange import Exchange
from .judging import Judged, judge_exchange
from .lines import exchange_text
from .record import Recorder
from .report import json_line, run_result, write_report


class Session:
    def __init__(self, catalogue: Catalogue, targets: dict[str, str], out: Callable[[str], None] | None,
                 json_log: Path | None = None, record: Path | None = None, report_dir: Path | None = None,
                 record_aliases: dict[str, str] | None = None) -> None:
        self.catalogue = catalogue
        self.targets = targets
        self.out = out
        self.report_dir = report_dir
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.recorder = Recorder(record, targets.get("rest", ""), record_aliases) if record is not None else None
        self._log: TextIO | None = None
        if json_log is not None:
            json_log.parent.mkdir(parents=True, exist_ok=True)
            self._log = json_log.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._judged: list[Judged] = []
        self._finished = False

    def on_exchange(self, exchange: Exchange) -> None:
        with self._lock:
            seq = len(self._judged) + 1
            judged = judge_exchange(self.catalogue, exchange, self.targets.get("rest", ""), seq)
            self._judged.append(judged)
        if self.out is not None:
            self.out(scrub(exchange_text(judged)))
        if self._log is not None:
            self._log.write(json_line(judged, self.targets) + "\n")
            self._log.flush()
        if self.recorder is not None:
            self.recorder.add(judged)

    @property
    def judged(self) -> list[Judged]:
        with self._lock:
            return list(self._judged)

    def finish(self, complete: bool = True) -> list[Path]:
        """Write the report and the cassettes once; safe to call from a signal path and again after."""
        with self._lock:
            if self._finished:
                return []
            self._finished = True
            judged = list(self._judged)
        written: list[Path] = []
        if self._log is not None:
            self._log.close()
        if self.recorder is not None:
            written += self.recorder.write()
        if self.report_dir is not None:
            finished = datetime.now(UTC).isoformat(timespec="seconds")
            run = run_result(judged, self.started_at, finished, self.targets, complete=complete)
            written += list(write_report(run, self.report_dir))
        return written

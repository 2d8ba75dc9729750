"""Per-project concurrency: Deepgram limits concurrent streams per project, not per key (docs/fidelity.md)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


@dataclass
class StreamSlots:
    open: Counter[str] = field(default_factory=Counter)

    def try_acquire(self, project_id: str, limit: int) -> bool:
        """Take a slot if the project is under its limit. Single event loop: check-and-set is atomic."""
        if self.open[project_id] >= limit:
            return False
        self.open[project_id] += 1
        return True

    def release(self, project_id: str) -> None:
        if self.open[project_id] > 0:
            self.open[project_id] -= 1

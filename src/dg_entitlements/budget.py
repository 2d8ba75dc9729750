"""A cap on what a live run may spend: probes past it are not sent, and say so."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import ConfigError
from .model import Cost

MAX_BUDGET_VALUE = 1e12  # beyond any real run; also keeps int() of the value defined (no inf, no nan)
UNITS = {"requests": "requests", "audio": "audio_seconds", "audio_seconds": "audio_seconds",
         "chars": "characters", "characters": "characters"}


@dataclass(frozen=True)
class Budget:
    requests: int | None = None
    audio_seconds: float | None = None
    characters: int | None = None

    def allows(self, spent: Cost, more: Cost) -> bool:
        total = spent + more
        return not (
            (self.requests is not None and total.requests > self.requests)
            or (self.audio_seconds is not None and total.audio_seconds > self.audio_seconds + 1e-9)
            or (self.characters is not None and total.characters > self.characters)
        )

    def describe(self) -> str:
        parts = [f"{name}={getattr(self, name)}" for name in ("requests", "audio_seconds", "characters")
                 if getattr(self, name) is not None]
        return ", ".join(parts) or "unlimited"


def parse_budget(text: str | None) -> Budget | None:
    """'requests=60,audio=30,chars=400' (audio in seconds; a trailing 's' is allowed)."""
    if not text:
        return None
    values: dict[str, float] = {}
    for part in text.split(","):
        name, sep, raw = part.strip().partition("=")
        field = UNITS.get(name.strip().lower())
        if not sep or field is None:
            raise ConfigError("--dg-budget", (part.strip() or text)[:40], "not a budget item",
                              "write requests=N, audio=SECONDS, chars=N, comma-separated")
        try:
            values[field] = float(raw.strip().rstrip("s"))
        except ValueError:
            raise ConfigError("--dg-budget", field, "not a number", "write e.g. audio=30") from None
        if not math.isfinite(values[field]) or values[field] > MAX_BUDGET_VALUE:
            raise ConfigError("--dg-budget", field, f"not a finite number up to {MAX_BUDGET_VALUE:.0e}",
                              "write e.g. requests=60 (leave --dg-budget out for no cap)")
        if values[field] < 0:
            raise ConfigError("--dg-budget", field, "negative budget", "use a number >= 0")
    return Budget(
        requests=int(values["requests"]) if "requests" in values else None,
        audio_seconds=values.get("audio_seconds"),
        characters=int(values["characters"]) if "characters" in values else None,
    )

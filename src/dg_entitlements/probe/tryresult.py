"""What one try saw: the typed seam between the I/O of a try (probe/http.py, probe/ws.py) and the
runner (probe/runner.py), which adds the attempts, the cost and the request to make an Observation.

A try used to hand back a dict that the runner splatted into `Observation(**fields)`: a misspelt or
mistyped field was only found at run time, if ever. Here every field is named and typed once, so mypy
checks both sides of the seam.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from ..model import Frame

BodyKind = Literal["json", "text", "binary", "empty"]
ClosedBy = Literal["server", "client"]


@dataclass(frozen=True)
class TryResult:
    """One try's answer (or its absence). `status` is None when nothing answered, with `error` saying why."""

    status: int | None
    latency_ms: float
    answered_by: str | None  # host:port the request was sent to
    headers: dict[str, str] = field(default_factory=dict)  # allow-listed, lower-case names
    body: Any = None  # parsed JSON, bounded text, or None
    body_kind: BodyKind = "empty"
    body_size: int = 0
    content_type: str | None = None
    frames: tuple[Frame, ...] = ()
    close_code: int | None = None
    close_reason: str | None = None
    closed_by: ClosedBy | None = None
    error: str | None = None
    error_detail: str | None = None

    @classmethod
    def failed(cls, error: str, detail: str, latency_ms: float, answered_by: str | None) -> TryResult:
        """No answer at all: a network error or a deadline (the kind in `error`, in words in `detail`)."""
        return cls(status=None, latency_ms=latency_ms, answered_by=answered_by, error=error, error_detail=detail)

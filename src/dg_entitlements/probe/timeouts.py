"""Every network step has a bound; these are them, in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 5.0  # TCP + TLS
    read_s: float = 10.0  # an HTTP answer, or a WebSocket handshake answer
    frame_window_s: float = 0.3  # how long an accepted stream is read before we close it
    close_s: float = 3.0  # how long the server may take to close after our close message
    max_frames: int = 8  # first server messages kept as evidence

    @property
    def attempt_s(self) -> float:
        """The hard bound for one try, whatever stalls: nothing can hang past it."""
        return self.connect_s + self.read_s + self.frame_window_s + 2 * self.close_s + 1.0

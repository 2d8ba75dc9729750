"""The app's leg of the WebSocket relay: uvicorn's sans-I/O protocol, reading a few messages ahead.

uvicorn's `websockets-sansio` protocol stops reading the socket after every message and starts again when
the app takes that message (`pause_reading` / `resume_reading`: two epoll_ctl system calls and an extra
event-loop round per message; 15% of the proxy's CPU at 100 real-time streams in a py-spy profile). The
relay takes each message at once, so a few may safely wait: here reading pauses only when READ_AHEAD
messages are queued, or at once after a large message. What one connection buffers stays bounded: what
uvicorn buffers (the rest of the socket read that held the message that paused reading, at most 256 KiB,
and one message of up to `ws_max_size`) plus at most READ_AHEAD small messages (SMALL_MESSAGE bytes each,
so under 1 MiB). Backpressure is unchanged: a relay that cannot forward (the upstream is slow) stops
taking messages, the queue fills, reading pauses, the app's sends block.

Three attributes of uvicorn's protocol are relied on (`read_paused`, `queue` and the pending `frames`);
`protocol_class()` falls back to uvicorn's own protocol if they ever change.
"""

from __future__ import annotations

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

READ_AHEAD = 16  # messages queued for the relay before reading pauses
SMALL_MESSAGE = 64 * 1024  # a larger message pauses reading at once (as uvicorn does for every message)


def may_read_on(queued: int, size: int) -> bool:
    """After queueing a message of `size` bytes with `queued` messages now waiting: keep reading?"""
    return queued < READ_AHEAD and size <= SMALL_MESSAGE


class ReadAheadProtocol(WebSocketsSansIOProtocol):
    def send_receive_event_to_app(self) -> None:
        if self.read_paused or not may_read_on(self.queue.qsize() + 1, sum(len(f) for f in self.frames)):
            super().send_receive_event_to_app()  # queues the message and pauses reading, as uvicorn does
            return
        self.read_paused = True  # uvicorn's method pauses reading unless it is already paused
        try:
            super().send_receive_event_to_app()
        finally:
            self.read_paused = False


def protocol_class() -> type[WebSocketsSansIOProtocol] | str:
    probe = WebSocketsSansIOProtocol.__init__.__code__.co_names
    if all(name in probe for name in ("read_paused", "queue", "frames")) and hasattr(
            WebSocketsSansIOProtocol, "send_receive_event_to_app"):
        return ReadAheadProtocol
    return "websockets-sansio"

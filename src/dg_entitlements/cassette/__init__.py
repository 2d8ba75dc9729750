"""Record and replay: vcrpy for HTTP, a format of our own for WebSocket, matching by account alias."""

"""The embedded fake Deepgram: one ASGI app serving REST and WebSocket on one loopback port."""

from .app import create_app
from .config import FakeAccount, FakeConfig, Faults, Fidelity, ServerSettings, load_fake_config, parse_fake_config
from .server import FakeServer, serve_forever

__all__ = ["FakeAccount", "FakeConfig", "FakeServer", "Faults", "Fidelity", "ServerSettings", "create_app",
           "load_fake_config", "parse_fake_config", "serve_forever"]

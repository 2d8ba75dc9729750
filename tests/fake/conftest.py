from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from fake_kit import FIXTURE_CONFIG

from dg_entitlements.fake import FakeServer, load_fake_config


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeServer]:
    """The fake serving src/dg_entitlements/data/fake-deepgram.toml, shared by the tests that only read from it."""
    with FakeServer(load_fake_config(FIXTURE_CONFIG)) as server:
        yield server

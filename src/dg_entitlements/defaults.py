"""The shipped defaults, as package data: every command works from any folder.

A user who installs the tool from the package index has no checkout: the catalogue of combinations,
what the embedded fake serves and the fake accounts it probes travel inside the package. A file
given on the command line or in a discovered configuration overrides each of them.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA = Path(str(files("dg_entitlements") / "data"))

CATALOGUE = DATA / "catalogue.toml"
FAKE_CONFIG = DATA / "fake-deepgram.toml"
FAKE_ACCOUNTS = DATA / "accounts-fake.toml"

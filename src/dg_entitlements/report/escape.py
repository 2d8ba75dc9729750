"""Scrub, then escape: the one way any text reaches the HTML report (a module of its own so every
section renderer shares it without importing each other)."""

from __future__ import annotations

import html

from dg_entitlements.secrets import scrub


def e(value: object) -> str:
    """Scrub, then escape: scrubbing first so a secret containing `&` or `<` is still recognised."""
    return html.escape(scrub("" if value is None else str(value)), quote=True)

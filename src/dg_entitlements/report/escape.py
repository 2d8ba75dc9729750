"""Scrub, then escape: the one way any text reaches the HTML report (a module of its own so every
section renderer shares it without importing each other).

Two contexts, two escapes:
- `e` for text and attribute values in markup (HTML-escaped);
- `json_script` for data embedded in a `<script type="application/json">` element. Inside a script
  element the HTML parser decodes no entities and ends the element at the first `</script`, and
  `<!--` switches it into a state where a later `<script` moves that end. Writing every `<` as the
  JSON escape `\\u003C` (which `JSON.parse` turns back into `<`) means neither can ever appear in the
  element's text, whatever the data holds; nothing else needs escaping there. The upper-case `C`
  keeps the escape from joining the hex digits around it into something key-shaped.
"""

from __future__ import annotations

import html
import json

from dg_entitlements.secrets import scrub

_LT = "\\u003C"
WITHHELD = {"withheld": "this data looked like a secret once encoded, so it was left out; see the run JSON"}


def e(value: object) -> str:
    """Scrub, then escape: scrubbing first so a secret containing `&` or `<` is still recognised."""
    return html.escape(scrub("" if value is None else str(value)), quote=True)


def json_text(data: object) -> str:
    """`data` as compact, deterministic JSON with no `<` in it, already scrubbed as the page will be.

    The whole page is scrubbed again after rendering, so the text must come out of the scrubber
    unchanged: if scrubbing the encoded form changes it (something secret-shaped across an escape),
    the scrubbed text is used when it is still valid JSON, else the data is withheld (`WITHHELD`)."""
    text = _encode(data)
    clean = scrub(text)
    if clean == text:
        return text
    try:
        json.loads(clean)
    except ValueError:
        return _encode(WITHHELD)
    return clean if scrub(clean) == clean else _encode(WITHHELD)


def json_script(element_id: str, data: object) -> str:
    """`data` in an inert `<script type="application/json">` element (read with `JSON.parse` of its
    text), which cannot end early or leak a known secret (see `json_text`)."""
    return f'<script type="application/json" id="{e(element_id)}">{json_text(data)}</script>'


def _encode(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", _LT)

"""Keys enter once, live in a type that cannot print itself, and every artifact passes one scrubber.

A real Deepgram key is 40 hex characters and a temporary token is a JWT; both are recognised by
shape as well as by value, so a secret we were never told about is still caught on its way out.

A known secret is caught in every encoding the tool can write it in: as is, in any letter case,
URL-encoded, hex, and base64 (standard and URL-safe, at each of the three byte offsets a secret can
start at inside a longer base64 text, so a key echoed inside a binary body that a cassette stores
as base64 is still found). Scrub BEFORE truncating: a cut key is no longer recognisable.
The tool's own advice (`Authorization: Token <your key>`, `?api_key=<key>`) is left alone.
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

REAL_KEY_SHAPE = re.compile(r"(?<![0-9a-fA-F])[0-9a-f]{40}(?![0-9a-fA-F])")
JWT_SHAPE = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
# A placeholder (`<your key>`, `<key>`) or an earlier marker (`[redacted ...]`) is not a secret.
_NOT_A_VALUE = r"(?!\[redacted|<|&lt;)"
AUTH_VALUE = re.compile(
    r"(?i)((?:authorization|sec-websocket-protocol)[\"']?\s*[:=]\s*[\"']?(?:token|bearer)(?:\s+|\s*,\s*|%20|\+))"
    + _NOT_A_VALUE + r"([^\s\"',;<&]+)"
)
QUERY_SECRET = re.compile(
    r"(?i)([?&](?:token|access_token|key|api_key|apikey|authorization|auth)=)" + _NOT_A_VALUE + r"([^&#\s\"'<]+)"
)
MIN_SECRET_CHARS = 6


def fingerprint(secret: str) -> str:
    """A stable, non-reversible label: enough to tell two keys apart, nothing to use."""
    return "key#" + hashlib.sha256(secret.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class ApiKey:
    """A credential whose repr and str are a fingerprint, so it cannot leak through a log or a report."""

    _value: str = field(repr=False)
    source: str = "unknown"

    def reveal(self) -> str:
        """Only the probe runner calls this, to build the Authorization header."""
        return self._value

    @property
    def fingerprint(self) -> str:
        return fingerprint(self._value)

    def __str__(self) -> str:
        return self.fingerprint

    def __repr__(self) -> str:
        return f"ApiKey({self.fingerprint}, source={self.source!r})"


def normalise_literal(value: str) -> str:
    """What a pasted key really is: trimmed, byte-order mark and `Token `/`Bearer ` prefix removed, lower case."""
    text = value.replace("\ufeff", "").strip()
    head, _, rest = text.partition(" ")
    if head.lower() in ("token", "bearer") and rest:
        text = rest.strip()
    return text.lower()


def looks_like_real_key(value: str) -> bool:
    """A real key or token, however it was pasted (spaces, newline, upper case, `Token ` prefix)."""
    text = normalise_literal(value)
    return bool(re.fullmatch(r"[0-9a-f]{40}", text) or JWT_SHAPE.fullmatch(value.strip().split(" ")[-1] or ""))


def contains_secret_shape(value: str) -> bool:
    """True when the text holds something key- or token-shaped anywhere (any case)."""
    return bool(re.search(r"(?i)(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])", value) or JWT_SHAPE.search(value))


def _base64_cores(data: bytes) -> set[str]:
    """The part of base64(prefix + data + suffix) that depends only on `data`, for each offset mod 3."""
    cores: set[str] = set()
    for offset in range(3):
        total = offset + len(data)
        enc = base64.b64encode(b"\0" * offset + data).decode()
        core = enc[(4 if offset else 0):4 * (total // 3)]
        if len(core) >= 8:
            cores.add(core)
            cores.add(core.translate(str.maketrans("+/", "-_")))
    return cores


def encodings(secret: str) -> tuple[set[str], set[str]]:
    """(case-insensitive forms, case-sensitive forms) of a secret as the tool could write it."""
    raw = secret.encode("utf-8", "surrogatepass")
    folded = {secret, quote(secret, safe=""), quote_plus(secret), raw.hex()}
    exact = _base64_cores(raw)
    return {f for f in folded if f}, exact


def trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literals, shaped as a trie: a search costs the same with 3 keys or 3,000.

    Python's `re` tries the branches of `a|b|c...` one after another at every position, so a flat
    alternation of every key's encodings made scrubbing O(keys) per character (seen: 2.3 s per report
    at 300 keys). In a trie each position follows one path; longer words win where one word is
    the prefix of another (the optional tail is greedy).
    """
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        out: list[str] = []
        while True:  # a chain of single children is plain text: recursion only where paths part
            children = [(ch, child) for ch, child in sorted(node.items()) if ch]
            if len(children) == 1 and "" not in node:
                out.append(re.escape(children[0][0]))
                node = children[0][1]
                continue
            if children:
                branches = [re.escape(ch) + render(child) for ch, child in children]
                body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
                out.append(body + "?" if "" in node and len(body) == 1 else
                           "(?:" + body + ")?" if "" in node else body)
            return "".join(out)

    return render(root)


@dataclass(frozen=True)
class _Level:
    """One compiled group of secrets: a trie regex over their encodings and the marker of each form."""

    secrets: tuple[tuple[str, str], ...]  # (secret, marker)
    pattern: re.Pattern[str]
    folded: dict[str, str]
    exact: dict[str, str]

    @classmethod
    def build(cls, secrets: tuple[tuple[str, str], ...]) -> _Level:
        folded_forms: dict[str, str] = {}
        exact_forms: dict[str, str] = {}
        for secret, marker in secrets:
            folded, exact = encodings(secret)
            folded_forms.update((f.lower(), marker) for f in folded)
            exact_forms.update((f, marker) for f in exact)
        parts = [f"(?P<folded>(?i:{trie_pattern(folded_forms)}))"]
        if exact_forms:
            parts.append(f"(?P<exact>{trie_pattern(exact_forms)})")
        return cls(secrets, re.compile("|".join(parts)), folded_forms, exact_forms)

    def sub(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.folded[m.group().lower()] if m.group("folded") is not None
                                else self.exact[m.group()], text)


LEVEL_RATIO = 4  # a level absorbs the one before it while that one is at most 4x its size
COMPACT_ABOVE_CHARS = 64 * 1024  # a text this long (a report) is scrubbed by one merged level
# Fresh secrets are found by plain substring search until there are this many of them; then they
# become a compiled level. Why: compiling a level costs ~20 ms per token (a JWT's hex and base64
# forms make a pattern of thousands of characters), and a token arrives in the middle of a run, on
# its critical path; searching a 50 KB answer for a few dozen literal forms costs under a millisecond.
FRESH_MAX = 8
# `scrub_bounded` scrubs only what it keeps plus this margin (or the longest known form, if longer):
# a secret that starts inside the kept part ends inside the margin, so it is found whole. Why: a cell
# kept 2,000 characters of a 200 KB model list and scrubbed all 200 KB to do so.
WINDOW_MARGIN_CHARS = 8192
_WORD_RUN = re.compile(r"[^\s\"'<>,;&{}()\[\]]*")  # what a secret, a token or a query value is made of


def _longest_first(forms: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(forms.items(), key=lambda item: -len(item[0])))


@dataclass(frozen=True)
class _Fresh:
    """Secrets not compiled yet, found by substring search; the longest forms first, so a form that
    contains another (the URL-encoded key contains the key) is replaced whole."""

    secrets: tuple[tuple[str, str], ...] = ()
    folded: tuple[tuple[str, str], ...] = ()  # (lower-case form, marker)
    exact: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, secrets: tuple[tuple[str, str], ...]) -> _Fresh:
        folded: dict[str, str] = {}
        exact: dict[str, str] = {}
        for secret, marker in secrets:
            forms_folded, forms_exact = encodings(secret)
            folded.update((f.lower(), marker) for f in forms_folded)
            exact.update((f, marker) for f in forms_exact)
        return cls(secrets, _longest_first(folded), _longest_first(exact))

    def sub(self, text: str) -> str:
        if self.folded:
            low = text.lower()  # the forms are lower-cased the same way (casefold would turn ß into ss)
            for form, marker in self.folded:
                if form in low:
                    text = re.sub(re.escape(form), marker.replace("\\", r"\\"), text, flags=re.IGNORECASE)
                    low = text.casefold()
        for form, marker in self.exact:
            if form in text:
                text = text.replace(form, marker)
        return text


class Scrubber:
    """Replaces known secrets by their fingerprint and secret-shaped text by a marker.

    Secrets arrive during a run (a temporary token in a grant answer, one per account), and each
    arrival used to rebuild one regex of every secret: O(secrets) per arrival, O(secrets^2) per run.
    Secrets are kept instead as a log-structured merge: the newest few are searched as plain text
    (`_Fresh`, nothing to compile), and once there are FRESH_MAX of them they become a compiled
    level; levels grow geometrically, merged like the digits of a counter, so a secret is recompiled
    O(log n) times in all and a short text is scrubbed by at most log4(n) small passes; a long one
    (a report) first merges them.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: dict[str, str] = {}
        self._lock = threading.Lock()
        self._levels: tuple[_Level, ...] = ()
        self._fresh = _Fresh()
        self._longest = 0
        for s in secrets:
            self.add(s)

    def add(self, secret: str | None) -> None:
        if not secret or len(secret) < MIN_SECRET_CHARS or secret in self._secrets:
            return
        if (secret.startswith("<") and secret.endswith(">")) or secret.startswith("[redacted"):
            return  # a placeholder from our own advice, not a credential
        with self._lock:
            marker = f"[redacted {fingerprint(secret)}]"
            self._secrets[secret] = marker
            self._longest = max(self._longest, *map(len, set.union(*encodings(secret))))
            fresh = (*self._fresh.secrets, (secret, marker))
            if len(fresh) < FRESH_MAX:
                self._fresh = _Fresh.of(fresh)
                return
            levels = list(self._levels)
            while levels and len(levels[-1].secrets) <= LEVEL_RATIO * len(fresh):
                fresh = levels.pop().secrets + fresh
            self._levels = (*levels, _Level.build(fresh))
            self._fresh = _Fresh()

    def _compiled(self, compact: bool = False) -> tuple[tuple[_Level, ...], _Fresh]:
        with self._lock:
            if compact and len(self._levels) > 1:
                self._levels = (_Level.build(tuple(p for level in self._levels for p in level.secrets)),)
            return self._levels, self._fresh

    def longest_form(self) -> int:
        """The length of the longest form a known secret is written in (its hex or URL-encoded form)."""
        return self._longest

    def scrub(self, text: str) -> str:
        levels, fresh = self._compiled(compact=len(text) > COMPACT_ABOVE_CHARS)
        for level in levels:
            text = level.sub(text)
        text = fresh.sub(text)
        text = JWT_SHAPE.sub("[redacted jwt]", text)
        text = REAL_KEY_SHAPE.sub("[redacted key]", text)
        text = QUERY_SECRET.sub(lambda m: m.group(1) + "[redacted]", text)
        low = text.casefold()  # AUTH_VALUE's (?i) scan of every position is the slowest pass: only when it can match
        if "authorization" in low or "sec-websocket-protocol" in low:
            text = AUTH_VALUE.sub(lambda m: m.group(1) + "[redacted]", text)
        return text

    def scrub_bytes(self, data: bytes) -> bytes:
        """Bytes of any encoding (a non-UTF-8 body included): the secrets are ASCII, so they are found."""
        return self.scrub(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def scrub_bounded(self, text: str, limit: int) -> str:
        """Scrub, then cut: the only safe order (a cut secret is no longer recognisable). Only the kept
        part and a margin are scrubbed: a match that starts in the kept part and is no longer than the
        margin lies wholly inside it, and one that runs past it (a shape such as a JWT) is still
        matched up to the margin, so its kept part is replaced."""
        window = limit + max(WINDOW_MARGIN_CHARS, self.longest_form())
        if len(text) > window:  # never end the window inside a word: a longer token is matched whole
            text = text[:_WORD_RUN.match(text, window).end()]  # type: ignore[union-attr]
        return self.scrub(text)[:limit]


_GLOBAL = Scrubber()


def register_secret(secret: str | None) -> None:
    """Every key and token the process learns is registered here, once."""
    _GLOBAL.add(secret)
    if secret:
        _GLOBAL.add(normalise_literal(secret) if len(normalise_literal(secret)) >= MIN_SECRET_CHARS else None)


def scrub(text: str) -> str:
    return _GLOBAL.scrub(text)


def scrub_bytes(data: bytes) -> bytes:
    return _GLOBAL.scrub_bytes(data)


def bounded(text: str, limit: int) -> str:
    """The one way to shorten text the tool keeps or prints: scrubbed first, then cut."""
    return _GLOBAL.scrub_bounded(text, limit)


def global_scrubber() -> Scrubber:
    return _GLOBAL

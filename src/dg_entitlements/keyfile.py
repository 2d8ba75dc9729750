"""Read and check a key from a key file or an environment variable, without ever echoing it.

A key file is read as untrusted input: it may be a FIFO (a read would hang), /dev/zero (a read would
never end), a 10 MB line (it would be sent as a header), carry a byte-order mark or a zero-width space
from a copy-paste (it would be sent as garbage), or be some other file entirely (its first line would
end up in reports). So: a regular file only, read with a size bound, one line, printable ASCII after
trimming whitespace and a byte-order mark. Anything else is one ConfigError naming the file (or the
variable) and the fix, never the content: the content may be a key.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ConfigError

MAX_KEY_FILE_BYTES = 4096
"""A key file larger than this is refused unread (a Deepgram key is 40 characters, a JWT ~1 KiB)."""

MAX_KEY_CHARS = 2048
"""Longest key or token accepted from a file or an environment variable."""

BOM = "\ufeff"
FIX_FILE = "put only the key in the file, on one line (e.g. printf %s \"$KEY\" > FILE)"
FIX_ENV = "export only the key, with no quotes or spaces (e.g. export VAR=<your Deepgram API key>)"


def check_key_text(text: str) -> str | None:
    """The problem with a candidate key, or None when it is acceptable. Never quotes the text."""
    if len(text) > MAX_KEY_CHARS:
        return f"longer than {MAX_KEY_CHARS} characters"
    if "\n" in text or "\r" in text:
        return "more than one line"
    if not text:
        return "empty"
    bad = [ch for ch in text if not (0x21 <= ord(ch) <= 0x7E)]
    if bad:
        kind = "a space" if bad[0] == " " else f"a non-printable or non-ASCII character (U+{ord(bad[0]):04X})"
        return f"contains {kind}"
    return None


def clean(text: str) -> str:
    """Trim surrounding whitespace and byte-order marks (an editor's or a copy-paste's leftovers)."""
    return text.replace(BOM, "").strip()


def read_key_file(path: Path, source: str, key: str) -> str:
    """The key held in `path`, or one ConfigError (source, key) naming the path and the fix."""

    def fail(problem: str) -> ConfigError:
        return ConfigError(source, key, f"key file {path}: {problem}", FIX_FILE)

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise fail(f"cannot open it ({exc.strerror or exc.__class__.__name__})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise fail("not a regular file")
        if info.st_size > MAX_KEY_FILE_BYTES:
            raise fail(f"larger than {MAX_KEY_FILE_BYTES} bytes")
        data = os.read(fd, MAX_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise fail(f"cannot read it ({exc.strerror or exc.__class__.__name__})") from None
    finally:
        os.close(fd)
    if len(data) > MAX_KEY_FILE_BYTES:
        raise fail(f"larger than {MAX_KEY_FILE_BYTES} bytes")
    try:
        text = clean(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise fail("not text (not UTF-8)") from None
    problem = check_key_text(text)
    if problem:
        raise fail(problem)
    return text


def check_env_key(value: str, variable: str, source: str, key: str) -> str:
    """The key held in an environment variable, cleaned, or one ConfigError naming the variable."""
    text = clean(value)
    problem = check_key_text(text)
    if problem:
        raise ConfigError(source, key, f"environment variable {variable}: {problem}", FIX_ENV)
    return text

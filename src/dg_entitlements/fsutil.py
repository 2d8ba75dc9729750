"""Atomic file writes: a reader (or a run interrupted mid-write) never sees half a report.

The temporary file lives in the destination's own directory so `os.replace` is a rename on one
filesystem, which POSIX makes atomic: the old file stays whole until the new one is complete and
flushed to disk. Interrupted runs (Ctrl-C, a killed worker) therefore leave either the previous
artifact or the new one, never a truncated JSON that `render`/`diff` would choke on.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically (temp file + fsync + rename), creating parent directories.

    Returns the destination path. On any failure the temporary file is removed and the previous
    content of `path` (if any) is untouched.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _keep_mode(dest, tmp_name)
        os.replace(tmp_name, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(dest.parent)
    return dest


def atomic_write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> Path:
    """Text flavour of `atomic_write_bytes`; newlines are written as given (no platform translation)."""
    return atomic_write_bytes(path, text.encode(encoding))


def _keep_mode(dest: Path, tmp_name: str) -> None:
    """mkstemp creates 0600 files; reports are meant to be read by others, so use 0644 or the old mode."""
    try:
        mode = dest.stat().st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(tmp_name, mode)


def _fsync_dir(directory: Path) -> None:
    """Persist the rename itself; best effort (not every platform lets a directory be opened)."""
    try:
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)

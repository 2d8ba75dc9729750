"""One error type for bad input: it names the file, the key and the fix, and maps to exit code 2."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

EXIT_OK = 0
EXIT_CONTRACT_BROKEN = 1
EXIT_USAGE = 2
EXIT_NOTHING_MEASURED = 3  # every cell unreadable or skipped, or more than the allowed share (live)
EXIT_INTERNAL = 4  # a bug in the tool: never reported as a broken contract
EXIT_INTERRUPTED = 130


@dataclass
class ConfigError(Exception):
    """A problem in a file or option the user gave us. Printed as one line, never a traceback."""

    file: str
    key: str
    problem: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        return " ".join(f"{where}: {self.problem} (fix: {self.fix})".split())  # always one line


def reject_unknown(raw: Mapping[str, Any], allowed: Collection[str], file: str, key: str,
                   fix: str | None = None) -> None:
    """Every table of every input file is closed: a misspelt field is an error, never silently ignored."""
    unknown = set(raw) - set(allowed)
    if unknown:
        raise ConfigError(file, key, f"unknown field(s) {sorted(unknown)}", fix or f"allowed: {sorted(allowed)}")

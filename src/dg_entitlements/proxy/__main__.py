"""`python -m dg_entitlements.proxy ...`: the proxy without the main CLI (used by tests and the benchmark)."""

from __future__ import annotations

import sys

from ..errors import EXIT_USAGE, ConfigError
from .cli import cmd_proxy

if __name__ == "__main__":
    try:
        sys.exit(cmd_proxy(sys.argv[1:]))
    except ConfigError as exc:
        print(f"dg-entitlements proxy: {exc}", file=sys.stderr)
        sys.exit(EXIT_USAGE)

"""`dg-entitlements proxy`: parse the options, run the proxy until Ctrl-C/SIGTERM, write the report.

The lead's cli.py calls `cmd_proxy(argv)`; bad input raises ConfigError (one line, exit 2 there).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError
from .server import ProxyServer
from .settings import DEFAULT_AGENT_UPSTREAM, DEFAULT_UPSTREAM, FAKE, ProxySettings, upstream_from


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ConfigError("command line", "", message, "see `dg-entitlements proxy --help`")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dg-entitlements proxy",
                description="A local reverse proxy for Deepgram's REST and WebSocket APIs that prints what your "
                "app's requests really get, with the suite's diagnosis. Point your SDK's base URL at it.")
    p.add_argument("--port", type=int, default=8089, help="local port to listen on (0: any free port)")
    p.add_argument("--host", default="127.0.0.1", help="local address to listen on (default 127.0.0.1)")
    p.add_argument("--upstream", default=DEFAULT_UPSTREAM,
                   help=f"base URL to forward to (default {DEFAULT_UPSTREAM}; `fake` runs the embedded fake)")
    p.add_argument("--agent-upstream", default=None,
                   help=f"base URL for /v1/agent/* (default {DEFAULT_AGENT_UPSTREAM}, or the fake with "
                   "--upstream fake)")
    p.add_argument("--json-log", type=Path, default=None, help="append one JSON object per exchange to this file")
    p.add_argument("--record", type=Path, default=None, help="write scrubbed cassettes of the traffic to this folder")
    p.add_argument("--accounts", type=Path, default=None,
                   help="with --record: the accounts.toml `--dg-mode replay` will use; traffic with one of its "
                   "keys is recorded under that account's alias (default: under the key's fingerprint)")
    p.add_argument("--report-dir", type=Path, default=Path("reports"),
                   help="where proxy.json and proxy.html are written on exit (default reports/)")
    p.add_argument("--no-report", action="store_true", help="do not write the report on exit")
    p.add_argument("--quiet", action="store_true", help="print nothing per exchange")
    return p


def settings_from(argv: Sequence[str]) -> ProxySettings:
    ns = parser().parse_args(list(argv))
    if not 0 <= ns.port <= 65535:
        raise ConfigError("command line", "--port", f"{ns.port} is not a port", "give 0-65535 (0: any free port)")
    for option, value in (("--upstream", ns.upstream), ("--agent-upstream", ns.agent_upstream)):
        if value is not None and value != FAKE:
            upstream_from(value, option)  # raises ConfigError naming the option
    if ns.accounts is not None and ns.record is None:
        raise ConfigError("command line", "--accounts", "only names the folders --record writes",
                          "add --record DIR, or drop --accounts")
    return ProxySettings(host=ns.host, port=ns.port, upstream=ns.upstream, agent_upstream=ns.agent_upstream,
                         json_log=ns.json_log, record=ns.record, accounts=ns.accounts,
                         report_dir=None if ns.no_report else ns.report_dir,
                         quiet=ns.quiet)


def cmd_proxy(argv: Sequence[str]) -> int:
    ProxyServer(settings_from(argv)).run_foreground()
    return 0

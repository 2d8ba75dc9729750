"""`dg-entitlements`: check, serve, render, diff, explain, record. Exit 0 as expected, 1 contract
broken, 2 usage or configuration error, 130 interrupted."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import EXIT_CONTRACT_BROKEN, EXIT_OK, EXIT_USAGE, ConfigError

PYTEST_TO_EXIT = {0: EXIT_OK, 1: EXIT_CONTRACT_BROKEN, 2: 130, 3: 3, 4: EXIT_USAGE, 5: EXIT_USAGE}


def _suite_parser() -> argparse.ArgumentParser:
    """The plugin's own options, parsed here only to validate them before pytest starts."""
    from .options import add_options

    parser = argparse.ArgumentParser(add_help=False)

    class Group:
        def addoption(self, *names: str, **kwargs: Any) -> None:
            parser.add_argument(*names, **kwargs)

    add_options(Group())
    return parser


def cmd_check(args: Sequence[str]) -> int:
    """Run the contract suite through pytest with the report options filled in."""
    from .modes import check_keys, load
    from .options import options_from_namespace

    known, _ = _suite_parser().parse_known_args(list(args))
    if known.dg_record and known.dg_mode == "replay":
        raise ConfigError("--dg-record", "--dg-mode replay", "cannot record while replaying",
                          "record with --dg-mode fake or --dg-mode live")
    options = options_from_namespace(known, os.getcwd())
    loaded = load(options)
    check_keys(loaded)
    if options.mode == "replay" and not any(a == "-k" or a.startswith(("-k", "-m")) for a in args):
        from .cassette.replay import load_cassettes
        from .modes import all_pairs

        load_cassettes(loaded, all_pairs(loaded))  # one clear line before pytest starts, not mid-run
    contract = Path("tests/contract")
    if not contract.is_dir():
        raise ConfigError("tests/contract", "", "the contract tests are not here",
                          "run dg-entitlements from the repository root")
    report_dir = Path(known.dg_report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    pytest_args = [str(contract), "-q", "-rN", "-p", "no:cacheprovider",
                   "-W", "ignore::pytest.PytestAssertRewriteWarning",
                   f"--html={report_dir / 'entitlements.html'}", "--self-contained-html",
                   f"--junitxml={report_dir / 'junit.xml'}", *args]
    import pytest

    code = int(pytest.main(pytest_args))
    print(f"report: {report_dir / 'entitlements.html'}  run result: {report_dir / 'entitlements.json'}  "
          f"junit: {report_dir / 'junit.xml'}")
    return PYTEST_TO_EXIT.get(code, code)


def cmd_serve(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="dg-entitlements serve", description="Run the fake Deepgram standalone.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--accounts", default="src/dg_entitlements/data/fake-deepgram.toml", help="fake server accounts TOML")
    parser.add_argument("--region", default=None, help="serve as a regional host (404 on /v1/projects/*)")
    parser.add_argument("--latency-ms", type=int, default=None)
    ns = parser.parse_args(list(argv))
    from .fake.config import load_fake_config
    from .fake.server import serve_forever

    from .defaults import FAKE_CONFIG

    config = load_fake_config(Path(ns.accounts) if ns.accounts else FAKE_CONFIG)
    print(f"fake Deepgram on http://{ns.host}:{ns.port} (REST) and ws://{ns.host}:{ns.port} (WebSocket)",
          flush=True)
    serve_forever(config, host=ns.host, port=ns.port, region=ns.region, latency_ms=ns.latency_ms)
    return EXIT_OK


def cmd_render(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="dg-entitlements render",
                                     description="Re-render the HTML report from a saved run JSON.")
    parser.add_argument("run_json")
    parser.add_argument("-o", "--output", default=None)
    ns = parser.parse_args(list(argv))
    from .fsutil import atomic_write_text
    from .report.html import render_page
    from .report.json import read_json

    run = read_json(Path(ns.run_json))
    out = Path(ns.output) if ns.output else Path(ns.run_json).with_suffix(".html")
    atomic_write_text(out, render_page(run))
    print(f"report: {out}")
    return EXIT_OK


def cmd_diff(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="dg-entitlements diff",
                                     description="What was gained and lost between two runs, per account.")
    parser.add_argument("old")
    parser.add_argument("new")
    ns = parser.parse_args(list(argv))
    from .drift import compare, render_drift_text
    from .report.json import read_json

    drifts = compare(read_json(Path(ns.old)), read_json(Path(ns.new)))
    print(render_drift_text(drifts))
    return EXIT_CONTRACT_BROKEN if any(d.change == "lost" for d in drifts) else EXIT_OK


def cmd_explain(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="dg-entitlements explain",
        description="Probe the exact request your code makes and explain Deepgram's answer. The key comes from "
                    "the request's Authorization header or from --key-env; it is never printed.")
    parser.add_argument("url", help="the wss:// or https:// URL your code uses, query string included")
    parser.add_argument("-X", "--method", default=None)
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument("--body", default=None, help="a file with the request body")
    parser.add_argument("--key-env", default="DEEPGRAM_API_KEY", help="where to read the key if no header gives it")
    parser.add_argument("--catalogue", default="src/dg_entitlements/data/catalogue.toml")
    parser.add_argument("--no-controls", action="store_true", help="send only the request itself")
    ns = parser.parse_args(list(argv))
    from .catalogue import load_catalogue
    from .explain import explain
    from .model import Verdict

    from .defaults import CATALOGUE

    catalogue = load_catalogue(Path(ns.catalogue) if ns.catalogue else CATALOGUE)
    text, verdict = explain(catalogue, ns.url, ns.method, ns.header, ns.body, os.environ.get(ns.key_env),
                            controls=not ns.no_controls)
    print(text)
    return EXIT_OK if verdict is Verdict.ENTITLED else EXIT_CONTRACT_BROKEN


def cmd_record(args: Sequence[str]) -> int:
    """Record cassettes: from the embedded fake by default, or live with --dg-mode live."""
    args = list(args)
    if not any(a.startswith("--dg-mode") for a in args):
        args = ["--dg-mode", "fake", *args]
    return cmd_check(["--dg-record", *args])


COMMANDS = {"check": cmd_check, "serve": cmd_serve, "render": cmd_render, "diff": cmd_diff, "explain": cmd_explain,
            "record": cmd_record}


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM (a killed CI worker) ends the run like Ctrl-C, so the partial report is still written."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: dg-entitlements {" + ",".join(COMMANDS) + "} [options]  (see README)")
        return EXIT_OK if argv else EXIT_USAGE
    command = COMMANDS.get(argv[0])
    if command is None:
        print(f"dg-entitlements: unknown command {argv[0]!r}; use one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return command(argv[1:])
    except ConfigError as exc:
        print(f"dg-entitlements: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dg-entitlements: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())

"""`dg-entitlements`: a thin consumer of the engine, one small function per command.

Exit codes (the same for every command): 0 as expected; 1 contract broken; 2 usage or input error
(one line on stderr); 3 nothing, or too little, was measured; 4 internal error (a bug in the tool,
never reported as a broken contract); 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_NOTHING_MEASURED, EXIT_OK, EXIT_USAGE, ConfigError

PROG = "dg-entitlements"


def _suite_parser(prog: str, description: str) -> argparse.ArgumentParser:
    from .pytest_plugin import add_options

    parser = argparse.ArgumentParser(prog=prog, description=description, formatter_class=_Formatter, add_help=False)
    parser.add_argument("-h", "--help", action="help", help="show this help (check: then pytest's options)")
    group = parser.add_argument_group("suite options (flags > dg-entitlements.toml > defaults)")

    class Group:
        def addoption(self, *names: str, **kwargs: Any) -> None:
            if names == ("--dg",):
                return
            group.add_argument(*names, **kwargs)

    add_options(Group())
    return parser


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=110)


def _options(ns: argparse.Namespace) -> Any:
    from .config import resolve_options
    from .pytest_plugin import flags_from

    return resolve_options(flags_from(ns), Path.cwd())


def choose_color(choice: str, isatty: bool, env: Mapping[str, str]) -> bool:
    """`--color auto|always|never`; on auto, NO_COLOR (no-color.org) turns colour off on a terminal."""
    if choice not in ("auto", "always", "never"):
        raise ConfigError("--color", choice, "unknown colour choice", "use auto, always or never")
    if choice == "auto":
        return isatty and not env.get("NO_COLOR")
    return choice == "always"


def _color(argv: list[str]) -> tuple[list[str], bool]:
    choice = "auto"
    rest = []
    for arg in argv:
        if arg.startswith("--color="):
            choice = arg.split("=", 1)[1]
        else:
            rest.append(arg)
    return rest, choose_color(choice, sys.stdout.isatty(), os.environ)


# ------------------------------------------------------------------------------------------- check

CHECK_HELP = """Probe every account x combination and check each against its expectation.

Any other option is passed to pytest (e.g. -k flux, -m "not unverified", --html=FILE, -x, -v).
Writes entitlements.html (the report), entitlements.json (the run result) and junit.xml to the
report folder. Exit: 0 as expected, 1 contract broken, 2 bad input, 3 too little measured.
"""


class _Catcher:
    """Receives the suite's state from inside pytest (the CLI is a consumer like any other)."""

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self.probed = False

    def pytest_unconfigure(self, config: Any) -> None:
        from .pytest_plugin import STATE_KEY

        state = config.stash.get(STATE_KEY, None)
        if state is not None and state.result is not None:
            self.probed = True
            self.exit_code = state.exit_code


def cmd_check(argv: Sequence[str]) -> int:
    argv, color = _color(list(argv))
    parser = _suite_parser(f"{PROG} check", CHECK_HELP)
    if "-h" in argv or "--help" in argv:
        import pytest

        print(parser.format_help())
        print("pytest's own options, all passed through:\n", flush=True)
        pytest.main(["--help", "-p", "no:cacheprovider"])
        return EXIT_OK
    ns, pytest_args = parser.parse_known_args(argv)  # pytest parses all of argv again
    options = _options(ns)
    from .config import check_keys, load
    from .outputs import check_report_dir

    loaded = load(options)
    check_keys(loaded)
    check_report_dir(options.path(options.report_dir))  # a bad folder is one line before pytest starts
    if options.mode == "replay" and not any(a.startswith(("-k", "-m")) for a in pytest_args):
        from .engine import all_pairs
        from .modes import check_cassettes

        check_cassettes(loaded, all_pairs(loaded))  # one clear line before pytest starts, not mid-run
    import pytest

    from .defaults import DATA

    catcher = _Catcher()
    # Only the suite's own plugin: `check` runs no test file of the host, so the host's installed pytest plugins
    # would change nothing but the start-up. Loading them, and the assertion rewriting pytest then applies to
    # every module of each plugin's distribution (this package's 80 modules included), was 0.3 s of the 0.75 s
    # before the first probe (benchmarks/run.py, start-up). Asked for pytest-html's report (it needs its own
    # companions, pytest-metadata), plugins load as pytest loads them.
    wants_html = any(a.startswith(("--html", "--self-contained-html", "--css")) for a in argv)
    own = [] if wants_html else ["--disable-plugin-autoload", "-p", "dg_entitlements.pytest_plugin"]
    args = [*own,
            "--dg", "-q", "-rN", "-p", "no:cacheprovider", "-c", str(DATA / "pytest.ini"), "--rootdir",
            str(DATA), "--color=" + ("yes" if color else "no"), "-W", "ignore::pytest.PytestAssertRewriteWarning",
            *argv, str(DATA)]
    code = int(pytest.main(args, plugins=[catcher]))
    if code == pytest.ExitCode.INTERRUPTED:
        return EXIT_INTERRUPTED
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_USAGE
    if code == pytest.ExitCode.INTERNAL_ERROR:
        return EXIT_INTERNAL
    if not catcher.probed:
        print(f"{PROG}: nothing was probed (no cell selected); the last reports are left as they were",
              file=sys.stderr)
        return EXIT_NOTHING_MEASURED
    return catcher.exit_code if catcher.exit_code is not None else EXIT_INTERNAL


def cmd_record(argv: Sequence[str]) -> int:
    """Record cassettes: from the embedded fake by default, or live with --dg-mode live."""
    args = list(argv)
    if not any(a.startswith("--dg-mode") for a in args):
        args = ["--dg-mode", "fake", *args]
    return cmd_check(["--dg-record", *args])


# -------------------------------------------------------------------------------------------- init


def cmd_init(argv: Sequence[str]) -> int:
    parser = _suite_parser(f"{PROG} init", "Probe the account(s) and write the expectations file from what was "
                                           "observed, for you to review and commit; later runs are the contract.")
    parser.add_argument("-o", "--output", default="dg-accounts.toml", help="expectations file to write")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    ns = parser.parse_args(list(argv))
    from . import engine
    from .config import CONFIG_FILE, check_keys, load
    from .expectations import render_expectations, write_config
    from .fsutil import atomic_write_text
    from .progress import Progress

    out = Path(ns.output)
    if out.exists() and not ns.force:
        raise ConfigError(str(out), "--output", "already exists", "review it, or pass --force to overwrite")
    options = _options(ns)
    loaded = load(options)
    check_keys(loaded)
    result = engine.run(loaded, handlers=[Progress(lambda s: print(s, file=sys.stderr))])
    atomic_write_text(out, render_expectations(loaded, result))
    print(f"wrote {out}: the expectations observed for {len(loaded.accounts.accounts)} account(s); review it")
    if options.config_file is None:
        config = write_config(Path(CONFIG_FILE), options, out)
        print(f"wrote {config}: the next `{PROG} check` here uses {out}")
    else:
        print(f"next: {PROG} check --dg-accounts {out}")
    return EXIT_OK if result.headline.startswith("Contract kept") or result.cells else EXIT_NOTHING_MEASURED


# ----------------------------------------------------------------------------------------- explain


def _env_key(headers: Sequence[str], variable: str) -> str | None:
    """The key from the environment, cleaned and checked like every key the suite reads, unless a
    header already carries the credential (then a stale variable must not stop the explain)."""
    from .keyfile import check_env_key

    value = os.environ.get(variable) or None  # set but empty is unset, as for every account's key_env
    named = {h.partition(":")[0].strip().lower() for h in headers}
    if value is None or named & {"authorization", "sec-websocket-protocol"}:
        return value
    return check_env_key(value, variable, "explain", "--key-env")


def cmd_explain(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} explain", formatter_class=_Formatter,
        description="Send the exact request your code makes and explain Deepgram's answer, or (--offline) "
                    "explain an answer you already have. The key comes from the request's own credential "
                    "(-H) or from --key-env; it is never printed.")
    parser.add_argument("url", help="the wss:// or https:// URL your code uses, query string included")
    parser.add_argument("-X", "--method", default=None, help="default: the endpoint's own method")
    parser.add_argument("-H", "--header", action="append", default=[],
                        help="'Name: value', repeatable; Authorization and Sec-WebSocket-Protocol included")
    parser.add_argument("--body", default=None, help="a file with the request body (JSON or audio)")
    parser.add_argument("--audio", default=None, help="an audio file: the body of a REST request, or streamed "
                                                      "on a WebSocket so a silent stream can be judged")
    parser.add_argument("--key-env", default="DEEPGRAM_API_KEY", help="where to read the key if no header gives it")
    parser.add_argument("--catalogue", default=None, help="combinations TOML (default: shipped)")
    parser.add_argument("--no-controls", action="store_true", help="send only the request itself")
    parser.add_argument("--json", action="store_true", help="print the judgement and diagnosis as JSON")
    offline = parser.add_argument_group("--offline: diagnose an answer you already have, send nothing")
    offline.add_argument("--offline", action="store_true")
    offline.add_argument("--status", type=int, default=None, help="the HTTP status you saw")
    offline.add_argument("--response-header", action="append", default=[], help="'Name: value' of the answer")
    offline.add_argument("--response-body", default=None, help="the answer's body (text)")
    offline.add_argument("--close-code", type=int, default=None)
    offline.add_argument("--close-reason", default=None)
    offline.add_argument("--client-error", default=None, help="the error text your client printed")
    offline.add_argument("--all-headers", action="store_true",
                         help="the -H list is every header the request carried (no Authorization: none was sent)")
    ns = parser.parse_args(list(argv))
    from .catalogue import load_catalogue
    from .defaults import CATALOGUE
    from .explain import as_json, explain_run, parse_user_request, read_body, render
    from .model import Verdict

    catalogue = load_catalogue(Path(ns.catalogue) if ns.catalogue else CATALOGUE)
    if ns.offline:
        return _explain_offline(ns, catalogue)
    body = read_body(ns.body, "--body") or read_body(ns.audio, "--audio")
    req = parse_user_request(catalogue, ns.url, ns.method, ns.header, body, _env_key(ns.header, ns.key_env))
    result = explain_run(catalogue, req, controls=not ns.no_controls)
    cell = result.cells[0]
    if cell.observation is None or cell.judgement is None:
        raise ConfigError("explain", ns.url, cell.skipped_reason or "not sent", "check the URL")
    print(as_json(cell.judgement, cell.diagnosis, cell.observation) if ns.json else render(req, cell))
    if cell.judgement.verdict is Verdict.ENTITLED:
        return EXIT_OK
    return EXIT_NOTHING_MEASURED if cell.judgement.verdict.is_inconclusive else 1


def _explain_offline(ns: argparse.Namespace, catalogue: Any) -> int:
    from .explain import as_json
    from .offline import SeenAnswer, diagnose_answer
    from .secrets import scrub

    headers = {}
    for header in ns.response_header:
        name, sep, value = header.partition(":")
        if not sep:
            raise ConfigError("explain", "--response-header", "must be 'Name: value'", "e.g. 'dg-error: ...'")
        headers[name.strip().lower()] = value.strip()
    if all(v is None for v in (ns.status, ns.response_body, ns.close_code, ns.client_error)) and not headers:
        raise ConfigError("explain --offline", "", "no answer given",
                          "give at least one of --status, --response-body, --close-code, --client-error")
    answer = SeenAnswer(status=ns.status, headers=headers, body=ns.response_body, close_code=ns.close_code,
                        close_reason=ns.close_reason, client_error=ns.client_error)
    judgement, diagnosis = diagnose_answer(ns.url, answer, method=ns.method, headers=ns.header, catalogue=catalogue,
                                           headers_complete=ns.all_headers)
    if ns.json:
        print(as_json(judgement, diagnosis, None))
    else:
        lines = [f"verdict:  {judgement.verdict.value}: {judgement.reason}"]
        if diagnosis is not None:
            lines += [f"cause:    {diagnosis.title}", f"remedy:   {diagnosis.remedy}"]
            lines += [f"  - {ev.label}: {ev.value}" for ev in diagnosis.evidence]
            if getattr(diagnosis, "candidates", ()):
                lines.append("candidates: " + ", ".join(diagnosis.candidates))
        print(scrub("\n".join(lines)))
    return EXIT_OK


# ------------------------------------------------------------------------------------ the rest


def cmd_serve(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"{PROG} serve", description="Run the fake Deepgram standalone.")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--accounts", default=None, help="fake server accounts TOML (default: shipped)")
    parser.add_argument("--region", default=None, help="serve as a regional host (404 on /v1/projects/*)")
    parser.add_argument("--latency-ms", type=int, default=None)
    ns = parser.parse_args(list(argv))
    if not 0 <= ns.port <= 65535:
        raise ConfigError("--port", str(ns.port), "not a port number", "use 0..65535")
    from .defaults import FAKE_CONFIG
    from .fake.config import load_fake_config
    from .fake.server import serve_forever

    config = load_fake_config(Path(ns.accounts) if ns.accounts else FAKE_CONFIG)
    print(f"fake Deepgram on http://{ns.host}:{ns.port} (REST) and ws://{ns.host}:{ns.port} (WebSocket)",
          flush=True)
    serve_forever(config, host=ns.host, port=ns.port, region=ns.region, latency_ms=ns.latency_ms)
    return EXIT_OK


def cmd_render(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"{PROG} render",
                                     description="Re-render the HTML report from a saved run JSON (or a checkpoint).")
    parser.add_argument("run_json")
    parser.add_argument("-o", "--output", default=None)
    ns = parser.parse_args(list(argv))
    from .fsutil import atomic_write_text
    from .outputs import read_checkpoint
    from .report.html import render_page
    from .report.json import read_json
    from .secrets import scrub

    source = Path(ns.run_json)
    run = read_checkpoint(source) if source.suffix == ".jsonl" else read_json(source)
    out = Path(ns.output) if ns.output else source.with_suffix(".html")
    if out.is_dir():
        raise ConfigError(str(out), "-o", "is a folder", "give a file name, e.g. -o report.html")
    atomic_write_text(out, scrub(render_page(run)))
    print(f"report: {out}")
    return EXIT_OK


def cmd_diff(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog=f"{PROG} diff",
                                     description="What was gained and lost between two runs, per account.")
    parser.add_argument("old")
    parser.add_argument("new")
    ns = parser.parse_args(list(argv))
    from .drift import compare, render_drift_text
    from .report.json import read_json

    drifts = compare(read_json(Path(ns.old)), read_json(Path(ns.new)))
    print(render_drift_text(drifts))
    return 1 if any(d.change == "lost" for d in drifts) else EXIT_OK


def cmd_history(argv: Sequence[str]) -> int:
    from .report.history import cmd_history as history

    return history(argv)


def cmd_proxy(argv: Sequence[str]) -> int:
    from .proxy.cli import cmd_proxy as proxy

    return proxy(argv)


COMMANDS: dict[str, tuple[Callable[[Sequence[str]], int], str]] = {
    "check": (cmd_check, "probe every account x combination, check expectations, write the reports"),
    "init": (cmd_init, "probe the account(s) and write an expectations file from what was observed"),
    "explain": (cmd_explain, "send your app's exact request (or --offline: an answer you have) and explain it"),
    "proxy": (cmd_proxy, "a local proxy that explains what your app's own requests get"),
    "serve": (cmd_serve, "run the embedded fake Deepgram standalone"),
    "record": (cmd_record, "record cassettes (from the fake, or --dg-mode live)"),
    "render": (cmd_render, "re-render the HTML report from a run JSON"),
    "diff": (cmd_diff, "what was gained and lost between two runs"),
    "history": (cmd_history, "a timeline per account from several runs"),
}


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [f"usage: {PROG} COMMAND [options]   ({PROG} COMMAND --help for its options)", "",
             "Deepgram entitlement contract suite: which account gets which model, and why.", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()]
    lines += ["", "exit codes: 0 as expected, 1 contract broken, 2 bad input, 3 too little measured, "
                  "4 internal error, 130 interrupted"]
    return "\n".join(lines)


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM (a killed CI worker) ends the run like Ctrl-C, so the partial report is still written."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return EXIT_OK if argv else EXIT_USAGE
    if argv[0] in ("-V", "--version"):
        print(f"{PROG} {__version__}")
        return EXIT_OK
    entry = COMMANDS.get(argv[0])
    if entry is None:
        print(f"{PROG}: unknown command {argv[0]!r}; use one of: {', '.join(COMMANDS)}", file=sys.stderr)
        return EXIT_USAGE
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return entry[0](argv[1:])
    except ConfigError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_pipe()
        return EXIT_OK
    except SystemExit:
        raise
    except Exception as exc:  # a bug in the tool: one line, the traceback only when asked for
        from .secrets import scrub

        print(f"{PROG}: internal error: {scrub(f'{type(exc).__name__}: {exc}')} (set DG_ENTITLEMENTS_DEBUG=1 "
              "for the traceback; please report it)", file=sys.stderr)
        if os.environ.get("DG_ENTITLEMENTS_DEBUG"):
            traceback.print_exc()
        return EXIT_INTERNAL


def _quiet_pipe() -> None:
    """`dg-entitlements ... | head`: the reader left; exit quietly, no traceback at shutdown."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def entry_point() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_pipe()
        code = EXIT_OK
    raise SystemExit(code)


if __name__ == "__main__":
    entry_point()

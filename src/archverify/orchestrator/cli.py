"""The command line: parses arguments and hands over to one command module per subcommand."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence

from archverify import __version__
from archverify.core.config import STEP_ORDER
from archverify.orchestrator.commands.arguments import add_path_and_config
from archverify.orchestrator.report_outputs import format_help

_RUN_EPILOG = """\
exit codes:
  0  no finding of severity error
  1  at least one error finding, or a step that could not run
  2  usage or configuration error
  130, 143, 129  stopped by Ctrl-C, SIGTERM or SIGHUP: children ended, no report written

examples:
  archverify run                         verify the current directory
  archverify run ../service --steps compile,purity,contracts
  archverify run --format json --output report.json
  archverify run --format text --format sarif=out.sarif --format junit=out.xml
  archverify run --format html=report.html --no-baseline
  archverify run --untrusted             a fork's pull request, outside a sandbox

the steps, in the runbook's order:
  compile     every file compiles (syntax and symtable errors, undecodable bytes)
  purity      no I/O call and no __main__ block in the pure packages
  contracts   import-linter contracts: layers, forbidden, independence, ...
  ruff        ruff, with the project's own configuration
  mypy        mypy, with the project's own configuration
  boundaries  calls and imports forbidden in some packages
  snapshots   the public API against the snapshot file (archverify snapshot)
  cycles      import cycles at import time (errors) and through lazy imports
  imports     every module imports in a clean interpreter
  bandit      bandit, with a severity threshold
  tests       pytest with coverage and a minimum percentage
`archverify explain RULE` documents every rule.
"""


INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C (128 + SIGINT)
# Stopping archverify with these is stopping it with Ctrl-C: children ended, no report.
# (Windows has no SIGHUP.)
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised in the main thread where Ctrl-C raises KeyboardInterrupt, so
    that the same clean-up runs; the exit code is 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    # Once: a second signal while the children are being ended must not cut that short.
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    raise Stopped(signum)


def _interrupted_code(stop: KeyboardInterrupt) -> int:
    return 128 + stop.signum if isinstance(stop, Stopped) else INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="archverify",
        description="Prove a layered Python codebase is architecturally sound in one command.",
    )
    parser.add_argument("--version", action="version", version=f"archverify {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run",
        help="run the verification steps and report",
        description="Run every configured verification step on PATH and print one report.",
        epilog=_RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_path_and_config(run)
    run.add_argument(
        "--steps",
        metavar="A,B,...",
        help="comma-separated steps to run, overriding the config's `steps` "
        f"(known: {', '.join(STEP_ORDER)})",
    )
    run.add_argument(
        "--format",
        dest="formats",
        action="append",
        metavar="FORMAT[=FILE]",
        help=format_help(),
    )
    run.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel workers for parsing and steps, at least 1 (default: CPU count, "
        f"{os.cpu_count()}; more than 4 per CPU are lowered to that)",
    )
    run.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache folder"
    )
    run.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="cache folder (default: PATH/.archverify_cache): new, empty or archverify's own",
    )
    run.add_argument(
        "--fail-fast",
        action="store_true",
        help="run the steps one by one in the runbook's order (imports and tests, which run the "
        "project's code, last) and stop after the first failure",
    )
    run.add_argument(
        "--cache-tests",
        action="store_true",
        help="also replay the tests step from the cache when its inputs did not change",
    )
    run.add_argument(
        "--no-baseline",
        action="store_true",
        help="report every finding, including those accepted in the baseline file",
    )
    run.add_argument(
        "--untrusted",
        action="store_true",
        help="for code you did not write (a fork's pull request): run only the steps that "
        "execute none of the project's code; imports, tests, and mypy when the project's mypy "
        "configuration names plugins, are left out and the report says so",
    )
    run.add_argument(
        "--debug", action="store_true", help="show Python tracebacks of internal errors"
    )

    # Each command module registers its own subcommand and options.
    from archverify.orchestrator.commands.baseline import add_baseline_parser
    from archverify.orchestrator.commands.explain import add_explain_parser
    from archverify.orchestrator.commands.graph import add_graph_parser
    from archverify.orchestrator.commands.init import add_init_parser
    from archverify.orchestrator.commands.snapshot import add_snapshot_parser

    add_init_parser(commands)
    add_baseline_parser(commands)
    add_snapshot_parser(commands)
    add_explain_parser(commands)
    add_graph_parser(commands)
    return parser


def console_main() -> None:
    """The ``archverify`` command and ``python -m archverify``."""
    _own_the_process()
    code = main()
    if code > 128:
        # The children are stopped, but a step's thread may still wait on a pipe that the
        # dying child holds; leave now rather than join it. The import server sees its
        # parent gone and kills what it started.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


def _own_the_process() -> None:
    """What only the command line may do to its process: take SIGTERM and SIGHUP like Ctrl-C,
    and adopt every orphan of the processes it starts (see executors.children)."""
    for number in STOP_SIGNALS:
        if signal.getsignal(number) is not signal.SIG_IGN:  # nohup: leave it ignored
            signal.signal(number, _stop)
    if len(sys.argv) > 1 and sys.argv[1] != "--version":
        from archverify.executors.runtime.children import become_subreaper

        become_subreaper()


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == ["--version"]:
        # Answered before the parser imports every command: `--version` must start instantly.
        print(f"archverify {__version__}")
        return 0
    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    try:
        if args.command == "run":
            from archverify.orchestrator.commands.run import run_from_args

            return run_from_args(args)
        if args.command == "baseline":
            from archverify.orchestrator.commands.baseline import baseline_from_args

            return baseline_from_args(args)
        if args.command == "init":
            from archverify.orchestrator.commands.init import init_from_args

            return init_from_args(args)
        if args.command == "snapshot":
            from archverify.orchestrator.commands.snapshot import snapshot_from_args

            return snapshot_from_args(args)
        if args.command == "graph":
            from archverify.orchestrator.commands.graph import graph_from_args

            return graph_from_args(args)
        if args.command == "explain":
            from archverify.orchestrator.commands.explain import explain_from_args

            return explain_from_args(args)
    except KeyboardInterrupt as stop:
        # The scheduler has already stopped every child it started.
        how = (
            f"stopped by {signal.Signals(stop.signum).name}"
            if isinstance(stop, Stopped)
            else "interrupted"
        )
        print(f"archverify: {how}", file=sys.stderr)
        return _interrupted_code(stop)
    except Exception as error:  # the last line of defence: no traceback without --debug
        if debug:
            raise
        print(
            f"archverify: internal error: {type(error).__name__}: {error}\n"
            "Run again with --debug for the traceback, and please report it.",
            file=sys.stderr,
        )
        return 1
    parser.print_help()
    return 2

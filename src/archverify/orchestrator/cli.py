"""The command line: parses arguments and hands over to one command module per subcommand."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from collections.abc import Callable, Sequence

from archverify import __version__

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


# Each command module registers its own subcommand, its options and its handler.
_COMMANDS: dict[str, str] = {
    "run": "archverify.orchestrator.commands.run:add_run_parser",
    "init": "archverify.orchestrator.commands.init:add_init_parser",
    "baseline": "archverify.orchestrator.commands.baseline:add_baseline_parser",
    "snapshot": "archverify.orchestrator.commands.snapshot:add_snapshot_parser",
    "explain": "archverify.orchestrator.commands.explain:add_explain_parser",
    "graph": "archverify.orchestrator.commands.graph:add_graph_parser",
    "merge": "archverify.orchestrator.commands.merge:add_merge_parser",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of ``command`` when it is one: a run then imports
    none of the other commands' modules (and what they import)."""
    parser = argparse.ArgumentParser(
        prog="archverify",
        description="Prove a layered Python codebase is architecturally sound in one command.",
    )
    parser.add_argument("--version", action="version", version=f"archverify {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, where in _COMMANDS.items():
        if command in _COMMANDS and name != command:
            continue
        module, _, function = where.partition(":")
        getattr(importlib.import_module(module), function)(commands)
    return parser


def console_main() -> None:
    """The ``archverify`` command and ``python -m archverify``."""
    _own_the_process()
    code = main()
    if code > 128:
        # The children are stopped, but a step's thread may still wait on a pipe that the
        # dying child holds; leave now rather than join it. The import server sees its
        # parent gone and kills what it started. os._exit skips atexit and the threads'
        # ``finally`` blocks: the scratch folders are removed here.
        from archverify.executors.runtime.scratch import remove_all

        remove_all()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    raise SystemExit(code)


def _own_the_process() -> None:
    """What only the command line may do to its process: take SIGTERM and SIGHUP like Ctrl-C,
    and adopt every orphan of the processes it starts (see executors.runtime.children)."""
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
    parser = build_parser(arguments[0] if arguments else None)
    args = parser.parse_args(arguments)
    if args.command is None:
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    handler: Callable[[argparse.Namespace], int] = args.handler  # set by each add_*_parser
    try:
        return handler(args)
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

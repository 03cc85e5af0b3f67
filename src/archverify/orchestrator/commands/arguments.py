"""Arguments that several subcommands share, declared once so their help stays the same."""

from __future__ import annotations

import argparse

from archverify.orchestrator.report_outputs import format_help


def add_path_and_config(parser: argparse.ArgumentParser) -> None:
    """``[PATH]`` and ``--config FILE``, as every command that reads a project takes them."""
    parser.add_argument("path", nargs="?", default=".", help="project directory (default: .)")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file, either layout: a [tool.archverify] table (pyproject-style) "
        "or archverify keys at its top level (default: PATH/archverify.toml, else "
        "PATH/pyproject.toml [tool.archverify])",
    )


def add_report_options(parser: argparse.ArgumentParser) -> None:
    """``--format`` and ``--output``: the reports ``run`` and ``merge`` write."""
    parser.add_argument(
        "--format",
        dest="formats",
        action="append",
        metavar="FORMAT[=FILE]",
        help=format_help(),
    )
    parser.add_argument(
        "--output", metavar="FILE", help="write the report to FILE instead of stdout"
    )


def add_no_baseline(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-baseline",
        action="store_true",
        help="report every finding, including those accepted in the baseline file",
    )


def add_errors_only(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--errors-only",
        action="store_true",
        help="list only error findings in the reports a person reads (text, markdown); the "
        "verdict still counts the warnings, the exit code is the same, and the machine formats "
        "(json, sarif, junit, github, html) keep every finding",
    )


def add_no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the cache folder"
    )


def add_debug(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="show Python tracebacks of internal errors"
    )

"""Arguments that several subcommands share, declared once so their help stays the same."""

from __future__ import annotations

import argparse


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

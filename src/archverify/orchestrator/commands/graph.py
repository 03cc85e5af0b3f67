"""``archverify graph``: the picture of the layers alone, as SVG, DOT or Mermaid."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from archverify.orchestrator.atomic_write import as_written, write_atomic
from archverify.orchestrator.commands.arguments import add_path_and_config
from archverify.orchestrator.config.loader import ConfigError
from archverify.orchestrator.report_outputs import UsageError

if TYPE_CHECKING:
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

# The steps whose findings colour the picture red: broken contracts, forbidden imports, cycles.
_PICTURE_STEPS = "compile,contracts,boundaries,cycles"


def add_graph_parser(commands: Subcommands) -> None:
    parser = commands.add_parser(
        "graph",
        help="draw the layers, packages and imports (violations in red)",
        description="Write the architecture picture of PATH: layers as bands, packages and "
        "modules as boxes, allowed imports grey, the reported violations and cycles red. Past "
        "30 boxes each layer member becomes one box; the SVG then holds the picture of each "
        "such package too, linked from its box.",
    )
    add_path_and_config(parser)
    parser.add_argument(
        "--format",
        choices=("svg", "dot", "mermaid"),
        default="svg",
        help="picture format (default: svg)",
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument("--no-cache", action="store_true", help="do not use the cache folder")
    parser.set_defaults(handler=graph_from_args)


def graph_from_args(args: argparse.Namespace) -> int:
    from archverify.orchestrator.commands.run import RunOptions, execute
    from archverify.orchestrator.report_outputs import OutputRequest
    from archverify.processors.formats.architecture_layout import build_layout
    from archverify.processors.formats.architecture_svg import (
        render_standalone_svg,
        to_dot,
        to_mermaid,
    )

    options = RunOptions(
        path=args.path,
        steps=_PICTURE_STEPS,
        config=args.config,
        no_cache=args.no_cache,
        # Checked like a report's destination, before anything runs.
        outputs=(OutputRequest(args.format, args.output),) if args.output else (),
    )
    try:
        result = execute(options)
    except (UsageError, ConfigError) as error:
        print(f"archverify: error: {error}", file=sys.stderr)
        return 2
    layout = build_layout(result.project, result.config, result.report.findings)
    render = {"svg": render_standalone_svg, "dot": to_dot, "mermaid": to_mermaid}[args.format]
    text = render(layout)
    if args.output:
        write_atomic(as_written(args.output), text)
    else:
        sys.stdout.write(text)
    return 0

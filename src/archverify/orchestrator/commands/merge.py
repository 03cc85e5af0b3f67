"""``archverify merge PARTIAL...``: the shards' partial reports as the one report of one run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from archverify import __version__
from archverify.core.config import STEP_ORDER
from archverify.core.findings import StepOutcome
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.core.shard_durations import DurationsError
from archverify.core.steps import default
from archverify.executors.base import StepContext
from archverify.orchestrator.commands.arguments import (
    add_debug,
    add_errors_only,
    add_no_baseline,
    add_no_cache,
    add_report_options,
)
from archverify.orchestrator.commands.run import (
    LoadedProject,
    RunOptions,
    import_count_of,
    load_project,
    write_outputs,
)
from archverify.orchestrator.config.loader import ConfigError
from archverify.orchestrator.finding_filters import apply_processors
from archverify.orchestrator.report_outputs import (
    UsageError,
    parse_requests,
)
from archverify.orchestrator.shard_durations import write_durations_file
from archverify.orchestrator.sharding import config_digest, tree_digest
from archverify.processors.formats.common import safe_text
from archverify.processors.ordering import ordered_findings
from archverify.processors.partial import (
    Partial,
    PartialError,
    changes_of,
    merge_partials,
    read_partial,
    refusal,
)

_DESCRIPTION = """\
Merge the partial reports of the shards of one run (`archverify run --shard I/N --partial FILE`)
into the report one unsharded run gives: every format, inline suppressions and the baseline
applied once, the same exit code. Run it in a checkout of the commit the shards verified: the
suppressions, the baseline and the picture are read from it.
"""
_EPILOG = """\
exit codes:
  0  no finding of severity error
  1  at least one error finding (a missing or twice-given shard is one), or a step that
     could not run
  2  usage error, a file that is not a partial report, or partials of different commits,
     trees, configurations, tool versions or shard counts, or of shards split from
     different durations files; a --durations-out FILE there that is not a durations file

example:
  archverify merge shard-*.json --format text --format sarif=archverify.sarif
  archverify merge shard-*.json --durations-out archverify-durations.json
"""


def add_merge_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``archverify merge PARTIAL... [--root DIR] [--format ...] ...``."""
    merge = commands.add_parser(
        "merge",
        help="merge the partial reports of a sharded run into one report",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument("partials", nargs="+", metavar="PARTIAL", help="partial report files")
    merge.add_argument(
        "--root",
        default=".",
        metavar="DIR",
        help="the checkout the shards verified (default: .): its baseline, suppressions and "
        "configuration apply",
    )
    merge.add_argument(
        "--config",
        metavar="FILE",
        help="configuration file, as the shards' `run --config` named it",
    )
    add_report_options(merge)
    add_no_baseline(merge)
    merge.add_argument(
        "--baseline",
        metavar="FILE",
        help="the baseline file to apply (default: the config's `baseline`, else "
        "DIR/archverify-baseline.json when it exists)",
    )
    add_errors_only(merge)
    add_no_cache(merge)
    merge.add_argument(
        "--cache-dir", metavar="DIR", help="cache folder (default: DIR/.archverify_cache)"
    )
    merge.add_argument(
        "--durations-out",
        metavar="FILE",
        help="also write the seconds the shards measured (each step's, each test module's) to "
        "FILE, for the next run's `run --shard I/N --durations FILE`; a durations file already "
        "there is updated: what this run did not measure keeps its older seconds while its "
        "test module or module is still in the tree (docs/ci.md)",
    )
    add_debug(merge)
    merge.set_defaults(handler=merge_from_args)


def merge_from_args(args: argparse.Namespace) -> int:
    try:
        requests = parse_requests(args.formats, args.output)
        partials = [_read(name) for name in args.partials]
        problem = refusal(partials)
        if problem is not None:
            raise UsageError(problem)
        options = RunOptions(
            path=args.root,
            config=args.config,
            no_cache=args.no_cache,
            cache_dir=args.cache_dir,
            outputs=tuple(requests),
        )
        loaded = load_project(options)
        here = tree_digest(loaded.root, loaded.project)
        if here != partials[0].identity["tree"]:
            raise UsageError(
                f"{args.root} is not the tree the shards verified (its files differ): run the "
                "merge in a checkout of their commit"
                + (f" {partials[0].identity['commit']}" if partials[0].identity["commit"] else "")
            )
        steps = [o.step for o in partials[0].steps]
        if (
            config_digest(loaded.root, loaded.config.config_file, steps)
            != partials[0].identity["config"]
        ):
            raise UsageError(
                f"the configuration in {args.root} is not the one the shards ran with: merge "
                "in their checkout, with the --config they were given"
            )
        minimum = loaded.config.tool("tests").options.get(
            "coverage_min", default("tests", "coverage_min")
        )
        merged = merge_partials(partials, STEP_ORDER, float(minimum))
        project = loaded.project
        _merge_imports(merged.steps, partials, loaded)
        report = RunReport(
            tool="archverify",
            version=__version__,
            root=str(loaded.root),
            steps=merged.steps,
            findings=ordered_findings(f for o in merged.steps for f in o.findings),
            summary={
                "files": len(loaded.discovery.files),
                "modules": len(project.modules),
                "imports": import_count_of(project),
                "duration_s": merged.duration_s,
            },
            notices=merged.notices,
        )
        report = apply_processors(
            report,
            project,
            loaded.config,
            use_baseline=not args.no_baseline,
            baseline_file=args.baseline,
            # The shards' --changed-since: the split into new and existing is made here, once.
            changes=changes_of(partials[0]),
        )
        if args.durations_out is not None:
            write_durations_file(args.durations_out, partials, _in_tree(loaded.root, project))
    except (UsageError, ConfigError, PartialError, DurationsError) as error:
        print(f"archverify: error: {safe_text(str(error), multiline=True)}", file=sys.stderr)
        return 2
    return write_outputs(report, project, loaded.config, requests, args.errors_only)


def _in_tree(root: Path, project: Project) -> Callable[[str, str], bool]:
    """Whether a recorded unit is still there: a module of the project, or a file (a test
    module) under the root."""
    modules = project.modules

    def present(step: str, unit: str) -> bool:
        if unit in modules:
            return True
        path = Path(unit)
        return not path.is_absolute() and ".." not in path.parts and (root / path).is_file()

    return present


def _merge_imports(
    steps: list[StepOutcome], partials: list[Partial], loaded: LoadedProject
) -> None:
    """The split imports step (its shards' raw verdicts) as one run's, in place of the sum."""
    shards = [
        (p, o)
        for p in sorted(partials, key=lambda p: p.shard.index)
        for o in p.steps
        if o.step == "imports" and p.roles.get("imports") == "part"
    ]
    at = next((i for i, o in enumerate(steps) if o.step == "imports"), None)
    if not shards or at is None:
        return
    # Imported here: a merge without the imports step loads none of it.
    from archverify.executors.imports.merged import ShardImports, merged_outcome

    seen: set[int] = set()
    given = []
    for partial, outcome in shards:
        if partial.shard.index not in seen:  # a shard given twice: the first (shards/duplicate)
            seen.add(partial.shard.index)
            given.append(ShardImports(partial.name, outcome, partial.imports))
    context = StepContext(root=loaded.root, config=loaded.config, project=loaded.project)
    steps[at] = merged_outcome(context, given, steps[at].stats)


def _read(name: str) -> Partial:
    try:
        data = Path(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PartialError(f"{name}: cannot read the partial report: {error}") from None
    return read_partial(data, name)

"""``archverify baseline``: record today's findings as accepted in the baseline file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from archverify.core.config import DEFAULT_BASELINE_FILE
from archverify.core.findings import StepStatus
from archverify.orchestrator.atomic_write import write_atomic
from archverify.orchestrator.commands.arguments import add_path_and_config
from archverify.orchestrator.commands.run import RunOptions, RunResult, execute
from archverify.orchestrator.config.loader import ConfigError, display_path
from archverify.orchestrator.finding_filters import (
    SourceIndex,
    apply_processors,
    baseline_path,
    load_baseline,
)
from archverify.orchestrator.report_outputs import OutputRequest, UsageError, refuse_destinations
from archverify.orchestrator.write_guard import configured_destination, files_read
from archverify.processors import baseline
from archverify.processors.formats.common import safe_text

_DESCRIPTION = """\
Run every configured step on PATH, like `archverify run`, and record today's findings as
accepted in the baseline file. Later runs fail only on findings that are not in it. Findings are
matched by rule, file, enclosing function or class and the text of their line (not the line
number), so unrelated edits keep them accepted.
"""


def add_baseline_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``archverify baseline [PATH] [--config FILE] [--file F]``."""
    parser = commands.add_parser(
        "baseline",
        help="record today's findings as accepted, so that runs fail only on new ones",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_path_and_config(parser)
    parser.add_argument(
        "--file",
        metavar="FILE",
        help="baseline file to write (default: the config's `baseline`, else "
        f"PATH/{DEFAULT_BASELINE_FILE})",
    )
    parser.set_defaults(handler=baseline_from_args)


def baseline_from_args(args: argparse.Namespace) -> int:
    """Run the pipeline, apply inline suppressions and write every finding left to the file."""
    try:
        result = execute(RunOptions(path=args.path, config=args.config))
        # Suppressions apply, the old baseline does not: every finding of today is recorded.
        report = apply_processors(result.report, result.project, result.config, use_baseline=False)
        root = Path(report.root)
        sources = [source.path for source in result.project.files]
        configured = baseline_path(root, result.config)
        if args.file:
            # Named on the command line: anywhere, but never over a file the run reads (the
            # configured baseline excepted: --file may name it).
            target = baseline_path(root, result.config, args.file)
            read = files_read(root, result.config, sources, writing="baseline")
            refuse_destinations([OutputRequest("baseline", args.file)], root, read)
        else:
            target = configured_destination(root, result.config, "baseline", configured, sources)
        index = SourceIndex(root, result.project.facts.values())
        entries = baseline.entries_for(
            [*report.findings, *report.baselined],
            symbol_at=index.symbol_at,
            line_text=index.line_text,
        )
        entries = _with_entries_of_broken_files(entries, root, result, args.file)
        write_atomic(target, baseline.dump(entries))
    except (UsageError, ConfigError) as error:
        print(f"archverify: error: {safe_text(str(error), multiline=True)}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"archverify: error: cannot write the baseline: {error}", file=sys.stderr)
        return 2
    findings = sum(e.count for e in entries)
    noun = "entry" if len(entries) == 1 else "entries"
    print(
        f"archverify: recorded {findings} finding(s) as {len(entries)} baseline {noun} "
        f"in {display_path(root, target)}"
    )
    for step in report.steps:
        if step.status is StepStatus.ERROR:
            print(
                f"archverify: warning: step {step.step} could not run ({safe_text(step.message)}); "
                "its findings are not in the baseline",
                file=sys.stderr,
            )
    return 0


def _with_entries_of_broken_files(
    entries: list[baseline.BaselineEntry], root: Path, result: RunResult, file: str | None
) -> list[baseline.BaselineEntry]:
    """Today's entries and the old baseline's of files that do not compile today: their
    findings could not be looked for, so they are not dropped (a corrupted old file: none)."""
    broken = [f.path for f in result.project.facts.values() if f.compile_error is not None]
    if not broken:
        return entries
    try:
        old = load_baseline(root, result.config, file) or []
    except ConfigError:
        return entries
    known = {e.fingerprint for e in entries}
    kept = [e for e in baseline.kept_while_not_compiling(old, broken) if e.fingerprint not in known]
    return [*entries, *kept]

"""``archverify run``: discover, parse once, run the steps, process findings, write reports."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from archverify import __version__
from archverify.core.config import STEP_ORDER, Config
from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.executors.base import KeyValueCache, NullCache, StepContext
from archverify.executors.registry import all_steps
from archverify.orchestrator.config_loader import ConfigError, load_config
from archverify.orchestrator.discovery import (
    discover,
    missing_references,
    resolve_config_with_discovery,
)
from archverify.orchestrator.facts_cache import FactsCache, cache_stamp
from archverify.orchestrator.finding_filters import apply_processors
from archverify.orchestrator.kv_cache import DirectoryCache
from archverify.orchestrator.parsing import parse_files
from archverify.orchestrator.progress import LiveProgress
from archverify.orchestrator.report_outputs import (
    OutputRequest,
    RenderInputs,
    UsageError,
    parse_requests,
    write_reports,
)
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps
from archverify.processors.ordering import ordered_findings

CACHE_FOLDER = ".archverify_cache"
NO_CONFIG_NOTICE = (
    "note: no [tool.archverify] configuration found, so only the steps that need no rules ran "
    "(compile, cycles). Run `archverify init` to write one with purity, layer contracts and "
    "boundaries."
)


@dataclass
class RunResult:
    """The report, and what the richer formats (the architecture picture) also need."""

    report: RunReport
    project: Project
    config: Config


@dataclass
class RunOptions:
    path: str = "."
    steps: str | None = None
    config: str | None = None
    jobs: int | None = None
    no_cache: bool = False
    cache_dir: str | None = None
    fail_fast: bool = False
    cache_tests: bool = False
    debug: bool = False


def run_from_args(args: argparse.Namespace) -> int:
    options = RunOptions(
        path=args.path,
        steps=args.steps,
        config=args.config,
        jobs=args.jobs,
        no_cache=args.no_cache,
        cache_dir=args.cache_dir,
        fail_fast=args.fail_fast,
        cache_tests=args.cache_tests,
        debug=args.debug,
    )
    try:
        requests = parse_requests(args.formats, args.output)
        result = execute(options, live=_wants_live_progress(requests))
        # Suppressions and the baseline apply after the steps: `archverify baseline` needs the
        # findings before them.
        report = apply_processors(
            result.report, result.project, result.config, use_baseline=not args.no_baseline
        )
    except (UsageError, ConfigError) as error:
        print(f"archverify: error: {error}", file=sys.stderr)
        return 2
    inputs = RenderInputs(report, result.project, result.config, colour=sys.stdout.isatty())
    write_reports(inputs, requests)
    return 1 if report.failed else 0


def execute(options: RunOptions, *, live: bool = False) -> RunResult:
    """The whole run, without writing any report. Raises ConfigError / UsageError (exit 2)."""
    started = time.perf_counter()
    root = Path(options.path).resolve()
    if not root.is_dir():
        raise UsageError(f"{options.path}: no such directory")
    jobs = options.jobs if options.jobs and options.jobs > 0 else (os.cpu_count() or 1)
    config_file = Path(options.config).resolve() if options.config else None
    config = load_config(root, config_file)
    if options.steps is not None:
        config = replace(config, steps=_select_steps(options.steps))
    discovery = discover(root, config)
    config = resolve_config_with_discovery(config, discovery)

    cache_dir = _cache_dir(root, options)
    stamp = cache_stamp()
    facts = parse_files(root, discovery.files, jobs=jobs, cache=FactsCache(cache_dir, stamp))
    project = Project(
        root=str(root), packages=config.packages, files=discovery.files, facts=facts
    )
    references, origins = _contract_references(config)
    problems = missing_references(config, project.modules, references, origins)
    if problems:
        raise problems[0]

    cache: KeyValueCache = DirectoryCache(cache_dir, stamp) if cache_dir else NullCache()
    context = StepContext(
        root=root,
        config=config,
        project=project,
        cache=cache,
        cache_dir=cache_dir,
        jobs=jobs,
        debug=options.debug,
        options={"cache_tests": options.cache_tests},
    )
    available = all_steps()
    selected = [available[s] for s in config.steps if s in available]
    scheduler_options = SchedulerOptions(
        jobs=jobs, fail_fast=options.fail_fast, debug=options.debug, use_cache=cache_dir is not None
    )
    if live:
        with LiveProgress(sys.stderr, [s.id for s in selected]) as progress:
            outcomes = run_steps(selected, context, scheduler_options, progress.update)
    else:
        outcomes = run_steps(selected, context, scheduler_options)
    outcomes.extend(
        StepOutcome(s, StepStatus.SKIPPED, message="not available in this version")
        for s in config.steps
        if s not in available
    )
    outcomes.sort(key=lambda o: STEP_ORDER.index(o.step))
    findings = ordered_findings(f for o in outcomes for f in o.findings)
    summary = {
        "files": len(discovery.files),
        "modules": len(project.modules),
        "imports": _import_count(outcomes, project),
        "duration_s": round(time.perf_counter() - started, 3),
    }
    notices = [] if config.has_rules else [NO_CONFIG_NOTICE]
    notices.extend(_shortened(discovery.problems))
    report = RunReport(
        tool="archverify",
        version=__version__,
        root=str(root),
        steps=outcomes,
        findings=findings,
        summary=summary,
        notices=notices,
    )
    return RunResult(report, project, config)


def _shortened(problems: tuple[str, ...], shown: int = 5) -> list[str]:
    if len(problems) <= shown:
        return list(problems)
    return [*problems[:shown], f"... and {len(problems) - shown} more notes like these"]


def _select_steps(raw: str) -> tuple[str, ...]:
    wanted = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STEP_ORDER]
    if unknown:
        raise UsageError(
            f"unknown step(s) in --steps: {', '.join(unknown)} (known: {', '.join(STEP_ORDER)})"
        )
    return tuple(s for s in STEP_ORDER if s in wanted)


def _cache_dir(root: Path, options: RunOptions) -> Path | None:
    if options.no_cache:
        return None
    folder = Path(options.cache_dir).resolve() if options.cache_dir else root / CACHE_FOLDER
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Keep the cache out of version control and out of backups, like other tools' caches.
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by archverify.\n*\n", encoding="utf-8")
        tag = folder / "CACHEDIR.TAG"
        if not tag.exists():
            tag.write_text(
                "Signature: 8a477f597d28d172789f06886806bc55\n# Created by archverify.\n",
                encoding="utf-8",
            )
    except OSError:
        return None  # a read-only tree: run without a cache rather than fail
    return folder


def _contract_references(
    config: Config,
) -> tuple[list[tuple[str, str, bool]], dict[str, str]]:
    """Module names the contracts mention, and where each foreign contract was declared."""
    from archverify.core.contracts import referenced_modules

    refs: list[tuple[str, str, bool]] = []
    origins: dict[str, str] = {}
    native = config.config_file
    for index, contract in enumerate(config.contracts):
        key = f"contracts[{index}] ({contract.name})"
        if contract.origin and native and not contract.origin.startswith(native + ":"):
            origins[key] = contract.origin
        for name, optional in referenced_modules(contract):
            refs.append((name, key, optional))
    return refs, origins


def _import_count(outcomes: list[StepOutcome], project: Project) -> int:
    for outcome in outcomes:
        if "imports" in outcome.stats and isinstance(outcome.stats["imports"], int):
            return outcome.stats["imports"]
    return sum(len(f.imports) for f in project.facts.values())


def _wants_live_progress(requests: list[OutputRequest]) -> bool:
    text_only = all(r.format == "text" for r in requests if r.destination is None)
    return sys.stderr.isatty() and text_only

"""``archverify run``: discover, parse once, run the steps, process findings, write reports."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from archverify import __version__
from archverify.core.changes import ChangeSet
from archverify.core.config import STEP_ORDER, Config
from archverify.core.facts_pack import import_count
from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus, status_for
from archverify.core.project import Project
from archverify.core.report import RunReport
from archverify.core.shard_durations import Durations, DurationsError
from archverify.core.shards import Shard, ShardError, ShardPlan, parse_shard
from archverify.core.snapshots import STEP as SNAPSHOTS_STEP
from archverify.core.steps import STEPS
from archverify.executors.base import KeyValueCache, NullCache, Step, StepContext
from archverify.executors.registry import steps_named
from archverify.executors.runtime.git_changes import GitError, changes_since
from archverify.executors.tools.untrusted import left_out_reason
from archverify.orchestrator.atomic_write import as_written, write_atomic
from archverify.orchestrator.cache.auth import CacheAuth, run_auth
from archverify.orchestrator.cache.facts import FactsCache, cache_stamp
from archverify.orchestrator.cache.folder import CacheChoice, open_cache_folder
from archverify.orchestrator.cache.kv import DirectoryCache
from archverify.orchestrator.commands.arguments import (
    add_debug,
    add_errors_only,
    add_no_baseline,
    add_no_cache,
    add_path_and_config,
    add_report_options,
)
from archverify.orchestrator.config.loader import (
    NO_CONFIG_STEPS,
    ConfigError,
    layout_note,
    load_config,
    unread_importlinter_file,
)
from archverify.orchestrator.discovery import (
    Discovery,
    discover,
    missing_references,
    resolve_config_with_discovery,
)
from archverify.orchestrator.finding_filters import apply_processors
from archverify.orchestrator.parsing import parse_files
from archverify.orchestrator.progress import LiveProgress
from archverify.orchestrator.report_outputs import (
    OutputRequest,
    RenderInputs,
    UsageError,
    parse_requests,
    refuse_destinations,
    write_reports,
)
from archverify.orchestrator.scheduler import SchedulerOptions, run_steps
from archverify.orchestrator.shard_durations import read_durations_file
from archverify.orchestrator.sharding import identity, roles, shard_plan, shard_steps
from archverify.orchestrator.write_guard import files_read
from archverify.processors.formats import DEFAULT_FORMAT, markdown, text
from archverify.processors.formats.common import safe_text
from archverify.processors.ordering import ordered_findings
from archverify.processors.rule_docs import find_rule_doc, rule_docs

NO_CONFIG_NOTICE = (
    "note: no [tool.archverify] configuration found, so only the steps that need no rules ran "
    f"({', '.join(NO_CONFIG_STEPS)}). Run `archverify init` to write one with purity, layer "
    "contracts and boundaries."
)
NO_RULES_NOTICE = (
    "note: {file} states no rules (no purity packages, contracts or boundaries), so purity, "
    "contracts and boundaries had nothing to check. Run `archverify init` to propose some."
)
# The formats whose report on stdout ends with the verdict a person reads.
READ_ON_STDOUT = (text.FORMAT.name, markdown.FORMAT.name)
# More workers than this per CPU only add forks and memory: the work is CPU-bound or waits on
# children that are themselves limited by the CPUs.
MAX_JOBS_PER_CPU = 4


@dataclass
class RunResult:
    """The report, and what the richer formats (the architecture picture) also need."""

    report: RunReport
    project: Project
    config: Config
    # ``--changed-since``: what changed, for the new/existing split after the baseline.
    changes: ChangeSet | None = None
    # ``--shard``: what this shard did, for its partial report.
    plan: ShardPlan | None = None


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
    # Steps whose cached results are not read this run (``--rerun``); fresh ones are stored.
    rerun: tuple[str, ...] = ()
    debug: bool = False
    untrusted: bool = False
    # The reports to write: their destinations are checked before any step runs.
    outputs: tuple[OutputRequest, ...] = ()
    # ``--changed-since REF``: a git revision; None for a run about every file.
    changed_since: str | None = None
    # ``--shard I/N``: only this shard's share of the work (``orchestrator.sharding``).
    shard: Shard | None = None
    # ``--durations FILE`` (with ``--shard``): the recorded seconds the split is balanced from,
    # and the digest of the file's bytes (part of the partial's identity).
    durations: Durations | None = None
    durations_digest: str | None = None


# ``archverify run --help``'s epilog; its step lines are the catalogue's summaries.
_EPILOG_HEAD = """\
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
  archverify run --changed-since origin/main   what a branch adds, as new findings
  archverify run --shard 2/4 --partial shard-2.json
                                         one job of a CI matrix; then `archverify merge`

the steps, in the runbook's order:
"""
_ID_WIDTH = max(len(spec.id) for spec in STEPS) + 1
RUN_EPILOG = (
    _EPILOG_HEAD
    + "".join(f"  {spec.id:<{_ID_WIDTH}} {spec.summary}\n" for spec in STEPS)
    + "`archverify explain RULE` documents every rule.\n"
)


def add_run_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``archverify run [PATH] [--config FILE] [--steps ...] ...``."""
    run = commands.add_parser(
        "run",
        help="run the verification steps and report",
        description="Run every configured verification step on PATH and print one report.",
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_path_and_config(run)
    run.add_argument(
        "--steps",
        metavar="A,B,...",
        help="comma-separated steps to run, overriding the config's `steps` "
        f"(known: {', '.join(STEP_ORDER)})",
    )
    add_report_options(run)
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="parallel workers for parsing and steps, at least 1 (default: CPU count, "
        f"{os.cpu_count()}; more than 4 per CPU are lowered to that)",
    )
    add_no_cache(run)
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
        help="also replay the tests step from the cache when its inputs did not change; "
        "after an edit, run only the test modules that executed or import the edited file",
    )
    run.add_argument(
        "--rerun",
        action="append",
        default=[],
        metavar="STEP[,STEP]",
        help="run STEP again even where its inputs did not change: its cached results (the "
        "whole step's, and the per-module or per-file ones of imports, ruff and bandit) are not "
        "read, fresh ones are stored; repeatable (known: " + ", ".join(STEP_ORDER) + ")",
    )
    run.add_argument(
        "--changed-since",
        metavar="REF",
        help="every check still runs on the whole project, but only findings whose evidence "
        "touches a file or line changed since REF's merge-base with HEAD (committed, staged, "
        "unstaged, untracked) are new and fail the run; the others are reported as existing. "
        "imports and tests run only what the change reaches, ruff and bandit only the changed "
        "files (docs/configuration.md)",
    )
    add_no_baseline(run)
    run.add_argument(
        "--untrusted",
        action="store_true",
        help="for code you did not write (a fork's pull request): run only the steps that "
        "execute none of the project's code; imports, tests, and mypy when the project's mypy "
        "configuration names plugins, are left out and the report says so",
    )
    add_errors_only(run)
    run.add_argument(
        "--shard",
        metavar="I/N",
        help="run shard I of N (1 <= I <= N): ruff, bandit and the tests on this shard's files "
        "and test modules, the imports on its modules (by package; their findings are built "
        "by `archverify merge`), mypy whole in the shard the balance picks, the other steps "
        "in shard 1; the same tree, N and --durations file give the same split on every "
        "runner. Needs --partial; the other reports show this shard's findings only",
    )
    run.add_argument(
        "--durations",
        metavar="FILE",
        help="with --shard: balance the shards from the seconds recorded in FILE (written by "
        "`archverify merge --durations-out`) instead of the files' sizes; every shard of a "
        "run must be given the same file (the merge refuses shards split from different ones)",
    )
    run.add_argument(
        "--partial",
        metavar="FILE",
        help="with --shard: write the shard's partial report (JSON, docs/reports.md) to FILE, "
        "for `archverify merge`",
    )
    add_debug(run)
    run.set_defaults(handler=run_from_args)


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
        rerun=tuple(args.rerun),
        debug=args.debug,
        untrusted=args.untrusted,
        changed_since=args.changed_since,
    )
    try:
        requests = parse_requests(args.formats, args.output)
        options.outputs = tuple(requests)
        options.shard = _shard_option(args.shard, args.partial)
        options.durations, options.durations_digest = _durations_option(args.durations, options)
        if args.partial is not None:
            options.outputs += (OutputRequest("partial", args.partial),)
        result = execute(options, live=_wants_live_progress(requests))
        if options.shard is not None and result.plan is not None:
            write_partial(result, options.shard, str(args.partial), options.durations_digest)
        # Suppressions and the baseline apply after the steps: `archverify baseline` needs the
        # findings before them.
        report = apply_processors(
            result.report,
            result.project,
            result.config,
            use_baseline=not args.no_baseline,
            changes=result.changes,
        )
    except (UsageError, ConfigError) as error:
        print(f"archverify: error: {safe_text(str(error), multiline=True)}", file=sys.stderr)
        return 2
    return write_outputs(report, result.project, result.config, requests, args.errors_only)


def write_outputs(
    report: RunReport,
    project: Project,
    config: Config,
    requests: Sequence[OutputRequest],
    errors_only: bool,
) -> int:
    """Write every requested report (``run`` and ``merge``); the exit code of ``report``."""
    inputs = RenderInputs(
        report,
        project,
        config,
        colour=sys.stdout.isatty(),
        rule_docs=_rule_docs_for(report),
        config_anchor=_config_anchor(config, report.root),
        errors_only=errors_only,
    )
    write_reports(inputs, requests)
    if not any(r.destination is None and r.format in READ_ON_STDOUT for r in requests):
        # JSON, SARIF... on stdout, or every report in a file: the log still gets the verdict.
        sys.stderr.write(text.verdict_line(report))
    return 1 if report.failed else 0


def _shard_option(shard: str | None, partial: str | None) -> Shard | None:
    """``--shard I/N`` with its ``--partial FILE`` (each needs the other)."""
    if shard is None:
        if partial is not None:
            raise UsageError("--partial is written by a shard: give --shard I/N too")
        return None
    if partial is None:
        raise UsageError(
            "--shard needs --partial FILE: `archverify merge` reads the shards' partials"
        )
    try:
        return parse_shard(shard)
    except ShardError as error:
        raise UsageError(str(error)) from None


def _durations_option(name: str | None, options: RunOptions) -> tuple[Durations | None, str | None]:
    """``--durations FILE`` read (with its digest), only for a shard; a missing, unreadable or
    malformed file is a usage error naming it."""
    if name is None:
        return None, None
    if options.shard is None:
        raise UsageError("--durations balances the shards of a sharded run: give --shard I/N too")
    try:
        return read_durations_file(name)
    except DurationsError as error:
        raise UsageError(str(error)) from None


def write_partial(
    result: RunResult, shard: Shard, destination: str, durations_digest: str | None = None
) -> None:
    """The shard's partial report (before suppressions and the baseline) to ``destination``;
    the coverage data leaves the tests' stats, which the shard's own reports then show."""
    # Imported here: the partial's format reads the tests step's names, and a run that is not
    # a shard imports no step it does not run (tests/integration/test_lean_imports.py).
    from archverify.processors.partial import partial_to_dict, render_partial, without_shard_data

    assert result.plan is not None  # nosec B101 - a shard's run always has its plan
    steps = [o.step for o in result.report.steps]
    ident = identity(
        Path(result.report.root),
        result.config.config_file,
        result.project,
        steps,
        durations_digest,
    )
    data = partial_to_dict(
        result.report,
        shard,
        ident,
        roles(result.plan, result.report.steps),
        result.plan.files,
        result.changes,
    )
    without_shard_data(result.report)
    write_atomic(as_written(destination), render_partial(data))


def _config_anchor(config: Config, root: str) -> str:
    """The configuration file relative to the root, links followed ("" if none or outside)."""
    if not config.config_file:
        return ""
    try:
        return Path(config.config_file).resolve().relative_to(Path(root)).as_posix()
    except ValueError:
        return ""


@dataclass
class LoadedProject:
    """A run's project before any step: its configuration, discovery, the parsed facts."""

    root: Path
    config: Config
    discovery: Discovery
    project: Project
    cache_choice: CacheChoice
    stamp: str
    auth: CacheAuth
    jobs: int


def load_project(options: RunOptions) -> LoadedProject:
    """Configuration, discovery and the one parse (through the facts cache) of a run, also what
    ``archverify merge`` needs of the checkout. Raises ConfigError / UsageError (exit 2)."""
    root = Path(options.path).resolve()
    if not root.is_dir():
        raise UsageError(f"{options.path}: no such directory")
    jobs = _jobs(options.jobs)
    config_file = Path(options.config).resolve() if options.config else None
    config = load_config(root, config_file)
    if options.steps is not None:
        config = replace(config, steps=_select_steps(options.steps))
    discovery = discover(root, config)
    config = resolve_config_with_discovery(config, discovery)
    sources = [source.path for source in discovery.files]
    refuse_destinations(options.outputs, root, files_read(root, config, sources))
    cache_choice = _cache_folder(root, options)
    cache_dir = cache_choice.folder.path if cache_choice.folder else None
    stamp = cache_stamp()
    # The secret may not come from what the repository can ship: the tree, the cache folder.
    auth = run_auth([root, *([cache_dir] if cache_dir else [])])
    # The public API is read by the snapshots step only: without it, no file's API is read.
    facts = parse_files(
        root,
        discovery.files,
        jobs=jobs,
        cache=FactsCache(cache_dir, stamp, auth),
        api=SNAPSHOTS_STEP in config.steps,
    )
    project = Project(root=str(root), packages=config.packages, files=discovery.files, facts=facts)
    return LoadedProject(root, config, discovery, project, cache_choice, stamp, auth, jobs)


def execute(options: RunOptions, *, live: bool = False) -> RunResult:
    """The whole run, without writing any report. Raises ConfigError / UsageError (exit 2)."""
    started = time.perf_counter()
    rerun = _rerun_steps(options.rerun)
    loaded = load_project(options)
    root, config, discovery, project = loaded.root, loaded.config, loaded.discovery, loaded.project
    cache_choice, stamp, auth, jobs = loaded.cache_choice, loaded.stamp, loaded.auth, loaded.jobs
    cache_dir = cache_choice.folder.path if cache_choice.folder else None
    changes = _changes(root, options.changed_since, cache_dir)
    references, origins, internal = _contract_references(config)
    # Only boundaries' forbid_imports are checked against what the project imports: without
    # them, no file's imports are decoded here.
    imported = (
        {fact.module for facts in project.facts.values() for fact in facts.imports}
        if any(rule.forbid_imports for rule in config.boundaries)
        else set()
    )
    problems = missing_references(
        config, project.modules, references, origins, imported, internal=internal
    )
    if problems:
        raise problems[0]

    cache: KeyValueCache = (
        DirectoryCache(cache_dir, stamp, auth, root) if cache_dir else NullCache()
    )
    context = StepContext(
        root=root,
        config=config,
        project=project,
        cache=cache,
        cache_dir=cache_dir,
        jobs=jobs,
        debug=options.debug,
        options={
            "cache_tests": options.cache_tests,
            "untrusted": options.untrusted,
            "rerun": rerun,
            # The files the change holds (None: every file): the steps that can, narrow to it.
            "changed_files": None if changes is None else frozenset(changes.files),
        },
    )
    # Only the selected steps' modules are imported (a test pins registry ids = catalogue ids).
    selected = list(steps_named(config.steps).values())
    left_out = _left_out_untrusted(selected, root, config) if options.untrusted else []
    selected = [s for s in selected if s.id not in {o.step for o in left_out}]
    plan = None
    elsewhere: list[StepOutcome] = []
    if options.shard is not None:
        plan = shard_plan(options.shard, [s.id for s in selected], context, options.durations)
        selected, elsewhere = shard_steps(selected, plan)
    scheduler_options = SchedulerOptions(
        jobs=jobs,
        fail_fast=options.fail_fast,
        debug=options.debug,
        use_cache=cache_dir is not None,
        rerun=rerun,
    )
    if live:
        with LiveProgress(sys.stderr, [s.id for s in selected]) as progress:
            outcomes = run_steps(selected, context, scheduler_options, progress.update)
    else:
        outcomes = run_steps(selected, context, scheduler_options)
    outcomes.extend([*left_out, *elsewhere])
    outcomes.sort(key=lambda o: STEP_ORDER.index(o.step))
    shadow_notes = _add_discovery_findings(
        outcomes, [*(s.finding() for s in discovery.shadowed), *discovery.unverified]
    )
    findings = ordered_findings(f for o in outcomes for f in o.findings)
    summary = {
        "files": len(discovery.files),
        "modules": len(project.modules),
        "imports": import_count_of(project),
        "duration_s": round(time.perf_counter() - started, 3),
    }
    notices = _rules_notices(root, config)
    if options.config:
        notices.insert(0, f"note: --config {layout_note(config)}")
    if cache_dir is not None and auth.problem:
        notices.append(auth.problem)  # why nothing was replayed
    notices.extend(_shortened(discovery.problems))
    notices.extend(shadow_notes)
    if left_out:
        names = ", ".join(o.step for o in left_out)
        notices.append(f"note: --untrusted left out {names}: they would execute the project's code")
    if cache_choice.notice:
        notices.append(cache_choice.notice)
    if changes is not None:
        notices.append(
            f"note: --changed-since {changes.ref}: {len(changes.files)} file(s) changed since "
            f"{changes.base[:12]}; findings the change does not reach are shown as existing"
        )
    report = RunReport(
        tool="archverify",
        version=__version__,
        root=str(root),
        steps=outcomes,
        findings=findings,
        summary=summary,
        notices=notices,
    )
    return RunResult(report, project, config, changes, plan)


def _changes(root: Path, ref: str | None, cache_dir: Path | None) -> ChangeSet | None:
    """``--changed-since``'s files, but archverify's own cache folder's (an untracked folder
    the repository does not ignore); a missing git, a bad REF, no repository: exit 2."""
    if ref is None:
        return None
    try:
        changes = changes_since(root, ref)
    except GitError as error:
        raise UsageError(str(error)) from None
    if cache_dir is None:
        return changes
    own = cache_dir.resolve()
    files = {p: r for p, r in changes.files.items() if not (root / p).resolve().is_relative_to(own)}
    return replace(changes, files=files)


def _left_out_untrusted(steps: list[Step], root: Path, config: Config) -> list[StepOutcome]:
    """A skipped outcome, saying why, for every step that would execute the project's code."""
    left_out: list[StepOutcome] = []
    for step in steps:
        reason = left_out_reason(step.id, root, config)
        if reason is not None:
            message = f"left out by --untrusted: {reason}"
            left_out.append(StepOutcome(step.id, StepStatus.SKIPPED, message=message))
    return left_out


def _shortened(problems: tuple[str, ...], shown: int = 5) -> list[str]:
    if len(problems) <= shown:
        return list(problems)
    return [*problems[:shown], f"... and {len(problems) - shown} more notes like these"]


def _jobs(requested: int | None) -> int:
    """``--jobs``: at least 1, at most ``MAX_JOBS_PER_CPU`` per CPU (default: the CPU count).

    Each pool also takes no more workers than it has tasks (parsing chunks, bandit shards).
    """
    cpus = os.cpu_count() or 1
    if requested is None:
        return cpus
    if requested < 1:
        raise UsageError(f"--jobs must be at least 1, got {requested}")
    return min(requested, cpus * MAX_JOBS_PER_CPU)


def _rules_notices(root: Path, config: Config) -> list[str]:
    """Why rule steps had nothing to check: no configuration, or one that states no rules;
    and an import-linter file that is not read because archverify's own contracts win."""
    if not config.config_file:
        return [] if config.has_rules else [NO_CONFIG_NOTICE]
    notices = [] if config.has_rules else [NO_RULES_NOTICE.format(file=config.config_file)]
    unread = unread_importlinter_file(root, config)
    if unread:
        notices.append(
            f"note: the import-linter contracts in {unread} are not checked: "
            f"{config.config_file} states its own contracts. Set contracts_file = "
            f"{unread!r} to check them too."
        )
    return notices


def _add_discovery_findings(outcomes: list[StepOutcome], findings: list[Finding]) -> list[str]:
    """Discovery's findings go to the compile step, which is about every module; when it did
    not run, warnings are notices, so that they are never dropped, and errors (a module no step
    could verify) still fail the run as a compile outcome of their own."""
    if not findings:
        return []
    for index, outcome in enumerate(outcomes):
        if outcome.step == "compile" and outcome.status in (StepStatus.PASSED, StepStatus.FAILED):
            merged = sorted([*outcome.findings, *findings], key=Finding.sort_key)
            outcomes[index] = replace(outcome, findings=merged, status=status_for(merged))
            return []
    errors = sorted((f for f in findings if f.severity is Severity.ERROR), key=Finding.sort_key)
    if errors and not any(outcome.step == "compile" for outcome in outcomes):
        message = "not selected; discovery found modules no step can verify"
        outcomes.insert(0, StepOutcome("compile", StepStatus.FAILED, errors, message=message))
        findings = [f for f in findings if f.severity is not Severity.ERROR]
    return [f"warning: {finding.message}" for finding in findings]


def _rule_docs_for(report: RunReport) -> dict[str, str]:
    """The documentation of every rule the report mentions (SARIF carries it as rule help)."""
    rules = {f.rule for f in [*report.findings, *report.baselined]}
    docs = rule_docs()
    found = {rule: find_rule_doc(rule, docs) for rule in sorted(rules)}
    return {rule: doc for rule, doc in found.items() if doc}


def _select_steps(raw: str) -> tuple[str, ...]:
    wanted = [s.strip() for s in raw.split(",") if s.strip()]
    if not wanted:
        # Running nothing would pass: an empty selection is a mistake (a shell variable unset).
        raise UsageError(f"--steps names no step (known: {', '.join(STEP_ORDER)})")
    unknown = [s for s in wanted if s not in STEP_ORDER]
    if unknown:
        raise UsageError(
            f"unknown step(s) in --steps: {', '.join(unknown)} (known: {', '.join(STEP_ORDER)})"
        )
    return tuple(s for s in STEP_ORDER if s in wanted)


def _rerun_steps(raw: Sequence[str]) -> frozenset[str]:
    """The steps ``--rerun`` names (each value may list several, comma-separated)."""
    wanted = {s.strip() for value in raw for s in value.split(",")}
    wanted.discard("")
    if raw and not wanted:
        raise UsageError(f"--rerun names no step (known: {', '.join(STEP_ORDER)})")
    unknown = sorted(wanted - set(STEP_ORDER))
    if unknown:
        raise UsageError(
            f"unknown step(s) in --rerun: {', '.join(unknown)} (known: {', '.join(STEP_ORDER)})"
        )
    return frozenset(wanted)


def _cache_folder(root: Path, options: RunOptions) -> CacheChoice:
    if options.no_cache:
        return CacheChoice(None)
    return open_cache_folder(root, options.cache_dir)


def _contract_references(
    config: Config,
) -> tuple[list[tuple[str, str, bool]], dict[str, str], list[tuple[str, str]]]:
    """Module names the contracts mention, where each foreign contract was declared, and the
    names that must exist only when they are the project's (forbidden modules)."""
    from archverify.core.contracts import internal_only_modules, referenced_modules

    refs: list[tuple[str, str, bool]] = []
    internal: list[tuple[str, str]] = []
    origins: dict[str, str] = {}
    native = config.config_file
    for index, contract in enumerate(config.contracts):
        key = f"contracts[{index}] ({contract.name})"
        if contract.origin and not (native and contract.origin.startswith(native + ":")):
            origins[key] = contract.origin
        for name, optional in referenced_modules(contract):
            refs.append((name, key, optional))
        internal.extend((name, key) for name in internal_only_modules(contract))
    return refs, origins, internal


def import_count_of(project: Project) -> int:
    """The import statements of the verified files: the same whichever steps ran (the graph's
    count, in the contracts and cycles steps' stats, leaves out what it cannot resolve)."""
    return sum(import_count(f) for f in project.facts.values())


def _wants_live_progress(requests: list[OutputRequest]) -> bool:
    text_only = all(r.format == DEFAULT_FORMAT for r in requests if r.destination is None)
    return sys.stderr.isatty() and text_only

"""The tests step: pytest under coverage; failing tests, no tests and low coverage as findings."""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import json
import os
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archverify.core.findings import Finding, Rule, Severity, StepOutcome
from archverify.core.steps import AUTO_WORKERS, default
from archverify.core.tool_args import path_arguments
from archverify.executors.base import StepContext, failed_to_run, finished
from archverify.executors.runtime.children import Leftover, describe, node_file, sweep_step
from archverify.executors.runtime.data_files import ContentMemo, data_states
from archverify.executors.runtime.process import (
    ToolFailure,
    ToolMissing,
    ToolRun,
    error_line,
    reports_missing,
    run_checked,
)
from archverify.executors.runtime.scratch import scratch
from archverify.executors.runtime.tree_state import TreeChanges, changes, snapshot
from archverify.executors.tools.affected import (
    AFFECTED_VARIABLE,
    MODULE_PROPERTY,
    NAMESPACE,
    STATE_VERSION,
    Plan,
    Tree,
    by_module,
    file_skeletons,
    plan,
    test_tree_hashes,
)
from archverify.executors.tools.cache import (
    TESTS_CONFIGS,
    file_hashes,
    step_cache_key,
    tool_version,
)
from archverify.executors.tools.common import package_targets, timeout_for
from archverify.executors.tools.coverage_config import measured_scope
from archverify.executors.tools.junit_results import (
    FailedCase,
    JUnitResults,
    read_junit,
    read_junit_by_module,
)
from archverify.executors.tools.pytest_windows import WINDOWS_VARIABLE, read_windows, running_at
from archverify.executors.tools.pytest_workers import SOURCE_VARIABLE, WORKER_COVERAGE_VARIABLE

STEP_ID = "tests"
DEFAULT_TIMEOUT_S: float = default(STEP_ID, "timeout_s")  # declared in core.steps
PYTEST_NO_TESTS = 5
# The stats key of a shard's coverage data (``run --shard``): moved into the partial report.
SHARD_COVERAGE = "shard_coverage"
# A shard's seconds by test module, for the partial's ``durations`` (``run --durations``).
SHARD_DURATIONS = "shard_durations"
WINDOWS_PLUGIN = "archverify.executors.tools.pytest_windows"
AFFECTED_PLUGIN = "archverify.executors.tools.pytest_affected"
CONTEXTS_MODULE = "archverify.executors.tools.coverage_contexts"
WORKERS_PLUGIN = "archverify.executors.tools.pytest_workers"
# The xdist workers' coverage data files, one per worker, below the session's temp folder.
WORKERS_FOLDER = "workers"
NO_XDIST = "pytest-xdist is not installed: the tests ran in one process (pip install pytest-xdist)"

FAILED = Rule("tests/failed", Severity.ERROR)
NO_TESTS = Rule(
    "tests/no-tests", Severity.WARNING, "check options.paths and the project's pytest configuration"
)
LEFTOVER_PROCESS = Rule(
    "tests/leftover-process",
    Severity.WARNING,
    "stop what a test starts (a fixture's teardown, Popen.kill/wait, server.shutdown)",
)
CHANGED_TREE = Rule(
    "tests/changed-tree",
    Severity.WARNING,
    "write to tmp_path (or tempfile) in tests, never to the project's files",
)
# An error: a missing folder would otherwise pass as a tests step that tested less.
MISSING_PATH = Rule("tests/missing-path", Severity.ERROR, "fix [tool.archverify.tests] paths")
# Emitted by this step (``step`` is "tests"), though its family is coverage: give step= to .at.
BELOW_MINIMUM = Rule(
    "coverage/below-minimum",
    Severity.ERROR,
    "add tests or lower [tool.archverify.tests] coverage_min",
)
WINDOWS_FILE = "test-windows.jsonl"
# The step's note when collection errors stopped pytest before it ran any test.
INTERRUPTED = "collection interrupted: 0 tests ran"
# Exit codes of pytest that still leave a usable report: passed, failed, interrupted, no tests.
PYTEST_REPORTED = (0, 1, 2, PYTEST_NO_TESTS)


class TestsStep:
    """``coverage run -m pytest`` with the project's configuration; nothing written to its tree.

    Options: ``paths`` (default ``["tests"]``), ``coverage_min`` (percent, default 0),
    ``workers`` (pytest-xdist's ``-n``, when it is installed), ``timeout_s``.
    ``coverage_module``, ``pytest_module`` and ``xdist_module`` exist so that a test can point
    the step at a module that is not installed.
    """

    # Not a test class, whatever pytest's collection thinks of the name.
    __test__ = False
    id = STEP_ID

    def __init__(
        self,
        coverage_module: str = "coverage",
        pytest_module: str = "pytest",
        xdist_module: str = "xdist",
    ) -> None:
        self.coverage_module = coverage_module
        self.pytest_module = pytest_module
        self.xdist_module = xdist_module

    def cache_key(self, context: StepContext) -> str | None:
        """None unless the run asked for ``cache_tests``: tests may depend on anything."""
        if not context.options.get("cache_tests"):
            return None
        try:
            paths = configured_test_paths(context)
        except ToolFailure:
            return None
        versions = f"{tool_version('pytest')}/{tool_version('coverage')}"
        extra = (
            self.coverage_module,
            self.pytest_module,
            _tree_digest(context.root, paths),
            _data_digest(context),
        )
        # The config files and conftest.py between the root and each test path count too.
        return step_cache_key(
            context, self.id, versions, TESTS_CONFIGS, extra=extra, config_below=paths
        )

    def run(self, context: StepContext) -> StepOutcome:
        started = time.monotonic()
        findings: list[Finding] = []
        stats: dict[str, Any] = {}  # no coverage figure unless tests ran
        present: list[str] = []
        session = Session(JUnitResults(), 0.0)
        try:
            paths = configured_test_paths(context)
            minimum = coverage_minimum(context)
            present = [p for p in paths if (context.root / p).exists()]
            chosen = selected_test_files(context, present)
            # A shard reports the run-wide findings (a missing path, no tests, the coverage
            # minimum) only where ``archverify merge`` can judge them: shard 1, or the merge.
            part = bool(context.options.get("shard_part"))
            if not part or context.options.get("shard_first"):
                findings += [_missing_path(p) for p in paths if p not in present]
            if present and chosen is not None and not chosen:
                stats.update(tests=0, failures=0, errors=0, skipped=0)
                stats[SHARD_COVERAGE] = None
            elif present:
                # What the session does to the tree, and what it leaves running, is reported.
                skip = [context.cache_dir] if context.cache_dir is not None else []
                before = snapshot(context.root, skip)
                with scratch("tests") as tmp:
                    if _selects_tests(context):
                        session = self._run_affected(context, present, Path(tmp), chosen)
                    else:
                        results, percent = self._run_tests(context, present, Path(tmp), chosen)
                        report = Path(tmp) / "coverage.json"
                        session = Session(results, percent, report=report)
                    if part:
                        stats[SHARD_COVERAGE] = _measured(session.report)
                        stats[SHARD_DURATIONS] = dict(session.results.module_seconds)
                    results, percent = session.results, session.percent
                    windows = read_windows(str(Path(tmp) / WINDOWS_FILE))
                # When the session fails instead, the scheduler's sweep reports what it left.
                findings += [_leftover(context.root, p, windows) for p in sweep_step()]
                findings += _changed_tree(changes(before, snapshot(context.root, skip)))
                # What a replayed module left behind would be missing from the next merge.
                if session.state is not None and session.key and not findings:
                    context.cache.put(NAMESPACE, session.key, session.state)
                findings += _test_findings(results, part=part)
                if session.note:
                    stats.update(affected=session.counts)
                stats.update(
                    tests=results.tests,
                    failures=results.failures,
                    errors=results.errors,
                    skipped=results.skipped,
                    coverage=percent,
                )
                if results.interrupted:
                    # No test ran: a coverage figure would measure the imports of collection.
                    stats.update(tests=0, interrupted=True)
                    del stats["coverage"]
        except ToolFailure as exc:
            return failed_to_run(self.id, str(exc), started)
        if not part and "coverage" in stats and stats["coverage"] < minimum:
            findings.append(_below_minimum(stats["coverage"], minimum))
        notes = [INTERRUPTED if stats.get("interrupted") else ""]
        if present:
            workers = self._workers(context)
            notes.append(session.note)
            notes.append(NO_XDIST if workers == "" else "")
            if workers and "tests" in stats:
                stats.update(workers=_requested_workers(context))
        message = "; ".join(note for note in notes if note)
        return finished(self.id, findings, started, stats, message=message)

    def _workers(self, context: StepContext) -> str | None:
        """pytest-xdist's ``-n`` value; None when one process is asked for, "" when workers
        are asked for and xdist is not installed (the tests then run in one process)."""
        requested = _requested_workers(context)
        if requested == 1:
            return None
        if importlib.util.find_spec(self.xdist_module.split(".")[0]) is None:
            return ""
        return str(requested)

    def _run_tests(
        self, context: StepContext, paths: list[str], tmp: Path, files: list[str] | None = None
    ) -> tuple[JUnitResults, float]:
        """One session over ``paths`` (the configured test paths), or over ``files`` only."""
        timeout_s = timeout_for(context.config.tool(self.id), DEFAULT_TIMEOUT_S)
        data_file = tmp / ".coverage"
        junit = tmp / "junit.xml"
        run = self._session(context, paths if files is None else files, tmp, {})
        results = self._results(context, run, junit, paths)
        return results, self._coverage(context, data_file, tmp / "coverage.json", timeout_s)

    def _session(
        self, context: StepContext, paths: list[str], tmp: Path, affected: dict[str, str]
    ) -> ToolRun:
        """One ``coverage run -m pytest``; ``affected`` (the variable naming the plan) loads
        the affected-tests plugin."""
        tool = context.config.tool(self.id)
        timeout_s = timeout_for(tool, DEFAULT_TIMEOUT_S)
        # This run's own data file in its own temp folder: a concurrent run on the same tree
        # can neither delete nor merge into it (one such run once reported 100 % for 3.9 %).
        data_file = tmp / ".coverage"
        junit = tmp / "junit.xml"
        source = _coverage_source(context)
        # COVERAGE_FILE too, for coverage started in subprocesses of the tests.
        env = {
            "PYTHONPATH": _python_path(context),
            "COVERAGE_FILE": str(data_file),
            WINDOWS_VARIABLE: str(tmp / WINDOWS_FILE),
            **_plugin_storage(context, tmp),
            **affected,
        }
        plugins = ["-p", AFFECTED_PLUGIN] if affected else []
        workers = self._workers(context)
        preload: tuple[str, ...] = (self.pytest_module,)
        if workers:
            (tmp / WORKERS_FOLDER).mkdir(exist_ok=True)
            env[WORKER_COVERAGE_VARIABLE] = str(tmp / WORKERS_FOLDER / ".coverage")
            if source is not None:
                env[SOURCE_VARIABLE] = source
            # Without entry points (PYTEST_DISABLE_PLUGIN_AUTOLOAD) xdist is named to load.
            if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
                plugins += ["-p", "xdist.plugin"]
            plugins += ["-p", WORKERS_PLUGIN, "-n", workers]
            preload += (self.xdist_module,)
        args = [
            "run",
            f"--data-file={data_file}",
            *([f"--source={source}"] if source is not None else []),
            "-m",
            self.pytest_module,
            *path_arguments(paths),
            "-p",
            "no:cacheprovider",
            # When each test ran: a process left running is traced to its test.
            "-p",
            WINDOWS_PLUGIN,
            *plugins,
            f"--junitxml={junit}",
            # xunit1 carries each test's file and line.
            "-o",
            "junit_family=xunit1",
            "-q",
            *tool.args,
        ]
        return run_checked(
            self.coverage_module,
            args,
            cwd=context.root,
            timeout_s=timeout_s,
            ok_codes=range(256),
            env=env,
            # The real pytest (and xdist) are imported before the project's folders join
            # sys.path.
            sys_path=_session_path(context),
            preload=preload,
        )

    def _run_affected(
        self, context: StepContext, paths: list[str], tmp: Path, share: list[str] | None
    ) -> Session:
        """The test modules an edit reaches (of ``share``, a shard's test modules, when it is
        given), the others' records from the cache; falls back to every module when the
        records cannot make the merge exact."""
        key = self._affected_key(context, paths, share)
        if key is None:
            results, percent = self._run_tests(context, paths, tmp, share)
            report = tmp / "coverage.json"
            return Session(results, percent, note=_full_note("no cache key"), report=report)
        tree = _tree(context, paths, share)
        changed = context.options.get("changed_files") or ()
        chosen = plan(context.cache.get(NAMESPACE, key), tree, changed)
        found = self._recorded(context, paths, tmp / "selected", chosen, tree, share)
        if found is None:
            chosen = Plan(full="the selection could not be merged exactly")
            found = self._recorded(context, paths, tmp / "all", chosen, tree, share)
        if found is None:  # what makes records inexact here makes them inexact every time
            (tmp / "plain").mkdir()
            results, percent = self._run_tests(context, paths, tmp / "plain", share)
            found = Session(results, percent, report=tmp / "plain" / "coverage.json")
        session = found
        session.key = key
        if chosen.full:
            session.note = _full_note(chosen.full)
        return session

    def _affected_key(
        self, context: StepContext, paths: list[str], share: list[str] | None
    ) -> str | None:
        """Everything the step's key holds but the verified files and the test files; a
        shard's share too (each shard keeps the records of its own test modules)."""
        versions = f"{tool_version('pytest')}/{tool_version('coverage')}"
        shared = () if share is None else ("share", *share)
        key = step_cache_key(
            context,
            self.id,
            versions,
            TESTS_CONFIGS,
            # A changed data file beside the sources: no record fits, every module runs.
            extra=(
                self.coverage_module,
                self.pytest_module,
                *paths,
                _data_digest(context),
                *shared,
            ),
            config_below=paths,
            with_files=False,
        )
        return None if key is None else f"{self.id}-{key}"

    def _recorded(
        self,
        context: StepContext,
        paths: list[str],
        tmp: Path,
        chosen: Plan,
        tree: Tree,
        share: list[str] | None = None,
    ) -> Session | None:
        """A session under the affected-tests plugin; None when a replay cannot be merged."""
        tmp.mkdir()
        timeout_s = timeout_for(context.config.tool(self.id), DEFAULT_TIMEOUT_S)
        data_file = tmp / ".coverage"
        report = tmp / "affected.json"
        plan_file = tmp / "plan.json"
        plan_file.write_text(
            json.dumps(
                {"root": str(context.root), "replay": sorted(chosen.replay), "report": str(report)}
            ),
            "utf-8",
        )
        files = session_files(share, chosen)
        if files == []:
            # Every test module of the shard is replayed: no session, an empty one's report.
            report.write_text(json.dumps({"order": [], "collect_errors": [], "problems": []}))
            results, groups = JUnitResults(), dict[str, JUnitResults]()
        else:
            run = self._session(
                context, paths if files is None else files, tmp, {AFFECTED_VARIABLE: str(plan_file)}
            )
            # A failure to run at all is the step's error, selection or not.
            self._results(context, run, tmp / "junit.xml", paths)
            results, groups = read_junit_by_module(
                tmp / "junit.xml", context.root, paths, MODULE_PROPERTY
            )
            results.interrupted = run.returncode == 2
            if run.returncode == PYTEST_NO_TESTS:
                results.tests = 0
        problems = _problems(report, results, groups, chosen)
        if self._combine(context, data_file, timeout_s):
            problems.append("coverage data came from parallel files (subprocesses)")
        self._combine_workers(context, data_file, timeout_s)
        replayed = list(chosen.replay.values())
        merged_data = tmp / ".coverage.merged"
        contexts: dict[str, dict[str, list[Any]]] = {}
        if data_file.exists() or replayed:
            # One process splits this session's data by module and merges the replayed records.
            stored = tmp / "replayed.json"
            stored.write_text(json.dumps(_union(r["coverage"] for r in replayed)), "utf-8")
            split = self._split(
                context, [data_file, tmp / "contexts.json", stored, merged_data], timeout_s
            )
            problems += split["problems"]
            contexts = split["contexts"]
        if problems and chosen.replay:
            return None
        executed, import_lines = by_module(contexts)
        fresh = {
            module: _record(group, executed.get(module, {}))
            for module, group in groups.items()
            if module
        }
        merged = _merged(results, fresh, chosen.replay, _order(report))
        totalled = merged_data if replayed else data_file
        percent = self._total(context, totalled, tmp / "coverage.json", timeout_s)
        counts: dict[str, Any] = {"rerun": len(fresh), "replayed": len(replayed)}
        if context.options.get("changed_files") is not None:
            counts["ran"] = sorted(fresh)  # --changed-since: which test modules the change ran
        note = selection_note(len(fresh), len(replayed))
        state = None
        if not problems:
            modules = {**chosen.replay, **fresh}
            ran_files = {path for c in contexts.values() for path in c}
            ran_files.update(path for r in replayed for path in r["coverage"])
            # Under archverify's own ``--source`` every verified file is measured, run or not:
            # an edit of one no test module ran re-runs none (a shard's modules run few files).
            scope = set(tree.files) if _coverage_source(context) is not None else set()
            state = {
                "version": STATE_VERSION,
                "files": tree.files,
                "tests": tree.tests,
                "modules": modules,
                "measured": sorted(ran_files | scope),
                "skeletons": file_skeletons(context.root, tree.files, import_lines),
            }
        measured = tmp / "coverage.json"
        return Session(merged, percent, state=state, note=note, counts=counts, report=measured)

    def _split(self, context: StepContext, files: list[Path], timeout: float) -> dict[str, Any]:
        """``coverage_contexts split`` on ``[data, contexts out, stored, merged out]``."""
        data, out, stored, merged = files
        run_checked(
            CONTEXTS_MODULE,
            ["split", str(data), str(context.root), str(out), str(stored), str(merged)],
            cwd=context.root,
            timeout_s=timeout,
            ok_codes=(0,),
            sys_path=_session_path(context),
        )
        try:
            found = json.loads(out.read_text("utf-8"))
            return {"problems": list(found["problems"]), "contexts": dict(found["contexts"])}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return {"problems": [f"unreadable coverage contexts: {exc}"], "contexts": {}}

    def _results(
        self, context: StepContext, run: ToolRun, junit: Path, paths: list[str]
    ) -> JUnitResults:
        if run.returncode not in PYTEST_REPORTED or not junit.is_file():
            # coverage reports a missing ``-m`` module on either stream.
            if reports_missing(run.stdout + run.stderr, self.pytest_module):
                raise ToolMissing(f"{self.pytest_module} is not installed: pip install pytest")
            detail = error_line(run.stderr or run.stdout)
            raise ToolFailure(f"pytest failed (exit {run.returncode}): {detail}")
        try:
            results = read_junit(junit, context.root, paths)
        except ValueError as exc:
            raise ToolFailure(f"pytest wrote no readable report: {exc}") from exc
        if run.returncode == 2 and not results.failed:
            raise ToolFailure(f"pytest was interrupted: {_summary_line(run.stdout)}")
        if run.returncode == PYTEST_NO_TESTS:
            results.tests = 0
        # Exit 2 with errors: collection errors stopped the session before any test ran.
        results.interrupted = run.returncode == 2
        return results

    def _coverage(
        self, context: StepContext, data_file: Path, report: Path, timeout: float
    ) -> float:
        """Total coverage in percent; 0 when nothing was measured."""
        self._combine(context, data_file, timeout)
        self._combine_workers(context, data_file, timeout)
        return self._total(context, data_file, report, timeout)

    def _combine_workers(self, context: StepContext, data_file: Path, timeout: float) -> None:
        """Add the xdist workers' data files (with their contexts) to ``data_file``."""
        folder = data_file.parent / WORKERS_FOLDER
        found = sorted(folder.glob(data_file.name + ".*")) if folder.is_dir() else []
        if not found:
            return
        run_checked(
            self.coverage_module,
            ["combine", "--append", f"--data-file={data_file}", "-q", *map(str, found)],
            cwd=context.root,
            timeout_s=timeout,
            ok_codes=(0,),
            sys_path=_session_path(context),
        )

    def _combine(self, context: StepContext, data_file: Path, timeout: float) -> bool:
        """Merge parallel data files into ``data_file``; whether there were any."""
        if data_file.exists() or not any(data_file.parent.glob(data_file.name + ".*")):
            return False
        # The project's config asks for parallel data files: merge them first.
        run_checked(
            self.coverage_module,
            ["combine", f"--data-file={data_file}", "-q"],
            cwd=context.root,
            timeout_s=timeout,
            ok_codes=(0, 1),
            sys_path=_session_path(context),
        )
        return True

    def _total(self, context: StepContext, data_file: Path, report: Path, timeout: float) -> float:
        # Exit 2 is the project's own fail_under; our minimum is judged separately.
        run = run_checked(
            self.coverage_module,
            ["json", f"--data-file={data_file}", "-o", str(report), "-q"],
            cwd=context.root,
            timeout_s=timeout,
            ok_codes=(0, 1, 2),
            # The project's coverage plugins, if its config names any, come from its folders.
            sys_path=_session_path(context),
        )
        if not report.is_file():
            if "No data" in run.stdout + run.stderr:
                return 0.0
            raise ToolFailure(f"coverage json failed: {error_line(run.stderr or run.stdout)}")
        try:
            totals = json.loads(report.read_text("utf-8"))["totals"]
            return round(float(totals["percent_covered"]), 2)
        except (ValueError, KeyError, TypeError) as exc:
            raise ToolFailure(f"coverage wrote an unreadable JSON report: {exc}") from exc


@dataclass
class Session:
    """A test session's merged results; ``state`` the per-module records to keep (None: none
    can be kept), ``key`` where, ``note`` what the affected-tests selection did."""

    results: JUnitResults
    percent: float
    state: dict[str, Any] | None = None
    key: str = ""
    note: str = ""
    counts: dict[str, Any] = field(default_factory=dict)
    # Where ``coverage json`` wrote the session's report (a shard's coverage data comes from it).
    report: Path | None = None


# The tests step's note on what the affected-tests selection did, as one run and the merge of
# a sharded run's shards word it.
AFFECTED_NOTE = "affected tests: "


def selection_note(ran: int, replayed: int) -> str:
    return f"{AFFECTED_NOTE}{ran} test module(s) ran, {replayed} replayed"


def session_files(share: Sequence[str] | None, chosen: Plan) -> list[str] | None:
    """The test files one affected-tests session names on pytest's command line: a shard's
    ``share`` without the modules the plan replays (pytest collects a file named there even
    when a plugin would ignore it); None for the configured test paths, where the plugin
    leaves the replayed modules uncollected."""
    if share is None:
        return None
    return [path for path in share if path not in chosen.replay]


def _selects_tests(context: StepContext) -> bool:
    """``--cache-tests`` or ``--changed-since``, with a cache to keep the records in (not
    ``--no-cache``)."""
    asked = context.options.get("cache_tests") or context.options.get("changed_files") is not None
    return bool(asked) and context.cache_dir is not None


def _full_note(reason: str) -> str:
    return f"{AFFECTED_NOTE}every test module ran ({reason})"


def _tree(context: StepContext, paths: list[str], share: list[str] | None = None) -> Tree:
    hashes = file_hashes(context)
    present = [p for p in paths if (context.root / p).exists()]
    others = () if share is None else set(collected_test_modules(context.root, present))
    return Tree(
        root=context.root,
        files={path: h for path, h in hashes.items() if h is not None},
        modules={source.path: source.module for source in context.project.files},
        tests=test_tree_hashes(context.root, paths),
        graph=context.import_graph(),
        others=frozenset(others) - frozenset(share or ()),
    )


def _problems(
    report: Path, results: JUnitResults, groups: dict[str, JUnitResults], chosen: Plan
) -> list[str]:
    """Why this session's records would not merge into what a full run reports."""
    try:
        found = json.loads(report.read_text("utf-8"))
        order = list(found["order"])
        problems = [str(p) for p in found["problems"]]
        if found["collect_errors"]:
            problems.append("collection errors")
    except (OSError, ValueError, KeyError, TypeError):
        return ["the affected-tests plugin wrote no report"]
    if results.interrupted:
        problems.append("the session was interrupted")
    if "" in groups:
        problems.append("test cases without a module")
    collected = sorted(set(chosen.replay) & set(order))
    if collected:
        problems.append(f"{collected[0]} was collected, not replayed")
    total = [
        sum(getattr(g, n) for g in groups.values())
        for n in ("tests", "failures", "errors", "skipped")
    ]
    if total != [results.tests, results.failures, results.errors, results.skipped]:
        problems.append("the JUnit counts do not add up case by case")
    return problems


def _order(report: Path) -> list[str]:
    try:
        return [str(m) for m in json.loads(report.read_text("utf-8"))["order"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _record(group: JUnitResults, coverage: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "tests": group.tests,
        "failures": group.failures,
        "errors": group.errors,
        "skipped": group.skipped,
        "failed": [asdict(case) for case in group.failed],
        "coverage": coverage,
    }


def _merged(
    results: JUnitResults,
    fresh: dict[str, dict[str, Any]],
    replay: dict[str, dict[str, Any]],
    order: list[str],
) -> JUnitResults:
    """The fresh session's counts plus the replayed modules', failures in collection order."""
    if not replay:
        return results
    merged = JUnitResults(
        tests=results.tests,
        failures=results.failures,
        errors=results.errors,
        skipped=results.skipped,
        interrupted=results.interrupted,
    )
    for record in replay.values():
        merged.tests += record["tests"]
        merged.failures += record["failures"]
        merged.errors += record["errors"]
        merged.skipped += record["skipped"]
    records = {**fresh, **replay}
    for module in [*order, *sorted(set(records) - set(order))]:
        if module in records:
            merged.failed += [FailedCase(**case) for case in records[module]["failed"]]
    return merged


def _union(coverages: Iterable[dict[str, list[Any]]]) -> dict[str, list[Any]]:
    found: dict[str, set[Any]] = {}
    for coverage in coverages:
        for path, values in coverage.items():
            found.setdefault(path, set()).update(
                tuple(v) if isinstance(v, list) else v for v in values
            )
    return {path: sorted(values) for path, values in found.items()}


def selected_test_files(context: StepContext, present: Sequence[str]) -> list[str] | None:
    """The test files this session runs, None for every one below the configured ``present``
    paths: the one place that narrows the session (``run --shard`` hands a shard's files in
    ``options["test_files"]``, as any other selection may). Only files below ``present``."""
    chosen = context.options.get("test_files")
    if chosen is None:
        return None
    inside = [
        str(f)
        for f in chosen
        if any(str(f) == p or str(f).startswith(p.rstrip("/") + "/") for p in present)
    ]
    return sorted(dict.fromkeys(inside))


def collected_test_modules(root: Path, present: Sequence[str]) -> list[str]:
    """The test modules below the test paths, relative to the root: the files pytest collects
    by its default ``python_files`` (``test_*.py``, ``*_test.py``), or by the patterns the
    project's ``[tool.pytest.ini_options] python_files`` sets; a path that is a file is one."""
    patterns = _python_files(root)
    found: list[str] = []
    for rel in present:
        base = root / rel
        if base.is_file():
            found.append(base.relative_to(root).as_posix())
            continue
        for file in sorted(base.rglob("*.py")) if base.is_dir() else []:
            parts = file.relative_to(root).parts
            if any(p.startswith(".") or p in _NOT_RECURSED for p in parts[:-1]):
                continue
            if any(fnmatch.fnmatch(file.name, pattern) for pattern in patterns):
                found.append(file.relative_to(root).as_posix())
    return sorted(dict.fromkeys(found))


# pytest's default ``norecursedirs`` (those not starting with a dot).
_NOT_RECURSED = frozenset({"build", "dist", "CVS", "_darcs", "node_modules", "venv", "{arch}"})


def _python_files(root: Path) -> list[str]:
    try:
        data = tomllib.loads((root / "pyproject.toml").read_text("utf-8"))
    except (OSError, ValueError):
        data = {}
    value = data.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("python_files")
    if isinstance(value, str):
        value = value.split()
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    return ["test_*.py", "*_test.py"]


def _measured(report: Path | None) -> dict[str, Any] | None:
    """What ``coverage json`` measured, file by file, for ``archverify merge`` to total the
    shards exactly: executed and missing lines, and the branches when branch coverage is on;
    None when coverage measured nothing (the step's 0 %)."""
    if report is None:
        return None
    try:
        data = json.loads(report.read_text("utf-8"))
        files = data["files"]
        branch = bool(data.get("meta", {}).get("branch_coverage"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    keys: tuple[str, ...] = ("executed_lines", "missing_lines")
    keys += ("executed_branches", "missing_branches") if branch else ()
    return {
        "branch": branch,
        "files": {path: {k: record.get(k, []) for k in keys} for path, record in files.items()},
    }


def configured_test_paths(context: StepContext) -> list[str]:
    value = context.config.tool(STEP_ID).options.get("paths", default(STEP_ID, "paths"))
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(p, str) for p in value):
        raise ToolFailure(f"tests options.paths must be a list of paths, not {value!r}")
    return [str(p) for p in value]


def coverage_minimum(context: StepContext) -> float:
    value = context.config.tool(STEP_ID).options.get(
        "coverage_min", default(STEP_ID, "coverage_min")
    )
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ToolFailure(f"tests options.coverage_min must be a percentage, not {value!r}")
    return float(value)


def _requested_workers(context: StepContext) -> int | str:
    value = context.config.tool(STEP_ID).options.get("workers", default(STEP_ID, "workers"))
    if value == AUTO_WORKERS:
        return AUTO_WORKERS
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ToolFailure(f'tests options.workers must be a whole number or "auto", not {value!r}')
    return value


def _coverage_source(context: StepContext) -> str | None:
    """``--source``: the verified packages, unless the project's coverage configuration says
    what to measure itself (``source``, ``include``...), which ``--source`` would override."""
    if measured_scope(context.root) is not None:
        return None
    return ",".join(package_targets(context)) or "."


def _plugin_storage(context: StepContext, tmp: Path) -> dict[str, str]:
    """Where pytest plugins that keep state in the working directory keep it instead: below
    archverify's cache folder (kept between runs), never in the tree. Hypothesis's example
    database (``.hypothesis/``) is the common one; a location the user set is left alone."""
    if "HYPOTHESIS_STORAGE_DIRECTORY" in os.environ:
        return {}
    base = context.cache_dir if context.cache_dir is not None else tmp
    return {"HYPOTHESIS_STORAGE_DIRECTORY": str(base / "hypothesis")}


def _python_path(context: StepContext) -> str:
    """Source roots first, so that a src layout is importable without being installed."""
    roots = [str((context.root / r).resolve()) for r in context.config.source_roots]
    inherited = os.environ.get("PYTHONPATH", "")
    return os.pathsep.join([*roots, inherited] if inherited else roots)


def _session_path(context: StepContext) -> list[str]:
    """What ``python -m coverage run -m pytest`` in the root had on sys.path before the
    standard library: the root, the source roots and the user's ``PYTHONPATH``.

    Isolated mode drops them; the launcher puts them back once the tools are imported.
    """
    return [str(context.root), *(p for p in _python_path(context).split(os.pathsep) if p)]


def _tree_digest(root: Path, paths: Sequence[str]) -> str:
    """Every file below the test paths: tests read fixtures and data, not only Python."""
    hashes = test_tree_hashes(root, paths)
    return hashlib.sha256(json.dumps(sorted(hashes.items())).encode()).hexdigest()


def _data_digest(context: StepContext) -> str:
    """The data files beside the verified sources (every other file below each package's
    folder, a top-level module's source root's own files: ``data_states``, as the imports
    step keys them), which the code under test may read (templates, schemas, defaults)."""
    root = str(context.root.resolve())
    states = data_states(root, list(context.project.files), ContentMemo(context.cache, root))
    return hashlib.sha256(json.dumps(sorted(set(states.values()))).encode()).hexdigest()


def _summary_line(stdout: str) -> str:
    lines = [line.strip(" =!") for line in stdout.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _test_findings(results: JUnitResults, *, part: bool = False) -> list[Finding]:
    findings = [
        FAILED.at(
            case.path,
            case.line,
            0,
            f"{case.name} {'failed' if case.kind == 'failure' else 'errored'}: {case.message}",
            extra={"test": case.name, "definition_line": case.definition_line},
        )
        for case in results.failed
    ]
    if results.tests == 0 and not findings and not part:  # a shard's merge judges it
        findings.append(NO_TESTS.at("", 0, 0, "pytest collected no tests"))
    return findings


def _leftover(root: Path, leftover: Leftover, windows: list[tuple[str, float, float]]) -> Finding:
    test = leftover.test or running_at(windows, leftover.started)
    started_by = f" started by {test}" if test else " started outside any test"
    return LEFTOVER_PROCESS.at(
        node_file(test, root),
        0,
        0,
        f"a process{started_by} was still running after the test session and was "
        f"killed: {describe(leftover)}",
        extra={"pid": leftover.pid, "command": leftover.command, "test": test},
    )


def _changed_tree(found: TreeChanges) -> list[Finding]:
    if not found:
        return []
    extra = {
        "created": list(found.created),
        "deleted": list(found.deleted),
        "changed": list(found.modified),
    }
    message = f"the test session changed the project's tree: {found.describe()}"
    return [CHANGED_TREE.at("", 0, 0, message, extra=extra)]


def _missing_path(path: str) -> Finding:
    return MISSING_PATH.at(path, 0, 0, f"test path {path!r} does not exist")


def _below_minimum(percent: float, minimum: float) -> Finding:
    message = f"total coverage {percent:.2f}% is below the minimum {minimum:g}%"
    return BELOW_MINIMUM.at("", 0, 0, message)

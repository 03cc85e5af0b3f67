"""A pytest plugin the tests step loads under ``--cache-tests``
(``-p archverify.executors.tools.pytest_affected``): which test module ran which code, and
which test modules to leave to the cache.

The modules named in the plan are not collected (``pytest_ignore_collect``); every other
file and folder is, every ``conftest.py`` is loaded. pytest never ignores a path named on its
command line, so a shard, which names its test modules, leaves the replayed ones off that line
(``tests.session_files``). While a module is imported by collection
and while its tests run, coverage's dynamic context is the test module's path, so that the data
file says which module executed which line (what runs outside, loading plugins and conftest
files, is in the empty context); each test case carries its module as a JUnit property.
The plan and the report are JSON files named by ``ARCHVERIFY_AFFECTED``:
``{"root": ..., "replay": [paths], "report": path}``. Nothing happens when it is not set.

Under pytest-xdist the workers collect and run the tests: each hands its part of the report to
the controller (``workeroutput``), which merges them and writes the one report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from archverify.executors.tools.affected import AFFECTED_VARIABLE, IMPORT_CONTEXT, MODULE_PROPERTY

_plan: dict[str, Any] = {}
_report: dict[str, Any] = {"order": [], "collect_errors": [], "problems": []}
_current: dict[str, str] = {}


def _relative(path: Any) -> str:
    root = str(_plan.get("root", os.getcwd()))
    return Path(os.path.relpath(str(path), root)).as_posix()


def pytest_configure(config: pytest.Config) -> None:
    target = os.environ.get(AFFECTED_VARIABLE)
    if not target:
        return
    try:
        with open(target, encoding="utf-8") as handle:
            _plan.update(json.load(handle))
    except (OSError, ValueError):
        _report["problems"].append("unreadable plan")


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """A replayed module is not even imported: its record holds what its import executed."""
    if _plan and _relative(collection_path) in _plan.get("replay", ()):
        return True
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, None, None]:
    """A test module's import counts for the module: its context is the module's path with
    ``IMPORT_CONTEXT`` (what runs at import time is told apart from what its tests run)."""
    coverage = _running_coverage() if _plan and isinstance(collector, pytest.Module) else None
    if coverage is not None:
        coverage.switch_context(_relative(collector.path) + IMPORT_CONTEXT)
    yield
    if coverage is not None:
        coverage.switch_context("")


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if _plan and report.failed:
        _report["collect_errors"].append(report.nodeid)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _plan:
        return
    replay = set(_plan.get("replay", ()))
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        module = _relative(item.path)
        if module not in _report["order"]:
            _report["order"].append(module)
        if module in replay:
            dropped.append(item)
        else:
            item.user_properties.append((MODULE_PROPERTY, module))
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Switch the context when the test module changes: each switch flushes coverage's data,
    too slow once per test. What runs after the last test (the session's end) counts for the
    last module, which can only make it re-run more often; what runs before the first test
    (collection, the project's imports) is in the empty context."""
    module = _relative(item.path)
    if not _plan or module == _current.get("module"):
        return
    coverage = _running_coverage()
    if coverage is not None:
        coverage.switch_context(module)
        _current["module"] = module


def _running_coverage() -> Any:
    try:
        import coverage
    except ImportError:
        return None
    current = coverage.Coverage.current()
    if current is None:
        _report["problems"].append("coverage is not running")
    elif current.config.dynamic_context:
        # The project's own dynamic contexts would be mixed with ours.
        _report["problems"].append("the project sets [run] dynamic_context")
        return None
    return current


# A worker's part of the report, in xdist's ``workeroutput``.
WORKER_REPORT = "archverify_affected"


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """In the xdist controller: a worker's part joins the report (every worker collects the
    same modules in the same order)."""
    if not _plan:
        return
    part = getattr(node, "workeroutput", {}).get(WORKER_REPORT)
    if not isinstance(part, dict):
        _report["problems"].append("a pytest-xdist worker ended without its report")
        return
    for module in part.get("order", ()):
        if module not in _report["order"]:
            _report["order"].append(module)
    for key in ("collect_errors", "problems"):
        _report[key] += [item for item in part.get(key, ()) if item not in _report[key]]


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = _plan.get("report")
    if not target:
        return
    output = getattr(session.config, "workeroutput", None)
    if isinstance(output, dict):  # an xdist worker: the controller writes the report
        output[WORKER_REPORT] = {**_report, "problems": sorted(set(_report["problems"]))}
        return
    try:
        with open(str(target), "w", encoding="utf-8") as handle:
            json.dump({**_report, "problems": sorted(set(_report["problems"]))}, handle)
    except OSError:
        pass  # no report: the step runs everything next time

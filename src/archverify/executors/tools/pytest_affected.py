"""A pytest plugin the tests step loads under ``--cache-tests``
(``-p archverify.executors.tools.pytest_affected``): which test module ran which code, and
which test modules to leave to the cache.

Every test module is still collected (collection imports the project as a full run does, and
its collection errors are fresh); the items of the modules named in the plan are deselected.
While a module's tests run, coverage's dynamic context is the test module's path, so that the
data file says which module executed which line; each test case carries its module as a JUnit
property.
The plan and the report are JSON files named by ``ARCHVERIFY_AFFECTED``:
``{"root": ..., "replay": [paths], "report": path}``. Nothing happens when it is not set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from archverify.executors.tools.affected import AFFECTED_VARIABLE, MODULE_PROPERTY

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


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = _plan.get("report")
    if not target:
        return
    try:
        with open(str(target), "w", encoding="utf-8") as handle:
            json.dump({**_report, "problems": sorted(set(_report["problems"]))}, handle)
    except OSError:
        pass  # no report: the step runs everything next time

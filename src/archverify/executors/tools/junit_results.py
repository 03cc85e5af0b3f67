"""Failing test cases read from the JUnit XML that pytest writes (``junit_family=xunit1``)."""

from __future__ import annotations

import re

# Parses pytest's own report from our temp dir.
import xml.etree.ElementTree as ET  # nosec B405
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from archverify.executors.runtime.process import relative_path

# "tests/test_a.py:10: AssertionError" or "tests/test_b.py:1: in <module>"
_TRACE_LINE = re.compile(r"^(?P<file>[^\s:][^:\n]*?\.py):(?P<line>\d+): ", re.MULTILINE)

# "E   ModuleNotFoundError: No module named 'x'": the lines pytest marks as the error.
_MARKED_LINE = re.compile(r"^E\s+(?P<text>\S.*)$", re.MULTILINE)
_EXCEPTION = re.compile(r"[\w.]*(Error|Exception|Exit|Interrupt|Warning)\b:")


@dataclass(frozen=True)
class FailedCase:
    """One test case that failed or errored, located in the verified root."""

    name: str  # "tests.test_a::test_bad"
    kind: str  # "failure" | "error"
    path: str  # relative to the root, forward slashes; "" when unknown
    line: int  # where it failed (traceback), else its definition; 0 when unknown
    definition_line: int
    message: str


@dataclass
class JUnitResults:
    """Counts of the whole run and every failing case."""

    tests: int = 0
    failures: int = 0
    errors: int = 0
    skipped: int = 0
    failed: list[FailedCase] = field(default_factory=list)
    interrupted: bool = False  # collection errors stopped the session before the tests ran
    # Seconds by test module (its path from the root): each case's ``time``, which pytest makes
    # its setup, call and teardown together (``junit_duration_report = total``, the default).
    module_seconds: dict[str, float] = field(default_factory=dict)


def read_junit(report: Path, root: Path, test_paths: Sequence[str]) -> JUnitResults:
    """Parse pytest's report; raises ``ValueError`` when it is not JUnit XML.

    File names in the report are relative to pytest's rootdir, which need not be ``root``:
    they are looked up under ``root`` and under each test path.
    """
    try:
        # Pytest's own report, written just now.
        tree = ET.parse(report)  # nosec B314
    except (ET.ParseError, OSError) as exc:
        raise ValueError(f"unreadable JUnit report {report.name}: {exc}") from exc
    results = JUnitResults()
    for suite in tree.getroot().iter("testsuite"):
        results.tests += _int(suite.get("tests"))
        results.failures += _int(suite.get("failures"))
        results.errors += _int(suite.get("errors"))
        results.skipped += _int(suite.get("skipped"))
    located: dict[str, str] = {}
    for case in tree.getroot().iter("testcase"):
        for problem in case:
            if problem.tag in {"failure", "error"}:
                results.failed.append(_failed_case(case, problem, root, test_paths))
        reported = case.get("file") or ""
        if reported:
            if reported not in located:
                located[reported] = _locate(reported, root, test_paths)
            path = located[reported]
            results.module_seconds[path] = results.module_seconds.get(path, 0.0) + _seconds(
                case.get("time")
            )
    return results


def read_junit_by_module(
    report: Path, root: Path, test_paths: Sequence[str], module_property: str
) -> tuple[JUnitResults, dict[str, JUnitResults]]:
    """``read_junit``, and the same counted case by case for each value of the test cases'
    property ``module_property`` ("" for the cases without it: collection errors)."""
    results = read_junit(report, root, test_paths)
    # Read again just above: pytest's own report in our temp dir.
    tree = ET.parse(report)  # nosec B314
    groups: dict[str, JUnitResults] = {}
    for case in tree.getroot().iter("testcase"):
        named = [
            p.get("value") or "" for p in case.iter("property") if p.get("name") == module_property
        ]
        group = groups.setdefault(named[0] if named else "", JUnitResults())
        group.tests += 1
        for problem in case:
            if problem.tag == "failure":
                group.failures += 1
            elif problem.tag == "error":
                group.errors += 1
            elif problem.tag == "skipped":
                group.skipped += 1
            if problem.tag in {"failure", "error"}:
                group.failed.append(_failed_case(case, problem, root, test_paths))
    return results, groups


def _failed_case(
    case: ET.Element, problem: ET.Element, root: Path, test_paths: Sequence[str]
) -> FailedCase:
    classname = case.get("classname") or ""
    name = case.get("name") or "?"
    reported = case.get("file") or ""
    path = _locate(reported, root, test_paths) if reported else ""
    # xunit1 gives the definition's 0-based line.
    definition = _int(case.get("line")) + 1 if case.get("line") is not None else 0
    text = problem.text or ""
    failed_at = _traceback_line(text, path, root, test_paths) if path else 0
    summary = (problem.get("message") or "").strip().splitlines()
    first = summary[0] if summary else problem.tag
    cause = _exception_line(text) if problem.tag == "error" else ""
    if cause and cause not in first:
        # "collection failure" alone hides the ImportError that caused it.
        first = f"{first}: {cause}"
    return FailedCase(
        name=f"{classname}::{name}" if classname else name,
        kind=problem.tag,
        path=path,
        line=failed_at or definition,
        definition_line=definition,
        message=first[:300],
    )


def _exception_line(text: str) -> str:
    """The last exception pytest marks with ``E`` in a traceback ("E   ImportError: ..."),
    "" when no marked line names one."""
    marked = [m["text"].strip() for m in _MARKED_LINE.finditer(text)]
    named = [line for line in marked if _EXCEPTION.match(line)]
    return named[-1] if named else ""


def _traceback_line(text: str, path: str, root: Path, test_paths: Sequence[str]) -> int:
    """The last line of the test's own file in the traceback: where it failed."""
    found = 0
    for match in _TRACE_LINE.finditer(text):
        if _locate(match["file"], root, test_paths) == path:
            found = int(match["line"])
    return found


def _locate(reported: str, root: Path, test_paths: Sequence[str]) -> str:
    candidates = [Path(reported)] if Path(reported).is_absolute() else []
    bases = [root, *(root / p for p in test_paths if (root / p).is_dir())]
    candidates += [base / reported for base in bases]
    for candidate in candidates:
        if candidate.is_file():
            return relative_path(root, str(candidate))
    return Path(reported).as_posix()


def _seconds(value: str | None) -> float:
    try:
        seconds = float(value or 0)
    except ValueError:
        return 0.0
    return seconds if 0 <= seconds < float("inf") else 0.0


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0

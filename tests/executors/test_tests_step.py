"""The tests step against real pytest and coverage on small generated projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.core.config import ToolConfig
from archverify.core.findings import Severity, StepOutcome, StepStatus
from archverify.executors.tools.tests import TestsStep
from tests.helpers.tool_project import make_context, write_files

LIBRARY = "def add(a, b):\n    return a + b\n\n\ndef unused():\n    return 1\n"
PASSING = "from pkg import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
FAILING = PASSING + "\n\ndef test_bad():\n    x = add(1, 1)\n    assert x == 3\n"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child pytest would load every installed plugin (hypothesis...): seconds per run.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _project(root: Path, tests: dict[str, str]) -> None:
    write_files(root, {"src/pkg/__init__.py": LIBRARY, **tests})


def _run(root: Path, **options: object) -> StepOutcome:
    tools = {"tests": ToolConfig(options=options)} if options else None
    context = make_context(root, source_root="src", tools=tools, cache_dir=root / ".cachedir")
    return TestsStep().run(context)


def _found(outcome: StepOutcome) -> list[tuple[str, str, int, Severity]]:
    return [(f.rule, f.path, f.line, f.severity) for f in outcome.findings]


def test_failing_test_is_reported_at_its_failing_line(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": FAILING})
    outcome = _run(tmp_path)
    assert outcome.status is StepStatus.FAILED, outcome.message
    assert _found(outcome) == [("tests/failed", "tests/test_a.py", 10, Severity.ERROR)]
    finding = outcome.findings[0]
    assert "test_bad" in finding.message and "assert 2 == 3" in finding.message
    # pytest's own message, nothing of the traceback after it ("+  where 2 = ...").
    assert finding.message.endswith("assert 2 == 3"), finding.message
    assert finding.extra["definition_line"] == 8
    assert (outcome.stats["tests"], outcome.stats["failures"]) == (2, 1)
    # Nothing written into the user's tree: no caches, no bytecode, no coverage data (that is
    # per run, in the run's temp folder, so that concurrent runs cannot share it).
    written = {p.name for p in tmp_path.rglob("*")} - {"src", "pkg", "tests"}
    assert written <= {"__init__.py", "test_a.py"}


def test_a_failing_assert_keeps_pytests_message_alone(tmp_path: Path) -> None:
    # The traceback's "E  +  where 2 = add(1, 1)" line is no exception: it is not appended.
    failing = "from pkg import add\n\n\ndef test_bad():\n    assert add(1, 1) == 3\n"
    _project(tmp_path, {"tests/test_a.py": failing})
    [finding] = _run(tmp_path).findings
    assert finding.message == "tests.test_a::test_bad failed: assert 2 == 3", finding.message


def test_coverage_below_minimum_is_an_error(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    outcome = _run(tmp_path, coverage_min=90)
    assert outcome.stats["coverage"] == 75.0  # unused() is never called
    assert _found(outcome) == [("coverage/below-minimum", "", 0, Severity.ERROR)]
    assert "75.00%" in outcome.findings[0].message


def test_coverage_at_or_above_minimum_passes(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    outcome = _run(tmp_path, coverage_min=75)
    assert outcome.status is StepStatus.PASSED, outcome.message
    assert outcome.findings == []
    assert outcome.stats["tests"] == 1


def test_no_tests_collected_is_a_warning(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": "X = 1\n"})
    outcome = _run(tmp_path)
    assert outcome.status is StepStatus.PASSED, outcome.message
    assert _found(outcome) == [("tests/no-tests", "", 0, Severity.WARNING)]
    assert outcome.stats["coverage"] == 0.0


def test_missing_test_path_is_named(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    outcome = _run(tmp_path, paths=["tests", "tests_it"])
    # An error: a tests step that silently tested less than configured must not pass.
    assert _found(outcome) == [("tests/missing-path", "tests_it", 0, Severity.ERROR)]
    assert outcome.status is StepStatus.FAILED
    assert outcome.stats["tests"] == 1


def test_collection_error_is_a_failed_test_at_its_line(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING, "tests/test_b.py": "\nimport nothere\n"})
    outcome = _run(tmp_path)
    assert _found(outcome) == [("tests/failed", "tests/test_b.py", 2, Severity.ERROR)]
    assert "errored" in outcome.findings[0].message
    assert "ModuleNotFoundError: No module named 'nothere'" in outcome.findings[0].message


def test_pytest_usage_error_is_a_step_error(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    context = make_context(
        tmp_path, source_root="src", tools={"tests": ToolConfig(args=("--no-such-flag",))}
    )
    outcome = TestsStep().run(context)
    assert outcome.status is StepStatus.ERROR
    assert "pytest failed (exit 4)" in outcome.message


def test_missing_tools_are_step_errors(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    context = make_context(tmp_path, source_root="src")
    for step in (
        TestsStep(coverage_module="archverify_no_such_tool"),
        TestsStep(pytest_module="archverify_no_such_tool"),
    ):
        outcome = step.run(context)
        assert outcome.status is StepStatus.ERROR
        assert "archverify_no_such_tool is not installed" in outcome.message


def test_bad_options_are_step_errors(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    assert "coverage_min" in _run(tmp_path, coverage_min="high").message
    assert "paths" in _run(tmp_path, paths=[1]).message


def test_cache_key_only_when_asked_and_follows_test_files(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING})
    step = TestsStep()
    assert step.cache_key(make_context(tmp_path, source_root="src")) is None
    asked = {"cache_tests": True}
    key = step.cache_key(make_context(tmp_path, source_root="src", options=asked))
    assert key is not None
    assert key == step.cache_key(make_context(tmp_path, source_root="src", options=asked))
    (tmp_path / "tests" / "data.txt").write_text("fixture\n")
    assert step.cache_key(make_context(tmp_path, source_root="src", options=asked)) != key


def test_no_coverage_figure_when_no_test_path_exists(tmp_path: Path) -> None:
    # Nothing ran: "coverage 0.0 %" beside the missing path would read as a measurement.
    _project(tmp_path, {"pkg_tests/test_a.py": PASSING})
    outcome = _run(tmp_path, paths=["tests"])
    assert _found(outcome) == [("tests/missing-path", "tests", 0, Severity.ERROR)]
    assert "coverage" not in outcome.stats

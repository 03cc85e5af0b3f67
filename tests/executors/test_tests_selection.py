"""The tests step's one seam for choosing test files (``selected_test_files``), and what a
shard's part of the step leaves to ``archverify merge``."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.core.config import ToolConfig
from archverify.core.findings import StepOutcome
from archverify.executors.tools.tests import SHARD_COVERAGE, TestsStep, collected_test_modules
from tests.helpers.tool_project import make_context, write_files

LIBRARY = "def add(a, b):\n    return a + b\n\n\ndef unused():\n    return 1\n"
PASSING = "from pkg import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
FAILING = "from pkg import add\n\n\ndef test_bad():\n    assert add(1, 1) == 3\n"


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _run(root: Path, **options: object) -> StepOutcome:
    tools = {"tests": ToolConfig(options={"coverage_min": 99, "paths": ["tests", "missing"]})}
    context = make_context(root, source_root="src", tools=tools, options=options)
    return TestsStep().run(context)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    files = {
        "src/pkg/__init__.py": LIBRARY,
        "tests/test_pass.py": PASSING,
        "tests/test_fail.py": FAILING,
        "tests/helpers.py": "X = 1\n",
    }
    write_files(tmp_path, files)
    return tmp_path


def test_the_test_modules_are_the_files_pytest_collects(project: Path) -> None:
    assert collected_test_modules(project, ["tests"]) == [
        "tests/test_fail.py",
        "tests/test_pass.py",
    ]


def test_the_chosen_files_alone_run(project: Path) -> None:
    outcome = _run(project, test_files=("tests/test_pass.py",))
    assert outcome.stats["tests"] == 1 and outcome.stats["failures"] == 0
    whole = _run(project)
    assert whole.stats["tests"] == 2 and whole.stats["failures"] == 1


def test_a_shards_part_leaves_the_run_wide_verdicts_to_the_merge(project: Path) -> None:
    whole = {f.rule for f in _run(project).findings}
    assert {"tests/missing-path", "coverage/below-minimum", "tests/failed"} <= whole
    part = _run(project, test_files=("tests/test_pass.py",), shard_part=True, shard_first=False)
    assert [f.rule for f in part.findings] == []
    measured = part.stats[SHARD_COVERAGE]
    assert set(measured["files"]) == {"src/pkg/__init__.py"}
    assert measured["files"]["src/pkg/__init__.py"]["missing_lines"]
    first = _run(project, test_files=(), shard_part=True, shard_first=True)
    assert [f.rule for f in first.findings] == ["tests/missing-path"]
    # No test module in this shard: no session, and no "no tests" (the merge judges it).
    assert first.stats["tests"] == 0 and first.stats[SHARD_COVERAGE] is None

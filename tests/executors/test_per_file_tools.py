"""What every per-file tool step (``PerFileTool``: ruff, bandit) shares, one case per step.

A step added on ``PerFileTool`` gets its row here: a project it finds something in, one edit,
and what it must report after the edit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from archverify.core.findings import Severity, StepOutcome, StepStatus
from archverify.executors.base import Step
from archverify.executors.tools.bandit import BanditStep
from archverify.executors.tools.common import PerFileTool
from archverify.executors.tools.ruff import RuffStep
from tests.executors import test_bandit_step, test_ruff_step
from tests.helpers.factories import MemoryCache
from tests.helpers.tool_project import make_context


@dataclass(frozen=True)
class Case:
    step: Callable[..., Step]  # a PerFileTool; takes module=
    write_project: Callable[[Path], None]  # four files, at least one finding
    edit: tuple[str, str]  # (path, new text) of one file
    check_edited: Callable[[StepOutcome], None]


def _bandit_after_edit(edited: StepOutcome) -> None:
    found = test_bandit_step.found_in(edited)
    assert ("bandit/B403", "pkg/clean.py", 1, Severity.WARNING) in found
    assert len(edited.findings) == 3


def _ruff_after_edit(edited: StepOutcome) -> None:
    assert [(f.path, f.line) for f in edited.findings] == [("pkg/a.py", 3), ("pkg/c.py", 3)]


CASES = {
    "bandit": Case(
        BanditStep,
        test_bandit_step.write_project,
        ("pkg/clean.py", "import pickle\n"),
        _bandit_after_edit,
    ),
    "ruff": Case(
        RuffStep,
        test_ruff_step.write_project,
        ("pkg/c.py", '"""C."""\n\nimport re\n'),
        _ruff_after_edit,
    ),
}


def test_every_per_file_tool_has_a_case() -> None:
    made: set[type] = {type(case.step()) for case in CASES.values()}
    assert made == set(PerFileTool.__subclasses__())


@pytest.mark.parametrize("name", sorted(CASES))
def test_only_changed_files_are_rerun(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    case.write_project(tmp_path)
    cache = MemoryCache()
    first = case.step().run(make_context(tmp_path, cache=cache))
    assert first.stats["files_run"] == 4
    again = case.step().run(make_context(tmp_path, cache=cache))
    assert again.stats["files_run"] == 0
    assert again.findings == first.findings
    path, text = case.edit
    (tmp_path / path).write_text(text)
    edited = case.step().run(make_context(tmp_path, cache=cache))
    assert edited.stats["files_run"] == 1
    case.check_edited(edited)


@pytest.mark.parametrize("name", sorted(CASES))
def test_missing_tool_is_a_step_error(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    case.write_project(tmp_path)
    outcome = case.step(module="archverify_no_such_tool").run(make_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert "pip install" in outcome.message

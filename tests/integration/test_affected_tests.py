"""Affected tests under ``--cache-tests``: an edit re-runs exactly the test modules that executed
or import the edited file, and the merged report equals a full run's.

Real pytest and coverage through the CLI, twice or more on one small project. Each test module
writes its name into a folder outside the tree when it runs, so the tests see which ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.configs import APP, with_tests_step
from tests.helpers.tree import write_tree

MARK = (
    "import os\n\n\ndef _mark(name: str) -> None:\n"
    "    with open(os.path.join(os.environ['AFFECTED_MARKS'], name), 'a') as f:\n"
    "        f.write('x')\n\n\n"
)
PROJECT = {
    "pyproject.toml": APP + with_tests_step(coverage_min=0),
    "src/app/__init__.py": "",
    "src/app/calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n\n\n"
    "def unused() -> int:\n    return 0\n",
    "src/app/text.py": "def shout(s: str) -> str:\n    return s.upper()\n",
    # Only names: a test that reads LIMIT executes no line of it while it runs.
    "src/app/consts.py": "LIMIT = 3\n",
    "tests/conftest.py": "",
    "tests/test_calc.py": MARK + "from app.calc import add\n\n\n"
    "def test_add() -> None:\n    _mark('test_calc')\n    assert add(1, 2) == 3\n\n\n"
    "def test_add_fails() -> None:\n    _mark('test_calc')\n    assert add(1, 1) == 3\n",
    "tests/test_text.py": MARK + "from app.text import shout\n\n\n"
    "def test_shout() -> None:\n    _mark('test_text')\n    assert shout('a') == 'A'\n",
    "tests/test_limit.py": MARK + "from app import consts\n\n\n"
    "def test_limit() -> None:\n    _mark('test_limit')\n    assert consts.LIMIT == 3\n",
}
ALL = {"test_calc", "test_text", "test_limit"}


class Project:
    """The project, its marks folder and one cache folder for every run."""

    def __init__(self, tmp_path: Path, extra: dict[str, str] | None = None) -> None:
        self.root = write_tree(tmp_path / "repo", {**PROJECT, **(extra or {})})
        self.marks = tmp_path / "marks"
        self.marks.mkdir()
        self.cache = tmp_path / "cache"

    def run(self, *extra: str) -> tuple[CliRun, set[str]]:
        for mark in self.marks.iterdir():
            mark.unlink()
        run = run_cli(
            ["run", str(self.root), "--steps", "tests", "--format", "json", *extra],
            cwd=self.root,
            env={"AFFECTED_MARKS": str(self.marks)},
        )
        assert run.returncode in (0, 1), run.stderr
        return run, {mark.name for mark in self.marks.iterdir()}

    def cached(self) -> tuple[CliRun, set[str]]:
        return self.run("--cache-tests", "--cache-dir", str(self.cache))

    def edit(self, path: str, text: str) -> None:
        (self.root / path).write_text(text)


def _result(run: CliRun) -> dict[str, Any]:
    """What a full run must agree on: the findings, the counts and the coverage figure."""
    step = run.step("tests")
    stats = {k: step["stats"].get(k) for k in ("tests", "failures", "errors", "skipped")}
    findings = sorted(json.dumps(f, sort_keys=True) for f in run.json()["findings"])
    return {"stats": stats, "coverage": step["stats"].get("coverage"), "findings": findings}


def _assert_as_full_run(project: Project, selected: CliRun) -> None:
    full, ran = project.run("--no-cache")
    assert ran == ALL
    assert _result(selected) == _result(full)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    made = Project(tmp_path)
    first, ran = made.cached()
    assert ran == ALL
    assert first.step("tests")["stats"]["tests"] == 4
    return made


def test_an_untouched_project_replays_everything(project: Project) -> None:
    again, ran = project.cached()
    assert ran == set()
    assert again.step("tests")["cached"] is True


def test_a_body_edit_reruns_the_modules_that_executed_it(project: Project) -> None:
    project.edit("src/app/calc.py", PROJECT["src/app/calc.py"].replace("a + b", "b + a"))
    selected, ran = project.cached()
    assert ran == {"test_calc"}
    step = selected.step("tests")
    assert step["stats"]["affected"] == {"rerun": 1, "replayed": 2}
    assert "1 test module(s) ran, 2 replayed" in step["message"]
    _assert_as_full_run(project, selected)


def test_moved_lines_and_a_new_function_keep_the_coverage_exact(project: Project) -> None:
    # Lines move: coverage of the edited file must come from this run, not the record; a new
    # function changes text.py's import-time part, which test_text imports.
    project.edit("src/app/calc.py", "\n\n" + PROJECT["src/app/calc.py"].replace("0", "1"))
    project.edit("src/app/text.py", PROJECT["src/app/text.py"] + "\n\ndef f() -> None:\n    pass\n")
    selected, ran = project.cached()
    assert ran == {"test_calc", "test_text"}
    _assert_as_full_run(project, selected)


def test_a_module_that_only_imports_the_edited_file_reruns(project: Project) -> None:
    project.edit("src/app/consts.py", "LIMIT = 4\n")
    selected, ran = project.cached()
    assert ran == {"test_limit"}
    assert selected.step("tests")["stats"]["failures"] == 2
    _assert_as_full_run(project, selected)


def test_a_new_test_file_runs_and_the_others_replay(project: Project) -> None:
    project.edit(
        "tests/test_new.py",
        MARK + "def test_new() -> None:\n    _mark('test_new')\n",
    )
    selected, ran = project.cached()
    assert ran == {"test_new"}
    assert selected.step("tests")["stats"]["tests"] == 5
    full, every = project.run("--no-cache")
    assert every == ALL | {"test_new"}
    assert _result(selected) == _result(full)


def test_a_changed_test_file_reruns_only_itself(project: Project) -> None:
    project.edit("tests/test_text.py", PROJECT["tests/test_text.py"] + "\n# changed\n")
    _, ran = project.cached()
    assert ran == {"test_text"}


def test_a_changed_conftest_reruns_everything(project: Project) -> None:
    project.edit("tests/conftest.py", "# a fixture would go here\n")
    selected, ran = project.cached()
    assert ran == ALL
    assert "every test module ran" in selected.step("tests")["message"]


def test_the_records_stay_out_of_the_tree(project: Project) -> None:
    project.edit("src/app/text.py", PROJECT["src/app/text.py"].replace("upper()", "upper() "))
    _, ran = project.cached()
    assert ran == {"test_text"}
    written = {p.name for p in project.root.rglob("*") if ".coverage" in p.name}
    assert written == set()
    assert not (project.root / ".archverify_cache").exists()


def test_branch_coverage_merges_arcs_exactly(tmp_path: Path) -> None:
    branch = PROJECT["pyproject.toml"] + "\n[tool.coverage.run]\nbranch = true\n"
    project = Project(tmp_path, {"pyproject.toml": branch})
    _, ran = project.cached()
    assert ran == ALL
    project.edit("src/app/text.py", PROJECT["src/app/text.py"].replace("upper()", "upper() "))
    selected, ran = project.cached()
    assert ran == {"test_text"}
    _assert_as_full_run(project, selected)

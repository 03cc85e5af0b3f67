"""The tests step with pytest-xdist workers (``[tool.archverify.tests] workers``): the same
counts, failures and coverage figure as one process, and affected-test selection under them.

Real pytest, pytest-xdist and coverage through the CLI on a small project. Each test module
writes the xdist worker it ran in (``-`` for none) into a folder outside the tree, so the
tests see where each module ran.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from archverify.core.config import ToolConfig
from archverify.executors.tools.tests import NO_XDIST, TestsStep
from tests.helpers.cli import CliRun, run_cli
from tests.helpers.configs import APP
from tests.helpers.tool_project import make_context
from tests.helpers.tree import write_tree

MARK = (
    "import os\n\n\ndef _mark(name: str) -> None:\n"
    "    worker = os.environ.get('PYTEST_XDIST_WORKER') or '-'\n"
    "    with open(os.path.join(os.environ['WORKER_MARKS'], name), 'a') as f:\n"
    "        f.write(worker + '\\n')\n\n\n"
)
# Function bodies run only inside tests, so a worker whose coverage was lost lowers the figure;
# the conftest import runs in the controller and in every worker.
PROJECT = {
    "src/app/__init__.py": "",
    "src/app/calc.py": "def add(a: int, b: int) -> int:\n    if a > 100:\n        return 0\n"
    "    return a + b\n\n\ndef unused() -> int:\n    return 0\n",
    "src/app/text.py": "def shout(s: str) -> str:\n    return s.upper()\n\n\n"
    "def whisper(s: str) -> str:\n    return s.lower()\n",
    "tests/conftest.py": "import app.calc  # noqa: F401\n",
    "tests/test_calc.py": MARK + "from app.calc import add\n\n\n"
    "def test_add() -> None:\n    _mark('test_calc')\n    assert add(1, 2) == 3\n\n\n"
    "def test_add_fails() -> None:\n    _mark('test_calc')\n    assert add(1, 1) == 3\n",
    "tests/test_text.py": MARK + "from app.text import shout\n\n\n"
    "def test_shout() -> None:\n    _mark('test_text')\n    assert shout('a') == 'A'\n",
    "tests/test_more.py": MARK + "import pytest\n\nfrom app.text import whisper\n\n\n"
    "@pytest.mark.parametrize('n', range(6))\n"
    "def test_whisper(n: int) -> None:\n    _mark('test_more')\n"
    "    assert whisper('A') == 'a'\n\n\n"
    "@pytest.mark.skip(reason='not today')\ndef test_skipped() -> None:\n    pass\n",
}
ALL = {"test_calc", "test_text", "test_more"}


def _config(workers: str | None, branch: bool = False) -> str:
    text = APP + '\n[tool.archverify.tests]\npaths = ["tests"]\n'
    if workers is not None:
        text += f"workers = {workers}\n"
    if branch:
        text += "\n[tool.coverage.run]\nbranch = true\n"
    return text


class Project:
    """The project, its marks folder and one cache folder for every run."""

    def __init__(self, tmp_path: Path, workers: str | None, branch: bool = False) -> None:
        files = {**PROJECT, "pyproject.toml": _config(workers, branch)}
        self.root = write_tree(tmp_path / "repo", files)
        self.marks = tmp_path / "marks"
        self.marks.mkdir()
        self.cache = tmp_path / "cache"

    def run(self, *extra: str) -> tuple[CliRun, dict[str, set[str]]]:
        """One run of the tests step, and the workers each test module ran in."""
        for mark in self.marks.iterdir():
            mark.unlink()
        run = run_cli(
            ["run", str(self.root), "--steps", "tests", "--format", "json", *extra],
            cwd=self.root,
            env={"WORKER_MARKS": str(self.marks)},
        )
        assert run.returncode in (0, 1), run.stderr
        ran = {m.name: set(m.read_text().split()) for m in self.marks.iterdir()}
        return run, ran

    def cached(self) -> tuple[CliRun, dict[str, set[str]]]:
        return self.run("--cache-tests", "--cache-dir", str(self.cache))

    def configure(self, workers: str | None, branch: bool = False) -> None:
        (self.root / "pyproject.toml").write_text(_config(workers, branch))


def _result(run: CliRun) -> dict[str, Any]:
    """What a one-process run must agree on: the findings, the counts and the coverage."""
    step = run.step("tests")
    stats = {k: step["stats"].get(k) for k in ("tests", "failures", "errors", "skipped")}
    findings = sorted(json.dumps(f, sort_keys=True) for f in run.json()["findings"])
    return {"stats": stats, "coverage": step["stats"].get("coverage"), "findings": findings}


def _in_workers(ran: dict[str, set[str]]) -> bool:
    return all(worker.startswith("gw") for workers in ran.values() for worker in workers)


@pytest.mark.parametrize("branch", [False, True], ids=["lines", "branches"])
def test_workers_report_what_one_process_reports(tmp_path: Path, branch: bool) -> None:
    project = Project(tmp_path, "2", branch)
    parallel, ran = project.run("--no-cache")
    assert set(ran) == ALL and _in_workers(ran), ran
    assert parallel.step("tests")["stats"]["workers"] == 2
    project.configure(None, branch)
    serial, ran = project.run("--no-cache")
    assert ran == {name: {"-"} for name in ALL}
    assert "workers" not in serial.step("tests")["stats"]
    assert _result(parallel) == _result(serial)
    assert _result(serial)["stats"] == {"tests": 10, "failures": 1, "errors": 0, "skipped": 1}
    # Neither 100 (unused() never runs) nor only the definitions the conftest import runs.
    assert 60 < _result(serial)["coverage"] < 100


def test_affected_tests_run_only_the_selected_modules_in_the_workers(tmp_path: Path) -> None:
    project = Project(tmp_path, '"auto"')
    first, ran = project.cached()
    assert set(ran) == ALL and _in_workers(ran), ran
    assert first.step("tests")["stats"]["workers"] == "auto"
    calc = project.root / "src/app/calc.py"
    calc.write_text(calc.read_text().replace("a + b", "b + a"))
    selected, ran = project.cached()
    assert set(ran) == {"test_calc"} and _in_workers(ran), ran
    step = selected.step("tests")
    assert step["stats"]["affected"] == {"rerun": 1, "replayed": 2}, step["message"]
    project.configure(None)
    full, ran = project.run("--no-cache")
    assert set(ran) == ALL
    assert _result(selected) == _result(full)


def test_without_xdist_the_tests_run_in_one_process_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {k: v for k, v in PROJECT.items() if k != "tests/test_more.py"})
    marks = tmp_path.parent / f"{tmp_path.name}-marks"
    marks.mkdir()
    monkeypatch.setenv("WORKER_MARKS", str(marks))
    tools = {"tests": ToolConfig(options={"workers": 2})}
    context = make_context(tmp_path, source_root="src", packages=("app",), tools=tools)
    outcome = TestsStep(xdist_module="archverify_test_no_xdist").run(context)
    assert outcome.message == NO_XDIST
    assert (outcome.stats["tests"], outcome.stats["failures"]) == (3, 1)
    assert "workers" not in outcome.stats
    assert {m.name: m.read_text().split() for m in marks.iterdir()} == {
        "test_calc": ["-", "-"],
        "test_text": ["-"],
    }


def test_shards_with_workers_merge_into_what_one_run_with_workers_reports(tmp_path: Path) -> None:
    # Each shard's session runs its test modules in xdist workers, its partial carries the
    # workers' coverage; the merge reports the whole run's counts, coverage and setting.
    project = Project(tmp_path, "2")
    whole, ran = project.run("--no-cache")
    assert set(ran) == ALL and _in_workers(ran), ran
    partials = []
    for index in (1, 2):
        partial = tmp_path / f"shard-{index}.json"
        shard, ran = project.run("--no-cache", "--shard", f"{index}/2", "--partial", str(partial))
        assert _in_workers(ran), ran
        partials.append(str(partial))
    merged = run_cli(["merge", *partials, "--format", "json"], cwd=project.root)
    assert merged.returncode == whole.returncode, merged.stderr
    assert _result(merged) == _result(whole)
    assert merged.step("tests")["stats"]["workers"] == 2  # the setting, not a count to add up

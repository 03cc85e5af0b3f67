"""Failures that explain themselves, through the real CLI with the real pytest and coverage:
each message carries the cause a user needs, not a stand-in for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.configs import APP
from tests.helpers.tree import write_tree

LIBRARY = "def add(a, b):\n    return a + b\n\n\ndef unused():\n    return 1\n"
PASSING = "from app import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
TESTS_STEP = '\n[tool.archverify.tests]\npaths = ["tests"]\ncoverage_min = 50\n'


@pytest.fixture(autouse=True)
def _no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    # The child pytest would load every installed plugin (hypothesis...): seconds per run.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def _project(root: Path, files: dict[str, str], extra_config: str = "") -> None:
    pyproject = APP + 'steps = ["tests"]\n' + TESTS_STEP + extra_config
    write_tree(root, {"pyproject.toml": pyproject, "src/app/__init__.py": LIBRARY, **files})


def _run(root: Path) -> CliRun:
    return run_cli(["run", ".", "--no-cache", "--format", "json"], cwd=root, timeout_s=120)


def _tests_step(run: CliRun) -> dict[str, Any]:
    return run.step("tests")


def test_collection_error_carries_the_exception_line(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING, "tests/test_cli.py": "import nothere\n"})
    run = _run(tmp_path)
    assert run.returncode == 1, run.stderr
    [finding] = [f for f in run.json()["findings"] if f["rule"] == "tests/failed"]
    assert finding["path"] == "tests/test_cli.py"
    assert "collection failure" in finding["message"]
    assert "ModuleNotFoundError: No module named 'nothere'" in finding["message"]


def test_interrupted_collection_reports_no_coverage_figure(tmp_path: Path) -> None:
    _project(tmp_path, {"tests/test_a.py": PASSING, "tests/test_cli.py": "import nothere\n"})
    run = _run(tmp_path)
    step = _tests_step(run)
    assert step["message"] == "collection interrupted: 0 tests ran"
    assert step["stats"]["tests"] == 0 and step["stats"]["interrupted"] is True
    assert "coverage" not in step["stats"]
    # No cascading coverage/below-minimum: nothing ran, so nothing was measured.
    assert [f["rule"] for f in run.json()["findings"]] == ["tests/failed"]
    text = run_cli(["run", ".", "--no-cache"], cwd=tmp_path, timeout_s=120).stdout
    assert "collection interrupted: 0 tests ran" in text
    assert "coverage" not in text.split("step ", 1)[1].split("\n\n")[0]


def test_tool_that_could_not_run_shows_its_last_error_line(tmp_path: Path) -> None:
    # The project's own coverage settings make coverage warn first ("--include is ignored
    # because --source is set"), then pytest fails on an unknown flag: the message names that.
    coverage = '\n[tool.coverage.run]\ninclude = ["src/*"]\nsource = ["src"]\n'
    _project(tmp_path, {"tests/test_a.py": PASSING}, 'args = ["--no-such-flag"]\n' + coverage)
    run = _run(tmp_path)
    step = _tests_step(run)
    assert step["status"] == "error", run.stdout
    assert "pytest failed (exit 4)" in step["message"]
    assert "unrecognized arguments: --no-such-flag" in step["message"]
    assert "CoverageWarning" not in step["message"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pyproject.toml", '\n[tool.coverage.run]\ninclude = ["src/app/used.py"]\n'),
        (".coveragerc", "[run]\ninclude = src/app/used.py\n"),
        ("setup.cfg", "[coverage:run]\ninclude = src/app/used.py\n"),
    ],
)
def test_the_projects_coverage_configuration_chooses_what_is_measured(
    tmp_path: Path, name: str, text: str
) -> None:
    # used.py is fully covered, __init__.py only half: measuring used.py alone gives 100 %.
    files = {
        "tests/test_a.py": "from app.used import one\n\n\ndef test_one():\n    assert one() == 1\n",
        "src/app/used.py": "def one():\n    return 1\n",
    }
    _project(tmp_path, files, text if name == "pyproject.toml" else "")
    if name != "pyproject.toml":
        (tmp_path / name).write_text(text)
    run = _run(tmp_path)
    step = _tests_step(run)
    assert step["status"] == "passed", run.stdout
    assert step["stats"]["coverage"] == 100.0


def test_without_coverage_configuration_the_packages_are_measured(tmp_path: Path) -> None:
    files = {
        "tests/test_a.py": "from app.used import one\n\n\ndef test_one():\n    assert one() == 1\n",
        "src/app/used.py": "def one():\n    return 1\n",
    }
    _project(tmp_path, files)
    step = _tests_step(_run(tmp_path))
    # __init__.py's two functions are never called: the whole package is below 100 %.
    assert 0 < step["stats"]["coverage"] < 100

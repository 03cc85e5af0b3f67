"""A repository cannot stand in for ruff, mypy, bandit, coverage or pytest (issue 9, item 1).

Each forger at the root, in the source root and in the tests folder records that it ran in a
file outside the tree and then fakes a clean result; the real tools must run instead and report
the real violations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP, with_tests_step
from tests.helpers.tree import tree_digest, write_tree

CONFIG = APP + with_tests_step(coverage_min=99)

VIOLATIONS = {
    "pyproject.toml": CONFIG,
    "src/app/__init__.py": "",
    "src/app/shell.py": (
        "import os\n"
        "import subprocess\n"
        "\n"
        "\n"
        "def run(cmd: str) -> int:\n"
        "    return subprocess.call(cmd, shell=True)\n"
    ),
    "src/app/typed.py": 'COUNT: int = "three"\n',
    "src/app/calc.py": (
        "def add(a: int, b: int) -> int:\n"
        "    return a + b\n"
        "\n"
        "\n"
        "def unused(a: int) -> int:\n"
        "    if a > 1:\n"
        "        return a * 2\n"
        "    return a - 1\n"
    ),
    "tests/test_calc.py": (
        "from app.calc import add\n\n\ndef test_add() -> None:\n    assert add(1, 1) == 3\n"
    ),
}


def _forger(log: Path, name: str, fake: str) -> str:
    """A module that writes ``name`` to ``log`` outside the tree, prints ``fake``, exits 0."""
    return (
        "import sys\n"
        f"with open({str(log)!r}, 'a') as out:\n"
        f"    out.write({name!r} + '\\n')\n"
        f"print({fake!r})\n"
        "sys.exit(0)\n"
    )


def _forgers(log: Path) -> dict[str, str]:
    fakes = {
        "ruff": "[]",
        "mypy": "",
        "bandit": '{"results": [], "errors": []}',
        "coverage": "",
        "pytest": "",
    }
    files: dict[str, str] = {}
    for folder in ("", "src/", "tests/"):
        for tool, fake in fakes.items():
            files[f"{folder}{tool}.py"] = _forger(log, f"{folder}{tool}.py", fake)
        for hook in ("sitecustomize", "usercustomize"):
            files[f"{folder}{hook}.py"] = _forger(log, f"{folder}{hook}.py", "")
    # A package at the root wins over a module of the same name: forge bandit that way too.
    files.pop("bandit.py")
    files["bandit/__init__.py"] = ""
    files["bandit/__main__.py"] = _forger(log, "bandit/__main__.py", fakes["bandit"])
    files["ruff/__init__.py"] = ""
    files["ruff/__main__.py"] = _forger(log, "ruff/__main__.py", fakes["ruff"])
    files.pop("ruff.py")
    return files


@pytest.fixture(scope="module")
def forged_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, Path, dict[str, str]]:
    base = tmp_path_factory.mktemp("shadowing")
    outside = base / "outside"
    outside.mkdir()
    log = outside / "forgers-ran.log"
    repo = write_tree(base / "repo", {**VIOLATIONS, **_forgers(log)})
    before = tree_digest(repo)
    # An empty PYTHONDONTWRITEBYTECODE is unset: a __pycache__ left in the tree would show.
    run = run_cli(
        ["run", str(repo), "--steps", "ruff,mypy,bandit,tests", "--format", "json"],
        cwd=outside,
        env={"PYTHONDONTWRITEBYTECODE": ""},
    )
    assert_no_leftover_processes(run)
    assert tree_digest(repo) == before
    assert not log.exists(), f"forged tools ran: {log.read_text()}"
    return run, repo, before


@pytest.mark.parametrize(
    ("step", "rule", "path"),
    [
        ("ruff", "ruff/F401", "src/app/shell.py"),
        ("mypy", "mypy/assignment", "src/app/typed.py"),
        ("bandit", "bandit/B602", "src/app/shell.py"),
        ("tests", "tests/failed", "tests/test_calc.py"),
        ("tests", "coverage/below-minimum", ""),
    ],
)
def test_the_real_tool_runs_and_reports_the_real_violation(
    forged_run: tuple[object, Path, dict[str, str]], step: str, rule: str, path: str
) -> None:
    run = forged_run[0]
    report = run.json()  # type: ignore[attr-defined]
    statuses = {s["id"]: s["status"] for s in report["steps"]}
    assert statuses[step] == "failed", report["steps"]
    assert (rule, path) in {(f["rule"], f["path"]) for f in report["findings"]}
    assert run.returncode == 1  # type: ignore[attr-defined]

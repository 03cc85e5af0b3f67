"""Tool arguments and tool configuration cannot make a tool change the tree (issue 9, item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.core.tool_args import argument_file, refused_argument
from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP
from tests.helpers.tree import tree_digest, write_tree

FIXABLE = {
    "src/app/__init__.py": "",
    # F401 twice: ruff's fix would delete both lines.
    "src/app/calc.py": "import os\nimport sys\n\nVALUE = 1\n",
}
BASE = APP


@pytest.mark.parametrize(
    ("step", "args", "refused"),
    [
        ("ruff", '["--fix"]', "--fix"),
        ("ruff", '["--unsafe-fixes"]', "--unsafe-fixes"),
        ("ruff", '["--select", "F", "--add-noqa"]', "--add-noqa"),
        ("ruff", '["--watch"]', "--watch"),
        ("ruff", '["-w"]', "-w"),
        ("ruff", '["--fix-only"]', "--fix-only"),
        ("ruff", '["-o", "src/app/calc.py"]', "-o"),
        ("mypy", '["--install-types", "--non-interactive"]', "--install-types"),
        ("mypy", '["--html-report", "src"]', "--html-report"),
        ("mypy", '["--linecount-rep=src"]', "--linecount-rep=src"),
        ("mypy", '["--junit-xml", "src/app/calc.py"]', "--junit-xml"),
        ("mypy", '["--cache-dir=src"]', "--cache-dir=src"),
        ("bandit", '["-o", "src/app/calc.py"]', "-o"),
        ("bandit", '["-qo", "src/app/calc.py"]', "-qo"),
        ("bandit", '["--output=src/app/calc.py"]', "--output=src/app/calc.py"),
        ("tests", '["--basetemp=src"]', "--basetemp=src"),
        ("tests", '["--junitxml", "src/app/calc.py"]', "--junitxml"),
        ("tests", '["-p", "cacheprovider"]', "-p cacheprovider"),
        ("tests", '["-pcacheprovider"]', "-pcacheprovider"),
    ],
)
def test_a_writing_argument_is_a_configuration_error_naming_the_key(
    tmp_path: Path, step: str, args: str, refused: str
) -> None:
    config = f"{BASE}\n[tool.archverify.{step}]\nargs = {args}\n"
    repo = write_tree(tmp_path / "repo", {**FIXABLE, "pyproject.toml": config})
    before = tree_digest(repo)
    run = run_cli(["run", str(repo), "--steps", step], cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    line = config.splitlines().index(f"args = {args}") + 1
    assert f"pyproject.toml:{line}: tool.archverify.{step}.args: {refused!r}" in run.stderr
    assert "read-only" in run.stderr
    assert tree_digest(repo) == before
    assert_no_leftover_processes(run)


def test_read_only_arguments_are_accepted() -> None:
    assert refused_argument("ruff", ["--select", "E,F", "--diff", "--show-fixes", "-q"]) is None
    assert (
        refused_argument("mypy", ["--strict", "--cache-fine-grained", "--config-file", "x"]) is None
    )
    assert refused_argument("bandit", ["-lll", "-ii", "-s", "B101"]) is None
    assert refused_argument("tests", ["-x", "-o", "junit_family=xunit2", "--", "--fix"]) is None
    assert refused_argument("tests", ["-p", "no:randomly", "-pxdist", "-n", "2"]) is None


@pytest.mark.parametrize("setting", ["fix = true", "fix-only = true"])
def test_the_projects_ruff_fix_setting_does_not_rewrite_the_tree(
    tmp_path: Path, setting: str
) -> None:
    config = f"{BASE}\n[tool.ruff]\n{setting}\nunsafe-fixes = true\n"
    repo = write_tree(tmp_path / "repo", {**FIXABLE, "pyproject.toml": config})
    before = tree_digest(repo)
    run = run_cli(["run", str(repo), "--steps", "ruff", "--format", "json"], cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert run.rules().count(("ruff/F401", "src/app/calc.py", 1)) == 1
    assert ("ruff/F401", "src/app/calc.py", 2) in run.rules()
    assert tree_digest(repo) == before
    assert_no_leftover_processes(run)


def test_the_projects_bandit_output_setting_neither_writes_nor_hides_the_report(
    tmp_path: Path,
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    shell = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    files = {
        "pyproject.toml": BASE,
        "src/app/__init__.py": "",
        "src/app/shell.py": shell,
        ".bandit": f"[bandit]\noutput = {outside / 'stolen.json'}\n",
    }
    repo = write_tree(tmp_path / "repo", files)
    before = tree_digest(repo)
    run = run_cli(["run", str(repo), "--steps", "bandit", "--format", "json"], cwd=outside)
    assert ("bandit/B602", "src/app/shell.py", 5) in run.rules(), run.stdout + run.stderr
    assert list(outside.iterdir()) == []
    assert tree_digest(repo) == before
    assert_no_leftover_processes(run)


@pytest.mark.parametrize("step", ["mypy", "tests", "ruff"])
@pytest.mark.parametrize("args", ['["@margs.txt"]', '["--", "@margs.txt"]'])
def test_an_argument_file_is_a_configuration_error(tmp_path: Path, step: str, args: str) -> None:
    """``@FILE`` would hand the tool arguments the read-only check and the cache key never see."""
    outside = tmp_path / "outside"
    outside.mkdir()
    config = f"{BASE}\n[tool.archverify.{step}]\nargs = {args}\n"
    # What each tool would read from the file: a report written outside the tree.
    writes = {"mypy": "--junit-xml", "tests": "--junitxml", "ruff": "--output-file"}
    hidden = f"{writes[step]}\n{outside / 'x.xml'}\n"
    repo = write_tree(
        tmp_path / "repo",
        {**FIXABLE, "pyproject.toml": config, "margs.txt": hidden, "tests/test_a.py": ""},
    )
    before = tree_digest(repo)
    run = run_cli(["run", str(repo), "--steps", step, "--no-cache"], cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    line = config.splitlines().index(f"args = {args}") + 1
    assert f"pyproject.toml:{line}: tool.archverify.{step}.args: '@margs.txt'" in run.stderr
    assert "read more arguments from that file" in run.stderr
    assert list(outside.iterdir()) == []
    assert tree_digest(repo) == before
    assert_no_leftover_processes(run)


def test_bandit_reads_no_argument_files_so_at_is_a_path() -> None:
    assert argument_file("bandit", ["@targets.txt"]) is None
    assert argument_file("mypy", ["--strict", "@more"]) == "@more"


@pytest.mark.parametrize("step", ["mypy", "tests"])
def test_a_path_named_like_an_argument_file_is_a_path(tmp_path: Path, step: str) -> None:
    """argparse expands ``@src/app`` after ``--`` too: into the arguments written in src/app."""
    outside = tmp_path / "outside"
    outside.mkdir()
    config = (
        '[tool.archverify]\nsource_roots = ["@src"]\npackages = ["app"]\n'
        '[tool.archverify.tests]\npaths = ["@tests"]\n'
    )
    junit = "--junitxml" if step == "tests" else "--junit-xml"
    files = {
        "pyproject.toml": config,
        "@src/app/__init__.py": "",
        "@src/app/typed.py": 'COUNT: int = "three"\n',
        "@tests/test_a.py": "def test_fails() -> None:\n    assert False\n",
        # What the tools would read if the paths were argument files.
        "src/app": f"{junit}\n{outside / 'x.xml'}\n",
        "tests": f"{junit}\n{outside / 'x.xml'}\n",
    }
    repo = write_tree(tmp_path / "repo", files)
    (repo / ".git").mkdir()
    before = tree_digest(repo)
    run = run_cli(
        ["run", str(repo), "--steps", step, "--no-cache", "--format", "json"], cwd=tmp_path
    )
    assert run.returncode == 1, run.stdout + run.stderr
    expected = ("mypy/assignment", "@src/app/typed.py", 1)
    if step == "tests":
        expected = ("tests/failed", "@tests/test_a.py", 1)
    rules = run.rules()
    assert any(rule[:2] == expected[:2] for rule in rules), rules
    assert list(outside.iterdir()) == []
    assert tree_digest(repo) == before
    assert_no_leftover_processes(run)

"""The summary tells the truth and the output is readable, through the real CLI: the verdict
line always printed, what a passing run checked, one stable imports count, warnings of one
rule grouped, ``--errors-only``, and a note when a tool ran with its defaults."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.configs import APP, layers_contract
from tests.helpers.tree import write_tree

FILES = {
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "import os\n\nHOME = os.sep\n",
    # One pair of modules, two import statements: the count is of statements, in every run.
    "src/app/api/__init__.py": "from app import core\nimport app.core\n\nX = core.HOME\n",
    # Five asserts: five bandit B101 warnings (low severity, below the default medium).
    "src/app/api/checks.py": "".join(f"def f{n}(x):\n    assert x\n\n\n" for n in range(5)),
}
CONFIG = APP + layers_contract("app.api", "app.core")
STATIC = "compile,contracts,cycles"


def _project(root: Path, extra: str = "") -> Path:
    write_tree(root, {"pyproject.toml": CONFIG + extra, **FILES})
    return root


def _run(root: Path, *args: str) -> CliRun:
    return run_cli(["run", ".", "--no-cache", *args], cwd=root, timeout_s=120)


def _last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def test_a_machine_report_on_stdout_leaves_the_verdict_on_stderr(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = _run(root, "--steps", STATIC, "--format", "json")
    assert run.returncode == 0, run.stderr
    json.loads(run.stdout)  # stdout is the JSON report alone
    assert _last_line(run.stderr).startswith("archverify passed: 0 error(s), 0 warning(s)")


def test_every_report_in_a_file_still_prints_the_verdict(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = _run(root, "--steps", STATIC, "--format", f"html={tmp_path / 'report.html'}")
    assert run.returncode == 0, run.stderr
    assert run.stdout == ""
    assert _last_line(run.stderr).startswith("archverify passed:")
    assert (tmp_path / "report.html").is_file()


def test_the_text_report_on_stdout_is_not_repeated_on_stderr(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = _run(root, "--steps", STATIC)
    assert _last_line(run.stdout).startswith("archverify passed:")
    assert "archverify passed" not in run.stderr


def test_a_passing_run_says_what_it_checked(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = _run(root, "--steps", STATIC)
    assert _last_line(run.stdout).endswith("; checked: 1 contract kept"), run.stdout


def test_the_imports_count_does_not_change_with_the_steps_run(tmp_path: Path) -> None:
    root = _project(tmp_path)
    counts = {
        steps: json.loads(_run(root, "--steps", steps, "--format", "json").stdout)["summary"]
        for steps in ("compile", STATIC)
    }
    assert counts["compile"]["imports"] == counts[STATIC]["imports"] == 3
    assert counts["compile"]["modules"] == counts[STATIC]["modules"]


def test_warnings_of_one_rule_are_one_group_and_errors_only_hides_them(tmp_path: Path) -> None:
    root = _project(tmp_path)
    run = _run(root, "--steps", "bandit")
    assert run.returncode == 0, run.stdout
    assert "bandit/B101 (warning): 5 findings, the first 3:" in run.stdout
    assert "  src/app/api/checks.py:2:" in run.stdout
    assert "  ... and 2 more (every one in --format json or sarif)" in run.stdout
    assert run.stdout.count("src/app/api/checks.py:") == 3
    # JSON keeps every one of them.
    report = json.loads(_run(root, "--steps", "bandit", "--format", "json").stdout)
    assert sum(f["rule"] == "bandit/B101" for f in report["findings"]) == 5

    hidden = _run(root, "--steps", "bandit", "--errors-only")
    assert hidden.returncode == run.returncode
    assert "B101" not in hidden.stdout
    assert "note: 5 warnings and notes not shown (--errors-only)" in hidden.stdout
    assert "0 error(s), 5 warning(s)" in _last_line(hidden.stdout)
    markdown = _run(root, "--steps", "bandit", "--errors-only", "--format", "markdown")
    assert "B101" not in markdown.stdout and "not shown" in markdown.stdout
    # The machine formats are never filtered.
    kept = _run(root, "--steps", "bandit", "--errors-only", "--format", "json")
    assert len(json.loads(kept.stdout)["findings"]) == 5


def test_a_tool_without_configuration_says_it_ran_with_its_defaults(tmp_path: Path) -> None:
    bare = _project(tmp_path / "bare")
    step = json.loads(_run(bare, "--steps", "bandit", "--format", "json").stdout)["steps"][0]
    assert (
        step["message"] == "ran with bandit's defaults: the project has no [tool.bandit] or .bandit"
    )
    assert "ran with bandit's defaults" in _run(bare, "--steps", "bandit").stdout

    configured = _project(tmp_path / "configured", '\n[tool.bandit]\nskips = ["B101"]\n')
    run = _run(configured, "--steps", "bandit", "--format", "json")
    assert json.loads(run.stdout)["steps"][0]["message"] == ""

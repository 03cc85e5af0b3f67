"""The bandit step against real bandit on small generated projects."""

from __future__ import annotations

from pathlib import Path

from archverify.core.config import ToolConfig
from archverify.core.findings import Severity, StepOutcome, StepStatus
from archverify.executors.tools.bandit import BanditStep, split_shards
from tests.helpers.tool_project import make_context, write_files

SHELL = '"""Runs things."""\n\nimport subprocess\n\n\ndef run(cmd: str) -> int:\n'
SHELL += "    return subprocess.call(cmd, shell=True)\n"


def write_project(root: Path) -> None:
    write_files(
        root,
        {
            "pkg/__init__.py": "",
            "pkg/shell.py": SHELL,
            "pkg/quiet.py": "import subprocess  # nosec\n",
            "pkg/clean.py": "X = 1\n",
        },
    )


def found_in(outcome: StepOutcome) -> list[tuple[str, str, int, Severity]]:
    return [(f.rule, f.path, f.line, f.severity) for f in outcome.findings]


def test_shell_true_is_an_error_at_its_line(tmp_path: Path) -> None:
    write_project(tmp_path)
    outcome = BanditStep().run(make_context(tmp_path))
    assert outcome.status is StepStatus.FAILED, outcome.message
    assert found_in(outcome) == [
        ("bandit/B404", "pkg/shell.py", 3, Severity.WARNING),  # low severity: below medium
        ("bandit/B602", "pkg/shell.py", 7, Severity.ERROR),
    ]
    b602 = outcome.findings[1]
    assert b602.hint.startswith("https://")
    assert "high severity" in b602.message


def test_severity_option_moves_the_threshold(tmp_path: Path) -> None:
    write_project(tmp_path)
    low = make_context(tmp_path, tools={"bandit": ToolConfig(options={"severity": "low"})})
    assert {f.severity for f in BanditStep().run(low).findings} == {Severity.ERROR}
    bad = make_context(tmp_path, tools={"bandit": ToolConfig(options={"severity": "loud"})})
    outcome = BanditStep().run(bad)
    assert outcome.status is StepStatus.ERROR
    assert "severity" in outcome.message


def test_clean_project_passes(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "X = 1\n", "pkg/a.py": "import json  # fine\n"})
    outcome = BanditStep().run(make_context(tmp_path))
    assert outcome.status is StepStatus.PASSED
    assert outcome.findings == []


def test_dot_bandit_ini_is_respected(tmp_path: Path) -> None:
    write_project(tmp_path)
    (tmp_path / ".bandit").write_text("[bandit]\nskips = B404\n")
    assert [f.rule for f in BanditStep().run(make_context(tmp_path)).findings] == ["bandit/B602"]


def test_pyproject_section_is_respected(tmp_path: Path) -> None:
    write_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.bandit]\nskips = ["B602"]\n')
    assert [f.rule for f in BanditStep().run(make_context(tmp_path)).findings] == ["bandit/B404"]


def test_unparsable_file_is_a_warning(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "def (:\n"})
    outcome = BanditStep().run(make_context(tmp_path))
    assert found_in(outcome) == [("bandit/parse-error", "pkg/__init__.py", 0, Severity.WARNING)]


# Rerunning only the changed files: tests/executors/test_per_file_tools.py.


def test_many_changed_files_are_sharded(tmp_path: Path) -> None:
    files = {f"pkg/m{i:03}.py": f"X = {i}\n" for i in range(90)}
    files["pkg/__init__.py"] = ""
    files["pkg/m089.py"] = SHELL
    write_files(tmp_path, files)
    outcome = BanditStep().run(make_context(tmp_path, jobs=2))
    assert outcome.stats["shards"] == 2
    assert [f.rule for f in outcome.findings] == ["bandit/B404", "bandit/B602"]


def test_split_shards() -> None:
    paths = [str(i) for i in range(100)]
    assert split_shards(paths[:10], 4) == [paths[:10]]
    shards = split_shards(paths, 4)
    assert len(shards) == 2
    assert sorted(p for s in shards for p in s) == sorted(paths)
    assert split_shards([], 4) == [[]]


def test_cache_key_covers_the_severity_option(tmp_path: Path) -> None:
    write_project(tmp_path)
    high = make_context(tmp_path, tools={"bandit": ToolConfig(options={"severity": "high"})})
    assert BanditStep().cache_key(high) != BanditStep().cache_key(make_context(tmp_path))


def test_asserts_in_the_test_paths_are_skipped_unless_b101_is_asked_for(tmp_path: Path) -> None:
    # pydantic 2.9.2 with its tests verified: 5,054 bandit warnings, nearly all B101 asserts.
    assert_line = "def test_it() -> None:\n    assert 1 + 1 == 2\n"
    write_files(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/check.py": "def half(x: int) -> int:\n    assert x % 2 == 0\n    return x // 2\n",
            "tests/__init__.py": "",
            "tests/test_it.py": assert_line,
        },
    )
    context = make_context(tmp_path, packages=("pkg", "tests"))
    found = [(f.rule, f.path) for f in BanditStep().run(context).findings]
    # The production assert is still reported; the test's is how a test checks.
    assert found == [("bandit/B101", "pkg/check.py")]
    asked = make_context(
        tmp_path, packages=("pkg", "tests"), tools={"bandit": ToolConfig(args=("--tests", "B101"))}
    )
    assert ("bandit/B101", "tests/test_it.py") in [
        (f.rule, f.path) for f in BanditStep().run(asked).findings
    ]


def test_cache_key_covers_the_test_paths_where_asserts_are_skipped(tmp_path: Path) -> None:
    # The B101 skip follows [tool.archverify.tests] paths, which live in archverify.toml as
    # often as in pyproject.toml: a key without them replays the other paths' verdict.
    write_project(tmp_path)
    here = make_context(tmp_path, tools={"tests": ToolConfig(options={"paths": ["pkg"]})})
    there = make_context(tmp_path, tools={"tests": ToolConfig(options={"paths": ["tests"]})})
    assert BanditStep().cache_key(here) != BanditStep().cache_key(there)


def test_the_ruff_engine_skips_asserts_in_the_test_paths_too(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/check.py": "def half(x: int) -> int:\n    assert x % 2 == 0\n    return x // 2\n",
            "tests/__init__.py": "",
            "tests/test_it.py": "def test_it() -> None:\n    assert 1 + 1 == 2\n",
        },
    )
    tools = {"bandit": ToolConfig(options={"engine": "ruff"})}
    context = make_context(tmp_path, packages=("pkg", "tests"), tools=tools)
    found = [(f.rule, f.path) for f in BanditStep().run(context).findings]
    assert found == [("bandit/B101", "pkg/check.py")]

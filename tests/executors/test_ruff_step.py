"""The ruff step against real ruff on small generated projects."""

from __future__ import annotations

from pathlib import Path

import pytest

from archverify.core.config import ToolConfig
from archverify.core.findings import Severity, StepStatus
from archverify.executors.tools.ruff import RuffStep
from tests.helpers.factories import MemoryCache
from tests.helpers.tool_project import make_context, write_files

PYPROJECT = '[tool.ruff]\nline-length = 100\n[tool.ruff.lint]\nselect = ["F", "E"]\n'


def write_project(root: Path) -> None:
    write_files(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "pkg/__init__.py": "",
            "pkg/a.py": '"""A."""\n\nimport os\nimport sys\n\nprint(sys.argv)\n',
            "pkg/b.py": '"""B: clean."""\n\nimport json\n\nDATA = json.dumps({})\n',
            "pkg/c.py": '"""C."""\n\nX = 1\n',
        },
    )


def test_unused_import_is_reported_at_its_line(tmp_path: Path) -> None:
    write_project(tmp_path)
    outcome = RuffStep().run(make_context(tmp_path))
    assert outcome.status is StepStatus.FAILED
    found = [(f.rule, f.path, f.line, f.column) for f in outcome.findings]
    assert found == [("ruff/F401", "pkg/a.py", 3, 8)]
    finding = outcome.findings[0]
    assert finding.severity is Severity.ERROR
    assert "os" in finding.message
    assert finding.hint  # the fix suggestion or the rule's URL
    assert outcome.stats["files_run"] == 4


def test_clean_project_passes_and_tree_stays_clean(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PYPROJECT, "pkg/__init__.py": "X = 1\n"})
    outcome = RuffStep().run(make_context(tmp_path))
    assert outcome.status is StepStatus.PASSED
    assert outcome.findings == []
    assert not (tmp_path / ".ruff_cache").exists()


def test_project_config_excludes_and_ignores_apply(tmp_path: Path) -> None:
    write_project(tmp_path)
    config = (
        '[tool.ruff]\nextend-exclude = ["pkg/gen.py"]\n[tool.ruff.lint]\nselect = ["F"]\n'
        '[tool.ruff.lint.per-file-ignores]\n"pkg/a.py" = ["F401"]\n'
    )
    write_files(tmp_path, {"pyproject.toml": config, "pkg/gen.py": "import os\n"})
    outcome = RuffStep().run(make_context(tmp_path))
    assert outcome.findings == []


def test_config_args_are_passed(tmp_path: Path) -> None:
    write_project(tmp_path)
    context = make_context(tmp_path, tools={"ruff": ToolConfig(args=("--ignore", "F401"))})
    assert RuffStep().run(context).findings == []


# Rerunning only the changed files: tests/executors/test_per_file_tools.py.


def test_config_change_invalidates_per_file_results(tmp_path: Path) -> None:
    write_project(tmp_path)
    cache = MemoryCache()
    RuffStep().run(make_context(tmp_path, cache=cache))
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.replace('"F", "E"', '"E"'))
    outcome = RuffStep().run(make_context(tmp_path, cache=cache))
    assert outcome.stats["files_run"] == 4
    assert outcome.findings == []


def test_cache_key_follows_contents_and_config(tmp_path: Path) -> None:
    write_project(tmp_path)
    step = RuffStep()
    key = step.cache_key(make_context(tmp_path))
    assert key is not None and key == step.cache_key(make_context(tmp_path))
    (tmp_path / "pkg/c.py").write_text("X = 2\n")
    changed = step.cache_key(make_context(tmp_path))
    assert changed != key
    (tmp_path / "ruff.toml").write_text("line-length = 80\n")
    assert step.cache_key(make_context(tmp_path)) != changed
    args = make_context(tmp_path, tools={"ruff": ToolConfig(args=("--select", "E"))})
    assert step.cache_key(args) != step.cache_key(make_context(tmp_path))


def test_bad_arguments_are_a_step_error_not_a_crash(tmp_path: Path) -> None:
    write_project(tmp_path)
    context = make_context(tmp_path, tools={"ruff": ToolConfig(args=("--no-such-flag",))})
    outcome = RuffStep().run(context)
    assert outcome.status is StepStatus.ERROR
    assert "ruff failed (exit 2)" in outcome.message


def test_bad_timeout_option_is_a_config_error(tmp_path: Path) -> None:
    # The schema is the one place that validates timeout_s; the step trusts it.
    from archverify.orchestrator.config.loader import ConfigError, load_config

    (tmp_path / "archverify.toml").write_text('[ruff]\ntimeout_s = "soon"\n')
    with pytest.raises(ConfigError, match="ruff.timeout_s: must be a number"):
        load_config(tmp_path)


def test_syntax_error_has_its_own_rule(tmp_path: Path) -> None:
    write_files(tmp_path, {"pyproject.toml": PYPROJECT, "pkg/__init__.py": "def (:\n"})
    outcome = RuffStep().run(make_context(tmp_path))
    assert outcome.status is StepStatus.FAILED
    assert {(f.rule, f.path, f.line) for f in outcome.findings} >= {
        ("ruff/invalid-syntax", "pkg/__init__.py", 1)
    }


def test_damaged_cache_entries_are_rerun(tmp_path: Path) -> None:
    write_project(tmp_path)
    cache = MemoryCache()
    RuffStep().run(make_context(tmp_path, cache=cache))
    for key in cache.entries:
        cache.entries[key] = {"not": "a list"}
    outcome = RuffStep().run(make_context(tmp_path, cache=cache))
    assert outcome.stats["files_run"] == 4
    assert [f.rule for f in outcome.findings] == ["ruff/F401"]

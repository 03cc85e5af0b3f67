"""The mypy step against real mypy on small generated projects."""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest

from archverify.core.config import ToolConfig
from archverify.core.findings import Severity, StepStatus
from archverify.executors.tools.mypy import JSON_SINCE, MypyStep, parse_output
from tests.helpers.tool_project import make_context, write_files

# --output json exists since mypy 1.11: at the floor (1.10) only the line format can be run.
_MYPY = tuple(int(part) for part in re.findall(r"\d+", version("mypy"))[:2])
OUTPUTS = [
    pytest.param(
        True, marks=pytest.mark.skipif(_MYPY < JSON_SINCE, reason="this mypy has no JSON output")
    ),
    False,
]

ARG_TYPE = '"""A."""\n\n\ndef double(x: int) -> int:\n    return 2 * x\n\n\nVALUE = double("two")\n'


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One archverify cache folder for the module: mypy then analyses typeshed only once."""
    return tmp_path_factory.mktemp("archverify-cache")


def _src_project(root: Path) -> None:
    write_files(
        root,
        {
            "src/pkg/__init__.py": "",
            "src/pkg/a.py": ARG_TYPE,
            "src/pkg/b.py": "from other.util import helper\n\nX: int = helper()\n",
            "src/other/__init__.py": "",
            "src/other/util.py": "def helper() -> int:\n    return 1\n",
        },
    )


@pytest.mark.parametrize("json_output", OUTPUTS)
def test_arg_type_error_in_a_src_layout(
    tmp_path: Path, shared_cache: Path, json_output: bool
) -> None:
    _src_project(tmp_path)
    context = make_context(tmp_path, source_root="src", cache_dir=shared_cache)
    outcome = MypyStep(json_output=json_output).run(context)
    assert outcome.status is StepStatus.FAILED, outcome.message
    found = [(f.rule, f.path, f.line, f.column) for f in outcome.findings]
    # other.util resolves through the source root: no import-not-found.
    assert found == [("mypy/arg-type", "src/pkg/a.py", 8, 16)]
    assert outcome.findings[0].severity is Severity.ERROR
    assert (shared_cache / "mypy").is_dir()
    assert not (tmp_path / ".mypy_cache").exists()


def test_clean_project_passes(tmp_path: Path, shared_cache: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "def f(x: int) -> int:\n    return x\n"})
    outcome = MypyStep().run(make_context(tmp_path, cache_dir=shared_cache))
    assert outcome.status is StepStatus.PASSED, outcome.message
    assert outcome.findings == []


@pytest.mark.parametrize("json_output", OUTPUTS)
def test_notes_become_the_hint_of_their_error(
    tmp_path: Path, shared_cache: Path, json_output: bool
) -> None:
    code = "def g(x: list[object]) -> None: ...\n\n\ny: list[int] = []\ng(y)\nreveal_type(y)\n"
    write_files(tmp_path, {"pkg/__init__.py": code})
    outcome = MypyStep(json_output=json_output).run(make_context(tmp_path, cache_dir=shared_cache))
    error, note = outcome.findings
    assert (error.rule, error.line) == ("mypy/arg-type", 5)
    assert "invariant" in error.hint and "Sequence" in error.hint
    assert (note.severity, note.line) == (Severity.NOTE, 6)
    assert "Revealed type" in note.message


def test_project_config_applies(tmp_path: Path, shared_cache: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "def f(x):\n    return x\n"})
    assert MypyStep().run(make_context(tmp_path, cache_dir=shared_cache)).findings == []
    (tmp_path / "mypy.ini").write_text("[mypy]\ndisallow_untyped_defs = True\n")
    outcome = MypyStep().run(make_context(tmp_path, cache_dir=shared_cache))
    assert [(f.rule, f.line) for f in outcome.findings] == [("mypy/no-untyped-def", 1)]


def test_config_args_are_passed(tmp_path: Path, shared_cache: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "def f(x):\n    return x\n"})
    context = make_context(
        tmp_path, cache_dir=shared_cache, tools={"mypy": ToolConfig(args=("--strict",))}
    )
    assert [f.rule for f in MypyStep().run(context).findings] == ["mypy/no-untyped-def"]


def test_syntax_error_is_a_finding_not_a_step_error(tmp_path: Path, shared_cache: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "def (:\n"})
    outcome = MypyStep().run(make_context(tmp_path, cache_dir=shared_cache))
    assert outcome.status is StepStatus.FAILED
    assert outcome.findings[0].rule == "mypy/syntax"
    assert outcome.findings[0].path == "pkg/__init__.py"


def test_usage_error_is_a_step_error(tmp_path: Path, shared_cache: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": ""})
    context = make_context(
        tmp_path, cache_dir=shared_cache, tools={"mypy": ToolConfig(args=("--no-such-flag",))}
    )
    outcome = MypyStep().run(context)
    assert outcome.status is StepStatus.ERROR
    assert "mypy failed (exit 2)" in outcome.message


def test_missing_tool_is_a_step_error(tmp_path: Path, shared_cache: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": ""})
    outcome = MypyStep(module="archverify_no_such_tool").run(
        make_context(tmp_path, cache_dir=shared_cache)
    )
    assert outcome.status is StepStatus.ERROR
    assert "pip install" in outcome.message


def test_line_format_parsing(tmp_path: Path) -> None:
    out = (
        f"{tmp_path}/pkg/a.py:3:5: error: Bad thing  [attr-defined]\n"
        "pkg/a.py:3:5: note: Did you mean x?\n"
        "pkg/b.py: error: Duplicate module named 'b'\n"
        "garbage line\n"
    )
    findings, unparsed = parse_output(tmp_path, out)
    assert [(f.rule, f.path, f.line, f.column) for f in findings] == [
        ("mypy/attr-defined", "pkg/a.py", 3, 5),
        ("mypy/error", "pkg/b.py", 0, 0),
    ]
    assert findings[0].hint == "Did you mean x?"
    assert unparsed == ["garbage line"]


def test_cache_key_follows_contents_and_config(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/__init__.py": "X = 1\n"})
    step = MypyStep()
    key = step.cache_key(make_context(tmp_path))
    assert key is not None and key == step.cache_key(make_context(tmp_path))
    (tmp_path / "mypy.ini").write_text("[mypy]\nstrict = True\n")
    assert step.cache_key(make_context(tmp_path)) != key

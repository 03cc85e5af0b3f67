"""The imports step's verdicts equal a fresh ``python -c "import M"`` (issue 10, item 3).

Real installed packages are each copied into a project and imported by the step's machinery
(fork server, preloads, zygotes) and, module by module, by a fresh interpreter with the same
``sys.path``, environment and working directory: ok, or the exception class and the first line
of its message (addresses normalised). Samples are seeded; the size is in the test's name.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from imports_differential import compare

SEED = 20261201


@pytest.mark.parametrize(
    ("package", "sample"),
    [
        ("pydantic", None),
        ("mypy", 60),
        ("hypothesis", 60),
        ("jsonschema", None),
        ("_pytest", 40),
        ("rich", None),
        ("email", None),
        ("xml", None),
        ("json", None),
    ],
    ids=[
        "pydantic-all",
        "mypy-sample60",
        "hypothesis-sample60",
        "jsonschema-all",
        "pytest-sample40",
        "rich-all",
        "email-all",
        "xml-all",
        "json-all",
    ],
)
def test_verdicts_equal_a_fresh_interpreter(
    package: str, sample: int | None, tmp_path: Path
) -> None:
    pytest.importorskip(package)
    found = compare(package, tmp_path, sample=sample, seed=SEED)
    assert found.step, "nothing was imported"
    assert found.disagreements() == []


def test_pydantic_mypy_plugins_pass_as_they_do_fresh(tmp_path: Path) -> None:
    """Once reported as ``KeyError: 'mypy.cache'`` (a failed preload removed compiled modules)."""
    pytest.importorskip("pydantic")
    pytest.importorskip("mypy")
    found = compare(
        "pydantic", tmp_path, sample=None, seed=SEED, only=["pydantic.mypy", "pydantic.v1.mypy"]
    )
    assert found.step == {"pydantic.mypy": ("ok", "", ""), "pydantic.v1.mypy": ("ok", "", "")}
    assert found.disagreements() == []


def _cli(root: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "archverify", "run", ".", "--steps", "imports", "--format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def _fresh_fails(root: Path, module: str) -> bool:
    code = f"import sys\nsys.path[:0] = [{str(root)!r}]\nimport {module}\n"
    done = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=root, capture_output=True, timeout=60, check=False
    )
    return done.returncode != 0


def _chain(root: Path, length: int) -> Path:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    for i in range(length):
        body = f"import pkg.c{i + 1:03d}\n" if i + 1 < length else "X = 1\n"
        (root / "pkg" / f"c{i:03d}.py").write_text(body)
    return root


def _longest_fresh_chain(tmp_path: Path) -> int:
    low, high = 20, 400  # passes, fails
    while low + 1 < high:
        middle = (low + high) // 2
        if _fresh_fails(_chain(tmp_path / f"probe{middle}", middle), "pkg.c000"):
            high = middle
        else:
            low = middle
    return low


def test_a_long_import_chain_reaches_recursion_error_where_a_fresh_interpreter_does(
    tmp_path: Path,
) -> None:
    """The worker's own frames do not count against the project's recursion limit."""
    longest = _longest_fresh_chain(tmp_path)
    assert longest >= 100
    report = _cli(_chain(tmp_path / "fits", longest))
    assert report["findings"] == []
    # One module more: only the head's chain is longer than a fresh interpreter can import.
    failing = _cli(_chain(tmp_path / "too-long", longest + 1))
    findings = failing["findings"]
    assert isinstance(findings, list)
    assert [f["path"] for f in findings] == ["pkg/c000.py"]
    assert "RecursionError" in findings[0]["message"]


MYPY_USER = """\
from mypy.errorcodes import ErrorCode
from mypy.plugins.dataclasses import DataclassTransformer
from mypy.semanal import SemanticAnalyzer
from mypy.server.trigger import make_wildcard_trigger
"""


def test_a_module_importing_mypy_fails_as_it_does_fresh(tmp_path: Path) -> None:
    """mypy's circular imports fail in this order in a fresh interpreter; so they do here."""
    pytest.importorskip("mypy")
    root = tmp_path / "proj"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("")
    (root / "app" / "plugin.py").write_text(MYPY_USER)
    (root / "app" / "fine.py").write_text("import mypy.semanal\nimport mypy.plugins.dataclasses\n")
    assert _fresh_fails(root, "app.plugin")
    assert not _fresh_fails(root, "app.fine")
    report = _cli(root)
    findings = report["findings"]
    assert isinstance(findings, list)
    assert [(f["path"], f["rule"]) for f in findings] == [("app/plugin.py", "imports/error")]
    assert "partially initialized module 'mypy.expandtype'" in findings[0]["message"]

"""Bytecode that Python runs instead of the verified source fails the run.

Every static step reads `.py` files, but Python imports a sourceless `name.pyc` beside them
(compile/bytecode-without-source) and runs an unchecked-hash `__pycache__` pyc without looking
at the source (compile/unchecked-bytecode). Ordinary caches (timestamp or checked-hash pycs,
which Python compares with the source) pass with no finding.
"""

from __future__ import annotations

import os
import py_compile
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers.cli import assert_no_leftover_processes, run_cli
from tests.helpers.tree import tree_digest, write_tree
from tests.security.harness import LAYERED_CONFIG

CONFIG = LAYERED_CONFIG
PURE = "def add(a: int, b: int) -> int:\n    return a + b\n"
EVIL = (
    "import os\n\nos.system('echo pwned')\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n"
)
FILES = {
    "pyproject.toml": CONFIG,
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/calc.py": PURE,
    "src/app/edge/__init__.py": "",
    "src/app/edge/run.py": "from app.core.calc import add\n\n\ndef go() -> int:\n"
    "    return add(1, 2)\n",
}
STEPS = "compile,purity,contracts,cycles"
CACHE = f"src/app/core/__pycache__/calc.{sys.implementation.cache_tag}.pyc"


def _run(root: Path, steps: str = STEPS) -> tuple[int, list[tuple[str, str]], dict[str, Any]]:
    run = run_cli(
        ["run", ".", "--no-cache", "--steps", steps, "--format", "json"],
        cwd=root,
        env={"PYTHONDONTWRITEBYTECODE": ""},
    )
    assert "Traceback" not in run.stderr, run.stderr
    assert_no_leftover_processes(run)
    report = run.json()
    rules = sorted((f["rule"], f["path"]) for f in report["findings"])
    return run.returncode, rules, report


def _compile(
    source: str, tmp_path: Path, cfile: Path, mode: py_compile.PycInvalidationMode
) -> None:
    original = tmp_path / "original.py"
    original.write_text(source)
    cfile.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(str(original), cfile=str(cfile), doraise=True, invalidation_mode=mode)


def _imports(root: Path, module: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_an_unchecked_hash_pyc_that_runs_instead_of_the_source_fails(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    _compile(EVIL, tmp_path, root / CACHE, py_compile.PycInvalidationMode.UNCHECKED_HASH)
    assert _imports(root, "app.core.calc") == "pwned\n"  # what Python really runs
    before = tree_digest(root)

    code, rules, report = _run(root, "purity")  # compile not selected: it still fails

    assert code == 1
    assert rules == [("compile/unchecked-bytecode", CACHE)]
    (finding,) = report["findings"]
    assert finding["severity"] == "error"
    assert finding["extra"] == {"module": "app.core.calc", "source": "src/app/core/calc.py"}
    assert CACHE in finding["path"] and "src/app/core/calc.py" in finding["message"]
    assert tree_digest(root) == before


def test_the_opt_variants_are_checked_and_other_interpreters_caches_ignored(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    opt = CACHE.replace(".pyc", ".opt-2.pyc")
    other = "src/app/core/__pycache__/calc.cpython-27.pyc"
    for path in (opt, other):
        _compile(EVIL, tmp_path, root / path, py_compile.PycInvalidationMode.UNCHECKED_HASH)

    code, rules, _ = _run(root)

    assert code == 1
    assert rules == [("compile/unchecked-bytecode", opt)]


def test_a_sourceless_pyc_beside_the_sources_fails(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    helper = root / "src/app/core/helper.pyc"
    _compile(EVIL, tmp_path, helper, py_compile.PycInvalidationMode.TIMESTAMP)
    assert _imports(root, "app.core.helper") == "pwned\n"

    code, rules, report = _run(root)

    assert code == 1
    assert rules == [("compile/bytecode-without-source", "src/app/core/helper.pyc")]
    assert report["findings"][0]["extra"] == {"module": "app.core.helper"}


def test_a_package_whose_init_is_only_bytecode_fails(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**FILES, "src/app/core/sub/m.py": "X = 1\n"})
    _compile(
        EVIL,
        tmp_path,
        root / "src/app/core/sub/__init__.pyc",
        py_compile.PycInvalidationMode.TIMESTAMP,
    )

    code, rules, _ = _run(root)

    assert code == 1
    assert rules == [("compile/bytecode-without-source", "src/app/core/sub/__init__.pyc")]


def test_a_pyc_beside_its_source_is_never_imported_and_passes(tmp_path: Path) -> None:
    # helper.py comes first in the import system's order: helper.pyc is dead, not a finding.
    root = write_tree(tmp_path / "repo", {**FILES, "src/app/core/helper.py": PURE})
    _compile(
        EVIL, tmp_path, root / "src/app/core/helper.pyc", py_compile.PycInvalidationMode.TIMESTAMP
    )

    code, rules, _ = _run(root)

    assert (code, rules) == (0, [])


def test_ordinary_caches_from_an_import_pass(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    _imports(root, "app.edge.run")  # writes timestamp pycs, as any test run does
    assert (root / CACHE).is_file()

    code, rules, _ = _run(root)

    assert (code, rules) == (0, [])


def test_a_checked_hash_pyc_passes(tmp_path: Path) -> None:
    # Python compares a checked-hash pyc with the source and recompiles: the evil one is unused.
    root = write_tree(tmp_path / "repo", FILES)
    _compile(EVIL, tmp_path, root / CACHE, py_compile.PycInvalidationMode.CHECKED_HASH)
    assert _imports(root, "app.core.calc") == ""

    code, rules, _ = _run(root)

    assert (code, rules) == (0, [])

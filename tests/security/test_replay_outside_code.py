"""Code outside the tree that a step reads is part of its replay key: editing it is a miss.

The attack (or plain accident): a dependency lives in a folder on ``PYTHONPATH`` or in an
editable install (a ``.pth`` file in site-packages naming a source folder). Its files change
without any distribution's metadata changing, so a key made of the installed distributions
replayed "mypy passed" and "tests passed" after the dependency broke them. Each test runs the
real CLI twice, editing the dependency in between.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import archverify
from archverify.executors.runtime.environment import environment_fingerprint, source_state
from tests.helpers.cli import MARKER_VARIABLE, CliRun, assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP, with_tests_step
from tests.helpers.tree import write_tree

CONFIG = APP + with_tests_step(coverage_min=0)
PROJECT = {
    "pyproject.toml": CONFIG,
    "src/app/__init__.py": "",
    "src/app/useext.py": "from extpkg import f\n\n\ndef g() -> int:\n    return f(1)\n",
    "tests/test_ext.py": "from extpkg import f\n\n\ndef test_f() -> None:\n    assert f(1) == 1\n",
}
TAKES_INT = "def f(x: int) -> int:\n    return x\n"
# Same size as TAKES_INT: only the content and the time tell them apart.
TAKES_STR = "def f(x: str) -> str:\n    return x\n"
RETURNS_MORE = "def f(x: int) -> int:\n    return x + 1\n"


def _library(folder: Path) -> Path:
    return write_tree(folder, {"extpkg/__init__.py": TAKES_INT, "extpkg/py.typed": ""})


def _edit(library: Path, text: str) -> None:
    """Rewrite the dependency as an editor would; its time moves on even on a coarse clock."""
    target = library / "extpkg" / "__init__.py"
    before = target.stat().st_mtime_ns
    target.write_text(text)
    os.utime(target, ns=(before + 1_000_000_000, before + 1_000_000_000))


def _steps(run: CliRun) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in run.json()["steps"]}


def _run(root: Path, steps: str, *extra: str, **env: str) -> CliRun:
    run = run_cli(
        ["run", str(root), "--steps", steps, "--format", "json", *extra], cwd=root, env=env
    )
    assert run.returncode in (0, 1), run.stderr
    assert_no_leftover_processes(run)
    return run


def test_a_changed_pythonpath_dependency_is_type_checked_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", PROJECT)
    library = _library(tmp_path / "extlib")
    env = {"PYTHONPATH": str(library)}
    first = _run(root, "mypy", **env)
    assert _steps(first)["mypy"]["status"] == "passed"
    assert _steps(_run(root, "mypy", **env))["mypy"]["cached"] is True

    _edit(library, TAKES_STR)
    second = _run(root, "mypy", **env)
    mypy = _steps(second)["mypy"]
    assert mypy["cached"] is False
    assert mypy["status"] == "failed"
    assert any(rule == "mypy/arg-type" for rule, _, _ in second.rules()), second.rules()


def test_a_changed_pythonpath_dependency_is_tested_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", PROJECT)
    library = _library(tmp_path / "extlib")
    env = {"PYTHONPATH": str(library)}
    first = _run(root, "tests", "--cache-tests", **env)
    assert _steps(first)["tests"]["status"] == "passed"

    _edit(library, RETURNS_MORE)
    second = _run(root, "tests", "--cache-tests", **env)
    tests = _steps(second)["tests"]
    assert tests["cached"] is False
    assert tests["status"] == "failed"
    assert [rule for rule, _, _ in second.rules()] == ["tests/failed"]


def _venv_with_editable(tmp_path: Path, library: Path) -> Path:
    """A fresh environment whose site-packages holds an editable install of ``library`` (a
    ``.pth`` path file, as ``pip install -e`` writes) and sees archverify and its tools."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    found = subprocess.run(
        [python, "-c", "import site; print(site.getsitepackages()[0])"],
        capture_output=True,
        text=True,
        check=True,
    )
    packages = Path(found.stdout.strip())
    ours = [*site.getsitepackages(), str(Path(archverify.__file__).parents[1])]
    (packages / "archverify-and-tools.pth").write_text("\n".join(ours) + "\n")
    (packages / "__editable__.extlib-1.0.pth").write_text(f"{library}\n")
    return python


def test_a_changed_editable_install_is_type_checked_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", PROJECT)
    library = _library(tmp_path / "extlib")
    python = _venv_with_editable(tmp_path, library)

    def run() -> dict[str, Any]:
        marker = uuid.uuid4().hex
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        done = subprocess.run(
            [python, "-m", "archverify", "run", str(root), "--steps", "mypy", "--format", "json"],
            cwd=root,
            env={**env, MARKER_VARIABLE: marker},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        assert_no_leftover_processes(CliRun(done.returncode, done.stdout, done.stderr, marker))
        [step] = json.loads(done.stdout)["steps"]
        assert isinstance(step, dict)
        return step

    assert run()["status"] == "passed"
    assert run()["cached"] is True
    _edit(library, TAKES_STR)
    again = run()
    assert again["cached"] is False
    assert again["status"] == "failed"


def test_editable_finders_and_egg_links_name_the_folders_walked(tmp_path: Path) -> None:
    """setuptools' strict editable mode: a ``.pth`` imports a finder module whose mapping names
    the package folder; an ``.egg-link`` names the project's folder."""
    mapped = _library(tmp_path / "mapped")
    linked = _library(tmp_path / "linked")
    packages = tmp_path / "site-packages"
    finder = "__editable___extpkg_1_0_finder"
    write_tree(
        packages,
        {
            "__editable__.extpkg-1.0.pth": f"import {finder}; {finder}.install()\n",
            f"{finder}.py": f"MAPPING: dict[str, str] = {{'extpkg': {str(mapped / 'extpkg')!r}}}\n",
            "linked.egg-link": f"{linked}\n.\n",
        },
    )
    root = tmp_path / "repo"
    root.mkdir()

    def fingerprint() -> str | None:
        return environment_fingerprint(sys.executable, (str(packages),), root=root)

    before = fingerprint()
    assert before is not None and before == fingerprint()
    _edit(mapped, TAKES_STR)
    after_mapped = fingerprint()
    assert after_mapped != before
    _edit(linked, TAKES_STR)
    assert fingerprint() != after_mapped


def test_a_same_size_edit_with_its_time_put_back_changes_the_state(tmp_path: Path) -> None:
    # touch -r / cp -p / rsync -t keep size and mtime: only the change time tells.
    library = _library(tmp_path / "lib")
    target = library / "extpkg" / "__init__.py"
    before, seen = source_state(str(library)), target.stat()
    time.sleep(0.05)  # past the filesystem clock's tick, so the change time moves
    target.write_text(target.read_text().replace("int", "str"))
    assert target.stat().st_size == seen.st_size
    os.utime(target, ns=(seen.st_atime_ns, seen.st_mtime_ns))
    assert source_state(str(library)) != before


def test_the_walk_skips_what_cannot_be_imported_and_the_verified_root(tmp_path: Path) -> None:
    library = _library(tmp_path / "lib")
    before = source_state(str(library))
    # Bytecode caches, folders that cannot be packages, and data files are not inputs.
    write_tree(
        library,
        {
            "extpkg/__pycache__/__init__.cpython-311.pyc": b"\0",
            ".git/hooks/x.py": "",
            "node-modules/x.py": "",
            "extpkg/data.json": "{}",
        },
    )
    assert source_state(str(library)) == before
    write_tree(library, {"extpkg/sub/new.py": ""})
    assert source_state(str(library)) != before

    # A PYTHONPATH entry inside the verified root is the project's own files: not walked (they
    # are keyed by content); the root below a PYTHONPATH entry above it is not walked either.
    root = write_tree(tmp_path / "repo", {"src/app/__init__.py": ""})
    inside = (str(root / "src"),)
    first = environment_fingerprint(sys.executable, inside, root=root)
    write_tree(root, {"src/app/more.py": ""})
    assert environment_fingerprint(sys.executable, inside, root=root) == first
    above = (str(tmp_path),)
    state = environment_fingerprint(sys.executable, above, root=root)
    write_tree(root, {"src/app/other.py": ""})
    assert environment_fingerprint(sys.executable, above, root=root) == state

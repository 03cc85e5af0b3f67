"""A run imports only what its steps need: the static steps load none of the tools' modules,
the imports step's, or the other commands' (measured with ``python -X importtime``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.tree import write_tree

PROJECT = {
    "pyproject.toml": '[tool.archverify]\npackages = ["app"]\n',
    "app/__init__.py": "",
    "app/a.py": "import json\n",
}
PROBE = """\
import json, sys
from archverify.orchestrator.cli import main
code = main(sys.argv[1:])
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("archverify", "importlib.me")))))
"""
NOT_FOR_STATIC = (
    "archverify.executors.imports",
    "archverify.executors.tools.ruff",
    "archverify.executors.tools.mypy",
    "archverify.executors.tools.bandit",
    "archverify.executors.tools.tests",
    "archverify.orchestrator.commands.baseline",
    "archverify.orchestrator.commands.init",
    "archverify.orchestrator.commands.snapshot",
    "importlib.metadata",
)


def _loaded(root: Path, *args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_a_static_run_imports_no_tool_and_no_other_command(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", PROJECT)
    out = str(tmp_path / "r.json")
    loaded = _loaded(root, "run", ".", "--steps", "compile,contracts", "--format", f"json={out}")
    assert "archverify.executors.contracts" in loaded
    assert [name for name in NOT_FOR_STATIC if name in loaded] == []


def test_a_selected_tool_step_is_imported(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", PROJECT)
    out = str(tmp_path / "r.json")
    loaded = _loaded(root, "run", ".", "--steps", "compile,ruff", "--format", f"json={out}")
    assert "archverify.executors.tools.ruff" in loaded
    assert "archverify.executors.tools.mypy" not in loaded

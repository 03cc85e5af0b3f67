"""No stale replay when an input besides the verified files changes, through the CLI.

The snapshot file (read by the snapshots step) and archverify's own code are inputs of every
replayed result: after `archverify snapshot`, or with another archverify, nothing old replays.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import archverify
from tests.helpers.cli import run_cli
from tests.helpers.tree import write_tree

CONFIG = """\
[tool.archverify]
packages = ["app"]
steps = ["compile", "purity", "snapshots"]

[tool.archverify.snapshots]
packages = ["app"]
"""
FILES = {
    "pyproject.toml": CONFIG,
    "app/__init__.py": "",
    "app/api.py": "def public(x: int) -> int:\n    return x\n",
}


def _project(root: Path) -> Path:
    return write_tree(root, FILES)


def _archverify(root: Path, *args: str, pythonpath: str | None = None) -> tuple[int, str]:
    env = {"PYTHONPATH": pythonpath} if pythonpath is not None else None
    run = run_cli(args, cwd=root, env=env, timeout_s=120)
    return run.returncode, run.stdout


def _steps(root: Path, pythonpath: str | None = None) -> dict[str, Any]:
    code, out = _archverify(root, "run", ".", "--format", "json", pythonpath=pythonpath)
    report = json.loads(out)
    return {s["id"]: (s["status"], s["cached"]) for s in report["steps"]} | {"exit": code}


def test_recording_the_snapshot_is_seen_by_the_next_run(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    assert _steps(root)["snapshots"] == ("failed", False)  # no snapshot file yet
    assert _steps(root)["snapshots"] == ("failed", True)  # the same inputs: replayed
    code, _ = _archverify(root, "snapshot", ".")
    assert code == 0
    after = _steps(root)
    assert after["snapshots"] == ("passed", False)
    assert after["exit"] == 0


def test_another_archverify_does_not_replay_what_this_one_said(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    # A copy of archverify, first on the path, then changed the way a patch or an editable
    # checkout changes: one of its files (a shipped rule doc, harmless to the verdict).
    copy = tmp_path / "lib"
    shutil.copytree(
        Path(archverify.__file__).parent,
        copy / "archverify",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    assert _steps(root, str(copy))["compile"] == ("passed", False)
    assert _steps(root, str(copy))["compile"] == ("passed", True)
    doc = copy / "archverify" / "rule_docs" / "compile.md"
    doc.write_text(doc.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _steps(root, str(copy))["compile"] == ("passed", False)

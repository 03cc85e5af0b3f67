"""A cache made in one checkout folder serves another, through the real CLI (docs/ci.md).

A project with every cheap step, the imports step and ruff runs in folder A; then the project,
its cache folder inside it, is copied to folder B at another depth (a CI runner restoring the
cache). With the same ``ARCHVERIFY_CACHE_SECRET`` every step is replayed in B and the report is
A's with B's paths (a finding that names its file by absolute path names B's); with another
runner's secret, or none, nothing is replayed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.helpers.cli import run_archverify

PYPROJECT = """\
[tool.archverify]
packages = ["app"]
source_roots = ["src"]
steps = ["compile", "purity", "contracts", "ruff", "boundaries", "snapshots", "cycles", "imports"]

[tool.archverify.purity]
packages = ["app.core"]

[[tool.archverify.contracts]]
name = "layers"
type = "layers"
layers = ["app.ui", "app.core"]

[[tool.archverify.boundaries]]
name = "ui"
packages = ["app.ui"]
forbid_imports = ["os"]

[tool.archverify.snapshots]
packages = ["app.core"]
"""
FILES = {
    "pyproject.toml": PYPROJECT,
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "import os\n",
    "src/app/core/model.py": "from app.ui import view\nimport os\nX=1\n",
    "src/app/ui/__init__.py": "",
    "src/app/ui/view.py": "import json\nfrom app.core import model\n",
    # A finding whose message holds the file's absolute path, and a data file read at import.
    "src/app/ui/bad.py": "raise RuntimeError(__file__)\n",
    "src/app/ui/table.py": (
        "import pathlib\nTABLE = (pathlib.Path(__file__).parent / 'table.json').read_text()\n"
    ),
    "src/app/ui/table.json": "{}\n",
}
STEPS = ["compile", "purity", "contracts", "ruff", "boundaries", "snapshots", "cycles", "imports"]


def _run(root: Path, env: dict[str, str]) -> dict[str, Any]:
    done = run_archverify(["run", str(root), "--format", "json"], cwd=root, env=env)
    assert done.returncode == 1, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _steps(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["id"]: s for s in report["steps"]}


def _verdicts(report: dict[str, Any]) -> list[Any]:
    steps = [[s["id"], s["status"], s["findings"], s["message"]] for s in report["steps"]]
    return [steps, report["findings"]]


def _environment(tmp_path: Path, secret: str | None) -> dict[str, str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    env.pop("PYTHONPATH", None)
    env.pop("ARCHVERIFY_CACHE_SECRET", None)
    if secret is not None:
        env["ARCHVERIFY_CACHE_SECRET"] = secret
    return env


def test_a_cache_copied_to_another_folder_replays_with_the_secret_only(tmp_path: Path) -> None:
    first = tmp_path / "runner-a" / "project"
    for relative, text in FILES.items():
        (first / relative).parent.mkdir(parents=True, exist_ok=True)
        (first / relative).write_text(text, encoding="utf-8")
    subprocess.run(["chmod", "-R", "go-w", str(tmp_path)], check=True)
    shared = _environment(tmp_path, "one-secret-for-every-runner")
    made = _run(first, shared)
    assert {s["id"] for s in made["steps"]} == set(STEPS)
    assert all(s["status"] != "skipped" for s in made["steps"])
    _run(first, shared)  # the imports step's whole-step entry needs the reads of one run
    again = _run(first, shared)
    assert all(s["cached"] for s in again["steps"])

    second = tmp_path / "runner-b" / "work" / "project"  # another folder, at another depth
    second.parent.mkdir(parents=True)
    shutil.copytree(first, second, symlinks=True)
    replayed = _run(second, shared)
    assert {i: s["cached"] for i, s in _steps(replayed).items()} == {i: True for i in STEPS}
    # The same report, with B's paths: the absolute path in a message is B's, never A's.
    expected = json.loads(json.dumps(_verdicts(made)).replace(str(first), str(second)))
    assert _verdicts(replayed) == expected
    assert str(first) not in json.dumps(replayed)
    [bad] = [f for f in replayed["findings"] if f["path"] == "src/app/ui/bad.py"]
    assert str(second / "src/app/ui/bad.py") in bad["message"]

    # Another runner's secret, or none (a secret file of this machine's own): nothing the copied
    # cache holds is trusted, every step and module runs again.
    for secret in ("another-runners-secret", None):
        third = tmp_path / f"runner-{secret or 'none'}" / "project"
        shutil.copytree(first, third, symlinks=True)
        fresh = _run(third, _environment(tmp_path, secret))
        steps = _steps(fresh)
        assert not any(s["cached"] for s in steps.values())
        assert steps["imports"]["stats"]["replayed"] == 0
        assert steps["ruff"]["stats"]["files_run"] == steps["ruff"]["stats"]["files"]
        expected = json.loads(json.dumps(_verdicts(made)).replace(str(first), str(third)))
        assert _verdicts(fresh) == expected


def test_unread_variables_are_left_out_of_the_import_keys(tmp_path: Path) -> None:
    """A CI runner's per-run variables (GITHUB_RUN_ID) import everything again, unless the
    project says its imports never read them."""
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "__init__.py").write_text("X = 1\n", encoding="utf-8")
    config = '[tool.archverify]\npackages = ["app"]\nsteps = ["imports"]\n'
    env = _environment(tmp_path, "a-secret")

    def replayed(run_id: str) -> int:
        done = run_archverify(
            ["run", str(root), "--format", "json"],
            cwd=root,
            env={**env, "RUN_ID_OF_CI": run_id},
        )
        assert done.returncode == 0, done.stderr
        [step] = json.loads(done.stdout)["steps"]
        count: int = step["stats"]["replayed"] if not step["cached"] else -1
        return count

    (root / "pyproject.toml").write_text(config, encoding="utf-8")
    assert replayed("1") == 0
    assert replayed("2") == 0  # another run's value: every verdict is imported again
    unread = config + '\n[tool.archverify.imports]\nunread_variables = ["RUN_ID_*"]\n'
    (root / "pyproject.toml").write_text(unread, encoding="utf-8")
    assert replayed("3") == 0  # the options changed: a new key
    assert replayed("4") == 1

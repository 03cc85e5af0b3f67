"""The imports step replays by default what cannot have changed, through the real CLI.

Each module of the small project appends its name to a log file (outside the tree) when it is
imported, so the log says exactly which modules a run imported again; the step's stats say how
many were replayed. A change to what an import reads (a data file beside it, a file outside the
tree, an environment variable, an installed distribution) imports it again; an edit imports
again exactly the modules whose import-time closure holds the edited file; ``--rerun imports``
forces the step; a forged cache entry is not trusted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.helpers.cli import run_archverify
from tests.integration.test_cache_keys_environment import _wheel

PYPROJECT = """\
[tool.archverify]
packages = ["pkg", "other"]
steps = ["imports"]
"""
LOG = "import os\nopen(os.environ['REPLAY_LOG'], 'a').write(__name__ + '\\n')\n"
FILES = {
    "pyproject.toml": PYPROJECT,
    "pkg/__init__.py": LOG,
    "pkg/base.py": LOG + "X = 1\n",
    "pkg/user.py": LOG + "from pkg import base\n",
    "pkg/far.py": LOG + "import pkg.user\n",
    "pkg/alone.py": LOG + "Y = 2\n",
    # Reads a data file of its package at import.
    "pkg/table.py": LOG
    + (
        "import json, pathlib\n"
        "TABLE = json.loads((pathlib.Path(__file__).parent / 'table.json').read_text())\n"
        "assert TABLE['ok'], TABLE\n"
    ),
    "pkg/table.json": '{"ok": true}\n',
    "other/__init__.py": LOG,
    # Reads an environment variable and a file outside the tree at import.
    "other/mode.py": LOG + "assert os.environ.get('REPLAY_MODE') != 'broken'\n",
    "other/outside.py": LOG
    + ("assert open(os.environ['REPLAY_OUTSIDE']).read().strip() == 'fine'\n"),
}
MODULES = {
    "pkg",
    "pkg.base",
    "pkg.user",
    "pkg.far",
    "pkg.alone",
    "pkg.table",
    "other",
    "other.mode",
    "other.outside",
}


class Project:
    """The project in a temp folder, with its log and the environment of its runs."""

    def __init__(self, tmp: Path, files: dict[str, str] | None = None) -> None:
        self.root = tmp / "project"
        for relative, text in (files or FILES).items():
            (self.root / relative).parent.mkdir(parents=True, exist_ok=True)
            (self.root / relative).write_text(text, encoding="utf-8")
        self.log = tmp / "imported.log"
        self.outside = tmp / "outside.txt"
        self.outside.write_text("fine\n", encoding="utf-8")
        self.env = {
            **os.environ,
            "REPLAY_LOG": str(self.log),
            "REPLAY_OUTSIDE": str(self.outside),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.env.pop("PYTHONPATH", None)

    def run(self, *args: str, env: dict[str, str] | None = None) -> tuple[dict[str, Any], set[str]]:
        """One run: the imports step's report entry and the modules it imported."""
        self.log.write_text("", encoding="utf-8")
        done = run_archverify(
            ["run", str(self.root), "--format", "json", *args],
            cwd=self.root,
            env=env or self.env,
            timeout_s=300,
        )
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(done.stdout)
        step = next(s for s in report["steps"] if s["id"] == "imports")
        step["rules"] = sorted({(f["rule"], f["path"]) for f in report["findings"]})
        lines = self.log.read_text(encoding="utf-8").split()
        return step, set(lines)

    def edit(self, relative: str, text: str) -> None:
        path = self.root / relative
        path.write_text(text, encoding="utf-8")


def _counts(step: dict[str, Any]) -> tuple[int, int]:
    return step["stats"]["fresh"], step["stats"]["replayed"]


def test_unchanged_modules_are_replayed_and_an_edit_reimports_its_closure(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    first, imported = project.run()
    assert imported == MODULES and _counts(first) == (9, 0)
    assert first["status"] == "passed" and not first["cached"]
    # Nothing changed: every verdict is replayed, nothing is imported; from then on the
    # scheduler replays the whole step (its key holds what the imports read).
    second, imported = project.run()
    assert imported == set() and _counts(second) == (0, 9) and not second["cached"]
    cached, imported = project.run()
    assert cached["cached"] and imported == set() and cached["rules"] == first["rules"]
    # An edit of pkg.base: base, user (imports it) and far (imports user), nothing else. Their
    # package runs again in the zygote they fork from; its verdict is replayed.
    project.edit("pkg/base.py", LOG + "X = 2\n")
    third, imported = project.run()
    assert imported == {"pkg", "pkg.base", "pkg.user", "pkg.far"}
    assert _counts(third) == (3, 6) and not third["cached"]
    assert third["stats"]["not_replayable"] == 0
    # A leaf edit imports the leaf alone (its package is replayed).
    project.edit("pkg/alone.py", LOG + "Y = 3\n")
    fourth, imported = project.run()
    assert imported == {"pkg", "pkg.alone"} and _counts(fourth) == (1, 8)


def test_a_data_file_of_its_package_a_file_it_read_and_a_variable_reimport_it(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.run()
    # The package's data file changed: every module of that package (any may read it) is
    # imported again, the other package is replayed; the verdict follows the file.
    project.edit("pkg/table.json", '{"ok": false}\n')
    step, imported = project.run()
    assert imported == {m for m in MODULES if m.startswith("pkg")}
    assert ("imports/error", "pkg/table.py") in step["rules"]
    # A file outside the tree that other.outside read: it alone is imported again.
    project.outside.write_text("broken\n", encoding="utf-8")
    step, imported = project.run()
    assert imported == {"other", "other.outside"} and _counts(step) == (1, 8)
    assert ("imports/error", "other/outside.py") in step["rules"]
    # An environment variable: the whole environment is in every key.
    step, imported = project.run(env={**project.env, "REPLAY_MODE": "broken"})
    assert imported == MODULES
    assert ("imports/error", "other/mode.py") in step["rules"]
    again, imported = project.run(env={**project.env, "REPLAY_MODE": "broken"})
    assert again["rules"] == step["rules"] and imported == set()


def test_installing_a_distribution_reimports_its_importers(tmp_path: Path) -> None:
    files = {**FILES, "pkg/uses.py": LOG + "import tinydist\n"}
    project = Project(tmp_path, files)
    site = tmp_path / "site"
    site.mkdir()
    env = {**project.env, "PYTHONPATH": str(site)}
    step, imported = project.run(env=env)
    assert ("imports/missing-dependency", "pkg/uses.py") in step["rules"]
    wheel = _wheel(tmp_path)
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--quiet"]
        + ["--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    step, imported = project.run(env=env)
    assert "pkg.uses" in imported
    assert not [rule for rule in step["rules"] if rule[1] == "pkg/uses.py"]


def test_rerun_imports_forces_the_step_and_replay_false_turns_replay_off(
    tmp_path: Path,
) -> None:
    project = Project(tmp_path)
    project.run()
    forced, imported = project.run("--rerun", "imports")
    assert imported == MODULES and _counts(forced) == (9, 0) and not forced["cached"]
    # The forced run stored fresh verdicts: the next run replays them.
    project.edit("pkg/alone.py", LOG + "Y = 4\n")
    _, imported = project.run()
    assert imported == {"pkg", "pkg.alone"}
    done = run_archverify(
        ["run", str(project.root), "--rerun", "imports,nope"], cwd=project.root, env=project.env
    )
    assert done.returncode == 2 and "unknown step(s) in --rerun: nope" in done.stderr
    project.edit("pyproject.toml", PYPROJECT + "\n[tool.archverify.imports]\nreplay = false\n")
    for _ in range(2):
        step, imported = project.run()
        assert imported == MODULES and _counts(step) == (9, 0) and not step["cached"]


def test_a_forged_verdict_in_the_cache_is_not_trusted(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.outside.write_text("broken\n", encoding="utf-8")
    first, _ = project.run()
    assert ("imports/error", "other/outside.py") in first["rules"]
    # The repository ships a cache whose entries say every module imported fine.
    forged = 0
    for entry in (project.root / ".archverify_cache" / "kv").rglob("*.json"):
        tag, _, body = entry.read_bytes().partition(b"\n")
        stored = json.loads(body)
        value = stored.get("value")
        if isinstance(value, dict) and value.get("outcome") == "raised":
            stored["value"] = {**value, "outcome": "ok"}
            entry.write_bytes(tag + b"\n" + json.dumps(stored).encode())
            forged += 1
    assert forged == 1
    project.edit("pkg/alone.py", LOG + "Y = 5\n")  # no whole-step replay: per-module entries
    step, imported = project.run()
    assert "other.outside" in imported
    assert ("imports/error", "other/outside.py") in step["rules"]

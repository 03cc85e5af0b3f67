"""bench/run.py end to end on a tiny generated project: every figure lands in the JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "run.py"
sys.path.insert(0, str(REPO / "bench"))

from runbook.projects import PROJECTS, archverify_toml, importlinter_ini  # noqa: E402
from runbook.report import sequential_total  # noqa: E402

FIGURES = (
    "archverify_cold",
    "archverify_cold_ruff_engine",
    "archverify_warm",
    "archverify_edited",
    "archverify_static_cold",
)


def _tiny_project(root: Path) -> None:
    package = root / "src" / "tinyapp"
    (package / "core").mkdir(parents=True)
    (package / "__init__.py").write_text('"""Tiny app."""\n', encoding="utf-8")
    (package / "core" / "__init__.py").write_text('"""Core."""\n', encoding="utf-8")
    (package / "core" / "rules.py").write_text(
        '"""Rules."""\n\n\ndef double(x: int) -> int:\n    return 2 * x\n', encoding="utf-8"
    )
    (package / "cli.py").write_text(
        '"""CLI."""\n\nfrom tinyapp.core.rules import double\n\n\n'
        "def main() -> None:\n    print(double(2))\n",
        encoding="utf-8",
    )
    (root / "archverify.toml").write_text(
        'source_roots = ["src"]\npackages = ["tinyapp"]\n'
        'steps = ["compile", "purity", "contracts", "ruff", "mypy", "boundaries", "cycles", '
        '"imports", "bandit"]\n\n[purity]\npackages = ["tinyapp.core"]\n\n'
        '[[contracts]]\nname = "layers"\ntype = "layers"\nlayers = ["tinyapp.cli", '
        '"tinyapp.core"]\n',
        encoding="utf-8",
    )
    (root / ".importlinter").write_text(
        "[importlinter]\nroot_package = tinyapp\n\n[importlinter:contract:1]\nname = layers\n"
        "type = layers\nlayers =\n    tinyapp.cli\n    tinyapp.core\n",
        encoding="utf-8",
    )


def test_bench_writes_every_figure(tmp_path: Path) -> None:
    project = tmp_path / "tiny"
    _tiny_project(project)
    results = tmp_path / "results"
    edited = project / "src" / "tinyapp" / "cli.py"
    before = edited.read_bytes()
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--local",
            str(project),
            "--runs",
            "1",
            "--skip-baseline-tools",
            "pycycle,pylint-cycles,mypy",
            "--edit-file",
            "src/tinyapp/cli.py",
            "--results-dir",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        # Tests never reach the network: a tool the bench would install is reported missing.
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "could not install" not in done.stdout + done.stderr
    [result_file] = results.glob("tiny-*.json")
    data = json.loads(result_file.read_text(encoding="utf-8"))
    for figure in FIGURES:
        assert data["archverify"][figure]["median_s"] > 0
        assert len(data["archverify"][figure]["runs"]) == 1
    assert data["compile_floor"]["files"] == 4
    assert data["compile_floor"]["median_s"] >= 0
    assert set(data["baseline"]) == {"compileall", "lint-imports", "ruff", "bulk-import", "bandit"}
    assert all(tool["ok"] for tool in data["baseline"].values()), data["baseline"]
    assert data["sequential"]["tools"] == list(data["baseline"])
    assert data["archverify"]["archverify_static_cold"]["tree_rss_mb"] > 0
    table = {row["figure"] for row in data["table"]}
    assert "archverify one file edited" in table
    assert any(row["target"] == "<= 400 MB" for row in data["table"])
    # The edit is undone and the cache folder removed: the tree is left as it was found.
    assert edited.read_bytes() == before
    assert not (project / ".archverify_cache").exists()
    assert "archverify warm (no change)" in done.stdout


def test_bench_rejects_unknown_baseline_tool(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--local", str(tmp_path), "--skip-baseline-tools", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown baseline tools: nope" in done.stderr


def test_sequential_total_takes_the_faster_working_cycle_finder() -> None:
    baseline: dict[str, dict[str, Any]] = {
        "ruff": {"ok": True, "median_s": 1.0},
        "pycycle": {"ok": False, "reason": "crashed"},
        "pylint-cycles": {"ok": True, "median_s": 5.0},
        "mypy": {"ok": True, "median_s": 10.0},
    }
    assert sequential_total(baseline) == (16.0, ["ruff", "pylint-cycles", "mypy"])
    baseline["pycycle"] = {"ok": True, "median_s": 2.0}
    assert sequential_total(baseline) == (13.0, ["ruff", "pycycle", "mypy"])


@pytest.mark.parametrize("name", sorted(PROJECTS))
def test_written_configs_state_the_same_contracts(name: str) -> None:
    import tomllib

    spec = PROJECTS[name]
    config = tomllib.loads(archverify_toml(spec))
    assert "tests" not in config["steps"]
    assert [c["name"] for c in config["contracts"]] == [c.name for c in spec.contracts]
    ini = importlinter_ini(spec)
    for contract in spec.contracts:
        assert f"name = {contract.name}" in ini
        for values in contract.options.values():
            for value in values:
                assert f"    {value}" in ini

"""The generated monorepo of the sharding bench, at a small scale: the generator is
deterministic, plants what it says, and ``bench/run.py --monorepo`` reports its figures (no
timing is asserted)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench" / "run.py"
sys.path.insert(0, str(REPO / "bench"))

from generate_monorepo import (  # noqa: E402
    BANDIT_FINDINGS,
    CYCLES,
    LAYERS,
    RUFF_FINDINGS,
    VIOLATIONS,
    Shape,
    generate,
    packages_for,
)

SMALL = Shape(modules=160, test_modules=4, test_cpu_s=0.01, packages_per_layer=packages_for(160))


def _digest(root: Path) -> str:
    found = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        found.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return found.hexdigest()


def test_the_same_shape_writes_the_same_tree(tmp_path: Path) -> None:
    generate(tmp_path / "a", SMALL)
    generate(tmp_path / "b", SMALL)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    modules = list((tmp_path / "a" / "src").rglob("m*.py"))
    assert len(modules) == SMALL.modules
    assert len(list((tmp_path / "a" / "tests").glob("test_*.py"))) == SMALL.test_modules
    # A wider shape writes a different tree.
    generate(tmp_path / "c", Shape(200, 4, 0.01, packages_for(200)))
    assert _digest(tmp_path / "c") != _digest(tmp_path / "a")


def test_imports_follow_the_layers_but_for_the_planted_violations(tmp_path: Path) -> None:
    generate(tmp_path, SMALL)
    upward = 0
    for path in (tmp_path / "src" / "mono").rglob("m*.py"):
        layer = LAYERS.index(path.parent.parent.name)
        for line in path.read_text().splitlines():
            if line.startswith("import mono."):
                target = LAYERS.index(line.split(".")[1])
                assert target >= layer or layer == len(LAYERS) - 1, (path, line)
                upward += target < layer
    assert upward == VIOLATIONS


def test_the_bench_row_reports_the_single_run_and_the_shards(tmp_path: Path) -> None:
    results = tmp_path / "results"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--monorepo",
            "--monorepo-modules",
            str(SMALL.modules),
            "--monorepo-tests",
            str(SMALL.test_modules),
            "--monorepo-test-cpu-s",
            str(SMALL.test_cpu_s),
            "--work-dir",
            str(tmp_path / "work"),
            "--results-dir",
            str(results),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ratio slowest shard / single run" in done.stdout
    [written] = results.glob("monorepo-*.json")
    data = json.loads(written.read_text())
    single = data["runs"]["single"]
    assert single["exit"] == 1  # the planted findings fail the run
    rules = single["summary"]["findings"]
    assert rules["ruff/F401"] == RUFF_FINDINGS
    assert rules["bandit/B307"] == BANDIT_FINDINGS
    assert rules["contracts/layers"] >= 1
    assert rules["cycles/lazy-cycle"] == CYCLES
    assert rules["tests/failed"] == 1
    assert set(single["summary"]["steps"]) >= {"contracts", "cycles", "imports", "tests"}
    assert single["step_s"]["tests"] > 0
    assert data["single_s"] > 0 and data["shape"]["modules"] == SMALL.modules
    if data["sharding_available"]:  # an archverify with --shard and merge
        assert data["merge_equals_single"], data["runs"]

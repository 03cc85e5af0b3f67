"""Two runs on one tree at the same time each give the report a lone run gives (issue 9.7).

Before: the runs shared coverage's data file (one deleted or merged the other's: coverage 100 %
instead of the real figure, the gate silently passed) and mypy's cache (``INTERNAL ERROR``).
Now coverage data is per run, mypy's cache folder is used by one run at a time (the other takes
a private one), and every cache write is atomic. Each pair edits a comment first, so that both
runs of the pair really run mypy rather than replay it.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from tests.helpers.cli import CliRun, assert_no_leftover_processes, finish_cli, start_cli
from tests.helpers.tree import write_tree

PAIRS = 10
STEPS = "compile,purity,mypy,tests"
LIBRARY = "".join(f"def f{i}(x: int) -> int:\n    return x + {i}\n\n\n" for i in range(30))
FILES = {
    "pyproject.toml": """\
[tool.archverify]
source_roots = ["src"]
packages = ["app"]

[tool.archverify.purity]
packages = ["app"]

[tool.archverify.tests]
coverage_min = 90
""",
    "src/app/__init__.py": "",
    "src/app/lib.py": LIBRARY,
    "src/app/typed.py": 'COUNT: int = "three"\n',
    "tests/test_lib.py": "from app.lib import f0\n\n\ndef test_f0():\n    assert f0(1) == 1\n",
}


def _start(root: Path) -> tuple[subprocess.Popen[str], str]:
    return start_cli(["run", str(root), "--format", "json", "--steps", STEPS], cwd=root)


def _finish(child: subprocess.Popen[str], marker: str) -> CliRun:
    run = finish_cli(child, marker)
    assert run.returncode == 1, run.stderr
    assert_no_leftover_processes(run)
    return run


def _verdict(run: CliRun) -> dict[str, Any]:
    """The report without what may differ between equal runs (durations, replay, paths)."""
    report = run.json()
    steps = [
        (s["id"], s["status"], s["findings"], s["message"], s["stats"].get("coverage"))
        for s in report["steps"]
    ]
    return {"steps": steps, "findings": report["findings"]}


def test_ten_pairs_of_simultaneous_runs_each_give_the_lone_runs_report(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", FILES)
    lone = _verdict(_finish(*_start(root)))
    rules = {f["rule"] for f in lone["findings"]}
    assert {"mypy/assignment", "coverage/below-minimum"} <= rules, rules
    started = time.monotonic()
    for pair in range(PAIRS):
        with (root / "src/app/typed.py").open("a") as edit:
            edit.write(f"# pair {pair}\n")
        first, second = _start(root), _start(root)
        results = [_verdict(_finish(*first)), _verdict(_finish(*second))]
        assert results == [lone, lone], f"pair {pair}"
    elapsed = time.monotonic() - started
    assert elapsed < 240, f"{PAIRS} pairs took {elapsed:.0f} s"

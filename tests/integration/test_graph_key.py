"""The steps that read only the import graph (contracts, cycles) replay after an edit that
changes no import, and run again after one that does (a new import, or one moved a line)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import run_cli
from tests.helpers.tree import write_tree

FILES = {
    "pyproject.toml": """\
[tool.archverify]
packages = ["app"]
steps = ["compile", "contracts", "cycles", "purity"]

[tool.archverify.purity]
packages = ["app.low"]

[[tool.archverify.contracts]]
name = "low stays low"
type = "forbidden"
source_modules = ["app.low"]
forbidden_modules = ["app.high"]
""",
    "app/__init__.py": "",
    "app/high.py": "import app.low\n",
    "app/low.py": "import os\n\n\ndef f() -> int:\n    return 1\n",
}


def _run(root: Path) -> tuple[dict[str, bool], list[tuple[str, str, int]]]:
    run = run_cli(["run", ".", "--format", "json"], cwd=root, timeout_s=120)
    assert run.returncode in (0, 1), run.stderr
    report = run.json()
    cached = {s["id"]: s["cached"] for s in report["steps"]}
    return cached, sorted((f["rule"], f["path"], f["line"]) for f in report["findings"])


def test_an_edit_that_changes_no_import_replays_the_graph_steps(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    _run(root)
    low = root / "app" / "low.py"
    low.write_text(low.read_text().replace("return 1", "print('x')\n    return 2"))
    cached, findings = _run(root)
    assert cached["contracts"] and cached["cycles"]
    assert not cached["purity"]  # it reads the calls: the edit added one
    assert ("purity/io-call", "app/low.py", 5) in findings


def test_an_edit_that_changes_an_import_runs_the_graph_steps_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "p", FILES)
    _run(root)
    low = root / "app" / "low.py"
    low.write_text("import os\nimport app.high\n\n\ndef f() -> int:\n    return 1\n")
    cached, findings = _run(root)
    assert not cached["contracts"] and not cached["cycles"]
    assert ("contracts/forbidden", "app/low.py", 2) in findings
    assert any(rule == "cycles/import-cycle" for rule, _, _ in findings)
    # The same import one line lower: the findings must say the new line.
    low.write_text("\nimport os\nimport app.high\n\n\ndef f() -> int:\n    return 1\n")
    cached, findings = _run(root)
    assert not cached["contracts"]
    assert ("contracts/forbidden", "app/low.py", 3) in findings

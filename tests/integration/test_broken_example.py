"""Golden run of the example: clean it passes every step; broken, each violation shows once.

scripts/make_broken_copy.py copies examples/policy_orchestrator and injects one violation per
rule, listing each as (rule, path, line) in injected.json. ``archverify run`` on the copy must
report exactly those findings, each once and at that line, and no other error or warning. The
runs use the real ruff, mypy, bandit and pytest.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from archverify.core.config import STEP_ORDER
from archverify.orchestrator.cli import main
from archverify.orchestrator.commands.explain import explain

pytest.importorskip("archverify.core.extract", reason="the fact extractor has not landed yet")

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "policy_orchestrator"
SCRIPT = REPO / "scripts" / "make_broken_copy.py"
# One injection per rule the issue asks for; the script must not silently drop one.
INJECTED_RULES = {
    "purity/io-call",
    "purity/main-block",
    "purity/environment",
    "contracts/layers",
    "boundaries/forbidden-call",
    "cycles/import-cycle",
    "imports/error",
    "ruff/F401",
    "mypy/return-value",
    "bandit/B307",
    "tests/failed",
    "snapshots/changed",
}
REPORTED = {"error", "warning"}
TOOL_STATE = ("__pycache__", ".venv", ".archverify_cache", ".mypy_cache", ".pytest_cache")

Place = tuple[str, str, int]


@dataclass(frozen=True)
class Run:
    code: int
    report: dict[str, Any]


def make_copy(dest: Path, source: Path = EXAMPLE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter running the repository's script
        [sys.executable, str(SCRIPT), str(source), str(dest)],
        capture_output=True,
        text=True,
        check=False,
    )


def archverify_run(project: Path, out: Path) -> Run:
    code = main(["run", str(project), "--format", "json", "--output", str(out), "--no-cache"])
    return Run(code, json.loads(out.read_text(encoding="utf-8")))


def places(items: list[dict[str, Any]]) -> Counter[Place]:
    return Counter((str(i["rule"]), str(i["path"]), int(i["line"])) for i in items)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Run]]:
    base = tmp_path_factory.mktemp("broken")
    dest = base / "policy_orchestrator"
    made = make_copy(dest)
    assert made.returncode == 0, made.stderr
    yield dest, archverify_run(dest, base / "report.json")


def injected(dest: Path) -> list[dict[str, Any]]:
    listing = json.loads((dest / "injected.json").read_text(encoding="utf-8"))
    assert isinstance(listing, list)
    return listing


def test_clean_example_passes_all_eleven_steps(tmp_path: Path) -> None:
    run = archverify_run(EXAMPLE, tmp_path / "report.json")
    assert run.code == 0
    steps = {s["id"]: s["status"] for s in run.report["steps"]}
    assert len(STEP_ORDER) == 11
    assert steps == dict.fromkeys(STEP_ORDER, "passed")
    assert [f for f in run.report["findings"] if f["severity"] in REPORTED] == []


def test_script_injects_one_violation_per_rule(broken: tuple[Path, Run]) -> None:
    dest, _ = broken
    listing = injected(dest)
    assert sorted(item["rule"] for item in listing) == sorted(INJECTED_RULES)
    for item in listing:
        line = (dest / item["path"]).read_text(encoding="utf-8").splitlines()[item["line"] - 1]
        assert line.strip(), item


def test_broken_copy_exits_one(broken: tuple[Path, Run]) -> None:
    assert broken[1].code == 1


def test_each_injection_is_reported_once_at_its_line_and_nothing_else(
    broken: tuple[Path, Run],
) -> None:
    dest, run = broken
    reported = [f for f in run.report["findings"] if f["severity"] in REPORTED]
    assert places(reported) == places(injected(dest))


def test_every_step_but_compile_fails_on_the_broken_copy(broken: tuple[Path, Run]) -> None:
    steps = {s["id"]: s["status"] for s in broken[1].report["steps"]}
    assert steps == {step: "passed" if step == "compile" else "failed" for step in STEP_ORDER}


def test_injected_code_keeps_coverage_above_the_minimum(broken: tuple[Path, Run]) -> None:
    tests = next(s for s in broken[1].report["steps"] if s["id"] == "tests")
    assert tests["stats"]["coverage"] >= 85


def copy_example(dest: Path) -> Path:
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(*TOOL_STATE))
    return dest


def test_copy_leaves_tool_state_behind(tmp_path: Path) -> None:
    source = copy_example(tmp_path / "source")
    for name in TOOL_STATE:
        (source / "src" / name).mkdir()
        (source / "src" / name / "junk.txt").write_text("x", encoding="utf-8")
    (source / ".coverage").write_text("x", encoding="utf-8")
    dest = tmp_path / "dest"
    assert make_copy(dest, source).returncode == 0
    assert {p.name for p in dest.rglob("*")}.isdisjoint({*TOOL_STATE, ".coverage", "junk.txt"})
    assert (dest / "src" / "policy_orchestrator" / "processors" / "legacy_format.py").is_file()


def test_refuses_a_destination_that_is_not_empty(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine", encoding="utf-8")
    done = make_copy(dest)
    assert done.returncode == 2
    assert f"{dest}: already exists" in done.stderr
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


def test_changed_example_is_a_clear_error_naming_the_file(tmp_path: Path) -> None:
    source = copy_example(tmp_path / "source")
    render = source / "src" / "policy_orchestrator" / "processors" / "render.py"
    text = render.read_text(encoding="utf-8").replace("-> list[str]:", "-> list[str]:  # moved")
    render.write_text(text, encoding="utf-8")
    dest = tmp_path / "dest"
    done = make_copy(dest, source)
    assert done.returncode == 2
    assert f"{dest / 'src/policy_orchestrator/processors/render.py'}: " in done.stderr
    assert "not found" in done.stderr
    assert not dest.exists()


def test_every_rule_the_broken_copy_reports_is_explained_in_plain_text(
    broken: tuple[Path, Run], capsys: pytest.CaptureFixture[str]
) -> None:
    rules = sorted({str(f["rule"]) for f in broken[1].report["findings"]})
    assert len(rules) >= len(INJECTED_RULES)
    for rule in rules:
        assert explain(rule) == 0, rule
        shown = capsys.readouterr().out
        assert rule.partition("/")[0] in shown, rule
        assert "&lt;" not in shown and "&gt;" not in shown and "&amp;" not in shown, rule

"""``archverify run`` end to end on small projects: exit codes, the JSON contract, caching."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from archverify.orchestrator.cli import main
from tests.helpers.cli import archverify_command, is_alive, run_archverify
from tests.helpers.configs import APP, PURITY_CORE, layers_contract
from tests.helpers.tree import write_tree

STATIC = "compile,purity,contracts,boundaries,cycles"

BOUNDARY = """
[[tool.archverify.boundaries]]
name = "provider only from the orchestrator"
packages = ["app.core", "app.executors"]
forbid_calls = ["get_provider"]
"""
CONFIG = (
    APP + PURITY_CORE + layers_contract("app.orchestrator", "app.executors", "app.core") + BOUNDARY
)

FILES = {
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/model.py": (
        '"""Words in a docstring: open the file, json.load it."""\n'
        "import json as j\n"
        "\n"
        "\n"
        "def parse(f):\n"
        "    openness = 1\n"
        "    return j.load(f), openness\n"
    ),
    "src/app/executors/__init__.py": "",
    "src/app/executors/run.py": (
        "from app.orchestrator import settings\n"
        "\n"
        "\n"
        "def go(registry):\n"
        "    return registry.get_provider(), settings\n"
    ),
    "src/app/orchestrator/__init__.py": "",
    "src/app/orchestrator/settings.py": "from app.executors import run\n",
}


def make_project(root: Path, files: Mapping[str, str | bytes], config: str | None = CONFIG) -> Path:
    write_tree(root, files)
    if config is not None:
        (root / "pyproject.toml").write_text(config, encoding="utf-8")
    return root


def run_json(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    out = root.parent / f"{root.name}-report.json"
    code = main(["run", str(root), "--format", "json", "--output", str(out), *args])
    return code, json.loads(out.read_text(encoding="utf-8"))


def rules_at(report: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(f["rule"], f["path"], f["line"]) for f in report["findings"]]


def test_every_violation_is_reported_with_its_place(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", FILES)
    code, report = run_json(root, "--steps", STATIC, "--no-cache")
    assert code == 1
    found = rules_at(report)
    assert ("purity/io-call", "src/app/core/model.py", 7) in found
    assert ("contracts/layers", "src/app/executors/run.py", 1) in found
    assert ("boundaries/forbidden-call", "src/app/executors/run.py", 5) in found
    assert ("cycles/import-cycle", "src/app/executors/run.py", 1) in found
    # The docstring's "open" and "json.load" and the name ``openness`` are not calls.
    assert [f for f in found if f[0] == "purity/io-call"] == [
        ("purity/io-call", "src/app/core/model.py", 7)
    ]


def test_the_json_report_keeps_its_contract(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", FILES)
    _, report = run_json(root, "--steps", STATIC, "--no-cache")
    assert report["schema"] == 1
    assert report["tool"] == "archverify"
    assert report["root"] == str(root.resolve())
    assert [s["id"] for s in report["steps"]] == STATIC.split(",")
    for step in report["steps"]:
        assert {"id", "status", "findings", "duration_s"} <= set(step)
        assert step["status"] in {"passed", "failed", "error", "skipped"}
    for finding in report["findings"]:
        assert set(finding) >= {
            "step",
            "rule",
            "severity",
            "path",
            "line",
            "column",
            "message",
            "hint",
            "extra",
        }
        assert "\\" not in finding["path"] and not finding["path"].startswith("/")
        assert finding["line"] >= 1
    summary = report["summary"]
    assert summary["errors"] == sum(f["severity"] == "error" for f in report["findings"])
    assert summary["files"] == 7 and summary["modules"] == 7
    assert summary["imports"] >= 2


def _without_durations(report: dict[str, Any]) -> dict[str, Any]:
    for step in report["steps"]:
        step.pop("duration_s")
        step.pop("cached", None)
    report["summary"].pop("duration_s", None)
    return report


def test_the_same_tree_gives_the_same_report(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", FILES)
    _, first = run_json(root, "--steps", STATIC, "--no-cache")
    _, second = run_json(root, "--steps", STATIC, "--jobs", "2")
    _, third = run_json(root, "--steps", STATIC, "--jobs", "2")  # replayed from the cache
    assert all(s["cached"] for s in third["steps"] if s["status"] != "skipped")
    assert _without_durations(first) == _without_durations(second) == _without_durations(third)


def test_an_edit_is_seen_by_a_warm_run(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", FILES)
    run_json(root, "--steps", STATIC)
    model = root / "src/app/core/model.py"
    model.write_text("def parse(f):\n    return f\n", encoding="utf-8")
    _, report = run_json(root, "--steps", STATIC)
    assert not [f for f in report["findings"] if f["rule"] == "purity/io-call"]


def test_bad_files_are_findings_and_the_rest_is_still_checked(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = dict(FILES)
    files["src/app/core/broken.py"] = "def f(:\n    pass\n"
    files["src/app/core/scoping.py"] = "def f():\n    nonlocal x\n"
    files["src/app/core/latin.py"] = "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n".encode(
        "latin-1"
    )
    files["src/app/core/garbage.py"] = b"x = 1\ny = '\xff\xfe'\n"
    root = make_project(tmp_path / "p", files)
    code, report = run_json(root, "--steps", STATIC, "--no-cache")
    assert code == 1
    compile_findings = {
        (f["path"], f["line"]) for f in report["findings"] if f["step"] == "compile"
    }
    assert ("src/app/core/broken.py", 1) in compile_findings
    assert ("src/app/core/scoping.py", 2) in compile_findings
    assert ("src/app/core/garbage.py", 2) in compile_findings
    assert not any(path == "src/app/core/latin.py" for path, _ in compile_findings)
    assert ("purity/io-call", "src/app/core/model.py", 7) in rules_at(report)


def test_a_configured_package_that_does_not_exist_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        tmp_path / "p",
        FILES,
        CONFIG.replace('packages = ["app.core"]', 'packages = ["app.kernel"]'),
    )
    assert main(["run", str(root), "--steps", STATIC]) == 2
    err = capsys.readouterr().err
    assert "app.kernel" in err and "pyproject.toml:" in err and "Traceback" not in err


def test_a_contract_layer_that_does_not_exist_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        tmp_path / "p",
        FILES,
        CONFIG.replace('"app.executors", "app.core"', '"app.executor", "app.core"'),
    )
    assert main(["run", str(root), "--steps", STATIC]) == 2
    assert "app.executor" in capsys.readouterr().err


def test_a_broken_config_is_exit_2_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "p", FILES, CONFIG + "\n[tool.archverify.purity2]\nx = 1\n")
    assert main(["run", str(root)]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml:" in err and "purity2" in err


def test_usage_errors_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path / "p", FILES)
    assert main(["run", str(tmp_path / "nowhere")]) == 2
    assert main(["run", str(root), "--steps", "compile,typo"]) == 2
    assert main(["run", str(root), "--format", "yaml"]) == 2
    err = capsys.readouterr().err
    assert "nowhere" in err and "typo" in err and "yaml" in err


def test_without_config_compile_and_cycles_run_and_a_note_says_how_to_add_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(tmp_path / "p", {"pkg/__init__.py": "", "pkg/a.py": "import os\n"}, None)
    assert main(["run", str(root), "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "archverify init" in out
    _, report = run_json(root, "--no-cache")
    assert [s["id"] for s in report["steps"]] == ["compile", "cycles"]


def test_json_on_stdout_is_only_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path / "p", FILES)
    main(["run", str(root), "--steps", STATIC, "--format", "json", "--no-cache"])
    assert json.loads(capsys.readouterr().out)["schema"] == 1


def test_several_formats_each_to_its_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", FILES)
    sarif, junit, html = tmp_path / "r.sarif", tmp_path / "r.xml", tmp_path / "r.html"
    main(
        [
            "run",
            str(root),
            "--steps",
            STATIC,
            "--no-cache",
            "--format",
            f"sarif={sarif}",
            "--format",
            f"junit={junit}",
            "--format",
            f"html={html}",
            "--format",
            "text",
        ]
    )
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    assert junit.read_text().startswith("<?xml")
    assert "<svg" in html.read_text()


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_no_file_appears_in_the_tree_but_the_cache(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", FILES)
    before = _tree(root)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = run_archverify(["run", str(root), "--steps", STATIC + ",imports"], env=env)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    added = {p for p in _tree(root) - before if not p.startswith(".archverify_cache")}
    assert added == set()


@pytest.mark.parametrize(
    ("fmt", "marker"), [("svg", "<svg"), ("dot", "digraph"), ("mermaid", "flowchart")]
)
def test_graph_draws_the_layers(tmp_path: Path, fmt: str, marker: str) -> None:
    root = make_project(tmp_path / "p", FILES)
    out = tmp_path / f"picture.{fmt}"
    assert main(["graph", str(root), "--format", fmt, "--output", str(out), "--no-cache"]) == 0
    text = out.read_text(encoding="utf-8")
    assert marker in text
    assert "orchestrator" in text and "executors" in text


def test_interrupting_a_run_stops_its_children_and_writes_no_report(tmp_path: Path) -> None:
    files = dict(FILES)
    files["src/app/orchestrator/hangs.py"] = "import time\nwhile True:\n    time.sleep(0.1)\n"
    root = make_project(
        tmp_path / "p", files, CONFIG + "\n[tool.archverify.imports]\ntimeout_s = 120\n"
    )
    out = tmp_path / "report.json"
    process = subprocess.Popen(
        archverify_command(
            "run", str(root), "--steps", "imports", "--format", f"json={out}", "--no-cache"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _descendants(process.pid):
        time.sleep(0.2)
    time.sleep(1.0)
    children = _descendants(process.pid)
    assert children, "the imports step never started its server"
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in err
    assert not out.exists()
    # The server's children die when it does (their parent-death signal), and a killed process
    # ends only once the kernel schedules it: under load that takes more than a moment. A
    # child that survived the stop stays alive for good, which the deadline still catches.
    deadline = time.monotonic() + 30
    while [pid for pid in children if is_alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in children if is_alive(pid)] == []


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        kids = []
        # Children started from a worker thread are listed under that thread's task.
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids += [int(k) for k in (task / "children").read_text().split()]
            except OSError:
                continue
        found.extend(kids)
        frontier.extend(kids)
    return found

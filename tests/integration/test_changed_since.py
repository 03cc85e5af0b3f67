"""``run --changed-since REF`` through the real CLI and real git.

On this project's own history (a local clone in tmp_path): a commit that adds an upward import
reports exactly that violation as new; a change to a leaf re-runs only its tests. On small
repositories: what the report says, the usage errors, and that a repository's configured
programs (fsmonitor, external diff, textconv and clean filters) never run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.configs import APP
from tests.helpers.tree import write_tree

HERE = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}
STATIC = "contracts,cycles,purity,boundaries"


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--no-verify", "-m", message)


def repository(tmp_path: Path, files: dict[str, str]) -> Path:
    root = write_tree(tmp_path / "repo", files)
    git(root, "init", "-q")
    commit_all(root, "first")
    return root


LAYERED = {
    "pyproject.toml": APP + '\n[[tool.archverify.contracts]]\nname = "layers"\ntype = "layers"\n'
    'layers = ["app.high", "app.low", "app.other"]\n',
    "src/app/__init__.py": "",
    "src/app/high.py": "import os\n",
    # An existing violation: low imports high already before the change.
    "src/app/low.py": "import app.high\n",
    "src/app/other.py": "X = 1\n",
}


def contracts_since_head(root: Path) -> CliRun:
    """The contracts step under ``--changed-since HEAD``, its JSON report on stdout."""
    args = ["--steps", "contracts", "--changed-since", "HEAD", "--format", "json", "--no-cache"]
    return run_cli(["run", ".", *args], cwd=root)


def layers(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in findings if f["rule"] == "contracts/layers"]


def test_new_and_existing_in_every_format(tmp_path: Path) -> None:
    root = repository(tmp_path, LAYERED)
    (root / "src/app/other.py").write_text("import app.high\n\nX = 1\n")  # unstaged: new
    run = run_cli(
        [
            "run",
            ".",
            "--steps",
            "contracts",
            "--changed-since",
            "HEAD",
            "--format",
            "json",
            "--format",
            "text=out.txt",
            "--format",
            "sarif=out.sarif",
            "--no-cache",
        ],
        cwd=root,
    )
    assert run.returncode == 1, run.stderr
    report = run.json()
    assert [(f["path"], f["change"]) for f in layers(report["findings"])] == [
        ("src/app/other.py", "new")
    ]
    assert [(f["path"], f["change"]) for f in layers(report["existing"])] == [
        ("src/app/low.py", "existing")
    ]
    since = report["summary"]["changed_since"]
    assert since["ref"] == "HEAD" and since["changed_files"] == 1
    assert since["commit"] == git(root, "rev-parse", "HEAD").strip()
    # The contract's cut note names both imports, one of them changed: it is new too.
    assert (report["summary"]["new"], report["summary"]["existing"]) == (2, 1)
    assert "2 new, 1 existing" in (root / "out.txt").read_text()
    sarif = json.loads((root / "out.sarif").read_text())
    states = sorted(
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["baselineState"])
        for r in sarif["runs"][0]["results"]
        if r["ruleId"] == "contracts/layers"
    )
    assert states == [("src/app/low.py", "unchanged"), ("src/app/other.py", "new")]


def test_existing_findings_do_not_fail_the_run(tmp_path: Path) -> None:
    root = repository(tmp_path, LAYERED)
    (root / "src/app/other.py").write_text("X = 2\n")
    run = contracts_since_head(root)
    assert run.returncode == 0, run.stdout
    assert run.json()["findings"] == []
    assert len(layers(run.json()["existing"])) == 1
    # Without the flag the same tree fails: the existing finding is real.
    assert run_cli(["run", ".", "--steps", "contracts", "--no-cache"], cwd=root).returncode == 1


def test_usage_errors_name_the_cause(tmp_path: Path) -> None:
    plain = write_tree(tmp_path / "plain", {"pyproject.toml": APP, "src/app/__init__.py": ""})
    root = repository(tmp_path, LAYERED)
    cases = [
        (plain, "HEAD", "is not inside a git"),
        (root, "no-such-branch", "no-such-branch: no such commit"),
        (root, "--steps", "not a git revision"),
    ]
    for folder, ref, expected in cases:
        run = run_cli(["run", ".", "--steps", "contracts", f"--changed-since={ref}"], cwd=folder)
        assert run.returncode == 2, (ref, run.stdout, run.stderr)
        assert expected in run.stderr and "Traceback" not in run.stderr, run.stderr
    missing_git = run_cli(
        ["run", ".", "--steps", "contracts", "--changed-since", "HEAD"],
        cwd=root,
        env={"PATH": str(tmp_path / "no-bin")},
    )
    assert missing_git.returncode == 2
    assert "needs git, which is not installed" in missing_git.stderr


def test_repository_configured_programs_are_not_run(tmp_path: Path) -> None:
    root = repository(tmp_path, {**LAYERED, ".gitattributes": "*.py diff=evil filter=evil\n"})
    marker = tmp_path / "ran"
    script = tmp_path / "evil.sh"
    script.write_text(f'#!/bin/sh\necho "$0 $*" >> {marker}\ncat\n')
    script.chmod(0o755)
    for setting in (
        "core.fsmonitor",
        "diff.external",
        "diff.evil.textconv",
        "diff.evil.command",
        "filter.evil.clean",
        "filter.evil.smudge",
        "core.pager",
    ):
        git(root, "config", setting, str(script))
    git(root, "config", "core.hooksPath", str(tmp_path / "hooks"))
    (root / "src/app/other.py").write_text("import app.high\n")
    run = contracts_since_head(root)
    assert run.returncode == 1, run.stderr
    assert [f["path"] for f in layers(run.json()["findings"])] == ["src/app/other.py"]
    assert not marker.exists(), marker.read_text()
    # The control: the same repository does run the program for an ordinary git command, so
    # the assertion above would catch a git invocation that let it.
    subprocess.run(
        ["git", "diff"],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert marker.exists()


def clone_of_this_project(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-hardlinks", str(HERE), str(clone))
    return clone


def test_upward_import_in_this_projects_history_is_the_one_new_finding(tmp_path: Path) -> None:
    clone = clone_of_this_project(tmp_path)
    leaf = clone / "src/archverify/core/source_text.py"
    text = leaf.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    leaf.write_text(
        head + sep + "\nimport archverify.orchestrator.atomic_write  # noqa: F401\n" + rest
    )
    commit_all(clone, "core imports the orchestrator")
    run = run_cli(
        [
            "run",
            ".",
            "--steps",
            STATIC,
            "--changed-since",
            "HEAD~1",
            "--format",
            "json",
            "--no-cache",
        ],
        cwd=clone,
    )
    report = run.json()
    line = head.count("\n") + 3
    where = ("src/archverify/core/source_text.py", line)
    # One import, seen by both contracts it breaks (each with its cut note): nothing else new.
    errors = sorted(
        (f["rule"], f["path"], f["line"]) for f in report["findings"] if f["severity"] == "error"
    )
    assert errors == [("contracts/acyclic_siblings", *where), ("contracts/layers", *where)]
    assert {(f["path"], f["line"]) for f in report["findings"]} == {where}, report["findings"]
    assert report["summary"]["changed_since"]["changed_files"] == 1
    assert run.returncode == 1


def test_a_leaf_change_reruns_only_its_tests(tmp_path: Path) -> None:
    clone = clone_of_this_project(tmp_path)
    pyproject = clone / "pyproject.toml"
    config = pyproject.read_text()
    config = config.replace(
        'paths = ["tests"]\ncoverage_min = 85', 'paths = ["tests/cs"]\ncoverage_min = 0'
    )
    pyproject.write_text(config)
    write_tree(
        clone / "tests/cs",
        {
            "__init__.py": "",
            "test_leaf.py": "from archverify.core.changes import changed_lines\n\n\n"
            "def test_lines() -> None:\n    assert changed_lines('a', 'b') == ((1, 1),)\n",
            "test_other.py": "def test_other() -> None:\n    assert 1 + 1 == 2\n",
        },
    )
    commit_all(clone, "a small test suite")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    first = run_cli(
        ["run", ".", "--steps", "tests", "--changed-since", "HEAD", "--format", "json", *cache],
        cwd=clone,
    )
    assert first.step("tests")["status"] == "passed", first.stdout
    leaf = clone / "src/archverify/core/changes.py"
    leaf.write_text(
        leaf.read_text().replace(
            "    ranges: list[tuple[int, int]] = []\n",
            "    ranges: list[tuple[int, int]] = []  # edited\n    ranges.clear()\n",
        )
    )
    commit_all(clone, "edit a leaf's function body")
    second = run_cli(
        ["run", ".", "--steps", "tests", "--changed-since", "HEAD~1", "--format", "json", *cache],
        cwd=clone,
    )
    stats = second.step("tests")["stats"]
    assert stats["affected"]["ran"] == ["tests/cs/test_leaf.py"], second.stdout
    assert stats["affected"]["replayed"] == 1
    assert stats["tests"] == 2
    # A change that breaks an unchanged test: its failure is new (the change ran it), exit 1.
    leaf.write_text(
        leaf.read_text().replace(
            "return tuple(_merged(ranges))", "return tuple(_merged(ranges))[:0]"
        )
    )
    commit_all(clone, "break the leaf")
    args = ["--steps", "tests", "--changed-since", "HEAD~1", "--format", "json", *cache]
    third = run_cli(["run", ".", *args], cwd=clone)
    failed = [(f["rule"], f["path"], f["change"]) for f in third.json()["findings"]]
    assert failed == [("tests/failed", "tests/cs/test_leaf.py", "new")], third.stdout
    assert third.returncode == 1


def test_ruff_bandit_and_imports_run_only_on_what_the_change_reaches(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": APP,
        "src/app/__init__.py": "",
        # Both have a ruff finding (F401) and a bandit one (B101, an assert).
        "src/app/a.py": "import os\n\nassert True\n",
        "src/app/b.py": "import os\n\nassert True\n",
        "src/app/c.py": "import app.a\n",
        "src/app/d.py": "X = 1\n",
    }
    root = repository(tmp_path, files)
    (root / "src/app/a.py").write_text("import os\nimport sys\n\nassert True\n")
    steps = ["--steps", "ruff,bandit,imports", "--format", "json", "--no-cache"]
    run = run_cli(["run", ".", *steps, "--changed-since", "HEAD"], cwd=root)
    report = run.json()
    assert run.step("ruff")["stats"]["files"] == 1
    assert run.step("bandit")["stats"]["files"] == 1
    assert {f["path"] for f in report["findings"] + report["existing"]} <= {"src/app/a.py"}
    # The line the change wrote is new; a.py's other findings were there before it.
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [("ruff/F401", 2)]
    # a.py, and c.py whose import-time closure holds it; not app (a package imports nothing),
    # b.py or d.py.
    imports = run.step("imports")["stats"]
    assert (imports["imported"], imports["not_reached"]) == (2, 3)
    whole = run_cli(["run", ".", *steps], cwd=root)
    assert whole.step("ruff")["stats"]["files"] == 5
    assert whole.step("imports")["stats"]["imported"] == 5


def test_imports_reach_data_files_and_the_configuration(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": APP,
        "src/app/__init__.py": "",
        "src/app/data/__init__.py": "",
        "src/app/data/table.csv": "a,b\n",
        "src/app/data/read.py": "X = 1\n",
        "src/app/plain.py": "Y = 2\n",
        "tests/test_x.py": "def test() -> None:\n    pass\n",
    }
    root = repository(tmp_path, files)

    def imports_since_head() -> dict[str, Any]:
        args = ["--steps", "imports", "--format", "json", "--no-cache", "--changed-since", "HEAD"]
        stats: dict[str, Any] = run_cli(["run", ".", *args], cwd=root).step("imports")["stats"]
        return stats

    (root / "src/app/data/table.csv").write_text("a,b\n1,2\n")
    (root / "tests/test_x.py").write_text("def test() -> None:\n    assert True\n")
    stats = imports_since_head()  # app.data and app.data.read: the package holds the data
    assert (stats["imported"], stats["not_reached"]) == (2, 2)
    (root / "pyproject.toml").write_text(APP + "\n")
    stats = imports_since_head()
    assert (stats["imported"], stats["not_reached"]) == (4, 0)

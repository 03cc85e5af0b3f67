"""archverify writes only its cache folder, the outputs it was asked for and, inside the root,
the files its config names (issue 9, item 2).

Each test builds a repository and an "outside" sibling folder, runs the real CLI and checks the
verdict, the tree digest and the outside digest.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers.cli import CliRun, assert_no_leftover_processes, run_cli
from tests.helpers.configs import APP, PURITY_CORE
from tests.helpers.tree import CACHE_FOLDER, tree_digest, write_tree

CONFIG = (
    APP
    + "{extra}"
    + PURITY_CORE
    + '\n[tool.archverify.snapshots]\npackages = ["app"]\n{snapshot}\n'
)
SOURCES = {
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
}
STATIC = "compile,purity,cycles"
# PYTHONDONTWRITEBYTECODE is set on these machines; unset, a stray write of bytecode shows too.
ENV = {"PYTHONDONTWRITEBYTECODE": ""}


def _repo(tmp_path: Path, *, extra: str = "", snapshot: str = "") -> tuple[Path, Path]:
    root = write_tree(
        tmp_path / "repo",
        {"pyproject.toml": CONFIG.format(extra=extra, snapshot=snapshot), **SOURCES},
    )
    outside = write_tree(tmp_path / "outside", {"victim.json": '{"keep": true}\n'})
    return root, outside


def _cli(root: Path, *args: str) -> CliRun:
    run = run_cli(args, cwd=root, env=ENV)
    assert "Traceback" not in run.stderr
    assert_no_leftover_processes(run)
    return run


def _config_line(root: Path, needle: str) -> int:
    lines = (root / "pyproject.toml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


# -- files the config names ------------------------------------------------------------------


@pytest.mark.parametrize("command", [["baseline", "."], ["snapshot", "."], ["run", "."]])
def test_a_baseline_outside_the_root_is_refused(tmp_path: Path, command: list[str]) -> None:
    root, outside = _repo(tmp_path, extra='baseline = "../outside/victim.json"\n')
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, *command, *(["--steps", STATIC] if command[0] == "run" else []))
    assert run.returncode == 2, run.stderr
    line = _config_line(root, "baseline =")
    assert f"pyproject.toml:{line}: tool.archverify.baseline:" in run.stderr
    assert "outside the project root" in run.stderr
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize("command", [["snapshot", "."], ["baseline", "."], ["run", "."]])
def test_an_absolute_snapshot_file_outside_is_refused(tmp_path: Path, command: list[str]) -> None:
    target = tmp_path / "outside" / "victim.json"
    root, outside = _repo(tmp_path, snapshot=f'file = "{target}"\n')
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, *command, *(["--steps", STATIC] if command[0] == "run" else []))
    assert run.returncode == 2, run.stderr
    line = _config_line(root, "file =")
    assert f"pyproject.toml:{line}: tool.archverify.snapshots.file:" in run.stderr
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize("command", ["baseline", "snapshot"])
def test_a_default_file_linked_out_of_the_root_is_refused(tmp_path: Path, command: str) -> None:
    root, outside = _repo(tmp_path)
    name = "archverify-baseline.json" if command == "baseline" else "contracts.snapshot.json"
    (root / name).symlink_to(outside / "victim.json")
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, command, ".")
    assert run.returncode == 2, run.stderr
    assert "outside the project root" in run.stderr
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


def test_a_baseline_in_a_folder_linked_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root, outside = _repo(tmp_path, extra='baseline = "data/baseline.json"\n')
    (root / "data").symlink_to(outside)
    outside_before = tree_digest(outside)
    run = _cli(root, "baseline", ".")
    assert run.returncode == 2, run.stderr
    assert "tool.archverify.baseline" in run.stderr
    assert tree_digest(outside) == outside_before


def test_baseline_and_snapshot_inside_the_root_are_written_keeping_their_mode(
    tmp_path: Path,
) -> None:
    root, outside = _repo(tmp_path, extra='baseline = "quality/baseline.json"\n')
    (root / "quality").mkdir()
    baseline = root / "quality" / "baseline.json"
    baseline.write_text("{}")
    baseline.chmod(0o640)
    outside_before = tree_digest(outside)
    assert _cli(root, "baseline", ".").returncode == 0
    assert _cli(root, "snapshot", ".").returncode == 0
    assert stat.S_IMODE(baseline.stat().st_mode) == 0o640
    assert '"entries"' in baseline.read_text()
    # A new file gets the mode the umask gives, as a shell would create it, not 0600.
    umask = os.umask(0)
    os.umask(umask)
    snapshot = root / "contracts.snapshot.json"
    assert stat.S_IMODE(snapshot.stat().st_mode) == 0o666 & ~umask
    assert tree_digest(outside) == outside_before


# -- report destinations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--format", "sarif=src/app/core/calc.py"], "src/app/core/calc.py"),
        (["--format", "json", "--output", "pyproject.toml"], "pyproject.toml"),
        (["--format", "json=r", "--format", "sarif=r"], "named twice"),
        (["--format", "json=r.json", "--format", "sarif=./sub/../r.json"], "named twice"),
        (["--format", "json=src"], "it is a folder"),
        (["--format", "json=missing/r.json"], "its folder does not exist"),
        (["--format", "json=src/app/new_module.py"], "src/app/new_module.py"),
        (["--format", "junit=link.xml"], "link.xml"),  # a link to a source file
        (["--format", "json=out/r.json"], "out of the project"),  # a folder linked outside
    ],
)
def test_a_report_destination_that_would_destroy_is_refused_before_any_step(
    tmp_path: Path, args: list[str], named: str
) -> None:
    root, outside = _repo(tmp_path)
    (root / "link.xml").symlink_to("src/app/core/calc.py")
    (root / "out").symlink_to(outside)
    before, outside_before = tree_digest(root, skip=()), tree_digest(outside)
    run = _cli(root, "run", ".", "--steps", STATIC, *args)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert named in run.stderr
    assert run.stdout == ""
    # Refused before any step ran: not even the cache folder was made.
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize("link", ["symbolic", "hard"])
def test_a_report_over_the_file_a_source_module_links_to_is_refused(
    tmp_path: Path, link: str
) -> None:
    # The source module is a link to a file that is no Python file by its name: a report written
    # there would replace the module's code all the same.
    root, _ = _repo(tmp_path)
    (root / "data").mkdir()
    (root / "data" / "helpers.txt").write_text("def f() -> int:\n    return 1\n")
    module = root / "src" / "app" / "helpers.py"
    if link == "symbolic":
        module.symlink_to("../../data/helpers.txt")
    else:
        os.link(root / "data" / "helpers.txt", module)
    before = tree_digest(root, skip=())
    run = _cli(root, "run", ".", "--steps", STATIC, "--format", "json=data/helpers.txt")
    assert run.returncode == 2, run.stderr
    assert "reads" in run.stderr
    assert tree_digest(root, skip=()) == before


@pytest.mark.parametrize(
    ("name", "target", "args", "content"),
    [
        pytest.param(
            "report.json",
            "{outside}/victim.json",
            ("run", ".", "--steps", STATIC, "--format", "json=report.json"),
            '"findings"',
            id="a report",
        ),
        pytest.param(
            "bl.json",
            "../outside/victim.json",
            ("baseline", ".", "--file", "bl.json"),
            '"entries"',
            id="a baseline file",
        ),
    ],
)
def test_a_file_written_over_a_committed_link_replaces_the_link_not_its_target(
    tmp_path: Path, name: str, target: str, args: tuple[str, ...], content: str
) -> None:
    root, outside = _repo(tmp_path)
    (root / name).symlink_to(target.format(outside=outside))
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, *args)
    assert run.returncode == 0, run.stderr
    assert tree_digest(outside) == outside_before
    written = root / name
    assert not written.is_symlink() and content in written.read_text()
    after = tree_digest(root)
    assert {k: v for k, v in after.items() if k != name} == {
        k: v for k, v in before.items() if k != name
    }


def test_reports_are_replaced_keeping_their_mode_and_new_ones_follow_the_umask(
    tmp_path: Path,
) -> None:
    root, _ = _repo(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    kept = reports / "kept.json"
    kept.write_text("old")
    kept.chmod(0o604)
    run = _cli(
        root,
        "run",
        ".",
        "--steps",
        STATIC,
        "--format",
        f"json={kept}",
        "--format",
        f"sarif={reports / 'new.sarif'}",
    )
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(kept.stat().st_mode) == 0o604 and kept.read_text() != "old"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((reports / "new.sarif").stat().st_mode) == 0o666 & ~umask
    # Nothing but the two reports: no temporary file left beside them.
    assert sorted(p.name for p in reports.iterdir()) == ["kept.json", "new.sarif"]


def test_an_honest_run_writes_only_its_cache_and_its_report(tmp_path: Path) -> None:
    root, outside = _repo(tmp_path)
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, "run", ".", "--steps", STATIC, "--format", "json=r.json")
    assert run.returncode == 0, run.stderr
    after = tree_digest(root)
    assert set(after) - set(before) == {"r.json"}
    assert {k: after[k] for k in before} == before
    assert (root / CACHE_FOLDER / "ARCHVERIFY.TAG").is_file()
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize(
    "command",
    [
        ["graph", ".", "--output", "src/app/core/calc.py"],
        ["baseline", ".", "--file", "src/app/core/calc.py"],
        ["baseline", ".", "--file", "pyproject.toml"],
    ],
)
def test_other_commands_refuse_to_write_over_the_project(
    tmp_path: Path, command: list[str]
) -> None:
    root, outside = _repo(tmp_path)
    before = tree_digest(root)
    run = _cli(root, *command)
    assert run.returncode == 2, run.stderr
    assert command[-1] in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert tree_digest(root) == before


# -- red-team round: links, project files and metadata as destinations ------------------------


@pytest.mark.parametrize(
    ("args", "named"),
    [
        # ruff reads a .ruff.toml in any folder, not only at the root.
        (["--format", "json=src/app/core/sub/.ruff.toml"], "src/app/core/sub/.ruff.toml"),
        (["--format", "json=src/app/core/pyproject.toml"], "src/app/core/pyproject.toml"),
        (["--format", "json=.git/config"], ".git/config"),
        (["--format", "sarif=.git/hooks/pre-commit"], ".git/hooks/pre-commit"),
        (["--format", "json=.hg/hgrc"], ".hg/hgrc"),
        # A link named like a tool's configuration: replacing it would plant that config.
        (["--format", "json=mypy.ini"], "mypy.ini"),
        (["--format", "json=contracts.snapshot.json"], "contracts.snapshot.json"),
    ],
)
def test_a_report_over_tool_config_or_vcs_metadata_is_refused(
    tmp_path: Path, args: list[str], named: str
) -> None:
    root, outside = _repo(tmp_path)
    write_tree(root, {".git/config": "[core]\n", ".git/hooks/.keep": "", ".hg/hgrc": ""})
    (root / "src/app/core/sub").mkdir()
    (root / "mypy.ini").symlink_to(outside / "victim.json")
    before, outside_before = tree_digest(root, skip=()), tree_digest(outside)
    run = _cli(root, "run", ".", "--steps", STATIC, *args)
    assert run.returncode == 2, run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert named in run.stderr
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize(
    ("command", "extra", "snapshot", "link", "key"),
    [
        (["baseline", "."], 'baseline = "src/app/core/calc.py"\n', "", "", "baseline"),
        (["baseline", "."], 'baseline = "data.json"\n', "", "data.json", "baseline"),
        (["baseline", "."], "", "", "archverify-baseline.json", "baseline"),
        (["baseline", "."], 'baseline = "contracts.snapshot.json"\n', "", "", "baseline"),
        (["snapshot", "."], "", 'file = "pyproject.toml"\n', "", "snapshots.file"),
        (["snapshot", "."], "", 'file = "src/app/core/__init__.py"\n', "", "snapshots.file"),
        (["snapshot", "."], "", "", "contracts.snapshot.json", "snapshots.file"),
        # --file may name anything but a file the run reads (the snapshot here).
        (["baseline", ".", "--file", "contracts.snapshot.json"], "", "", "", ""),
    ],
)
def test_a_baseline_or_snapshot_over_a_file_the_run_reads_is_refused(
    tmp_path: Path, command: list[str], extra: str, snapshot: str, link: str, key: str
) -> None:
    root, outside = _repo(tmp_path, extra=extra, snapshot=snapshot)
    (root / "contracts.snapshot.json").write_text("{}\n")
    if link:
        (root / link).unlink(missing_ok=True)
        (root / link).symlink_to("src/app/core/calc.py")  # committed link into the sources
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, *command)
    assert run.returncode == 2, run.stderr
    assert f"tool.archverify.{key}:" in run.stderr if key else command[-1] in run.stderr
    assert "reads" in run.stderr
    assert tree_digest(root) == before
    assert tree_digest(outside) == outside_before


# -- archverify init ---------------------------------------------------------------------------

INIT_SOURCES = {"pyproject.toml": '[project]\nname = "app"\nversion = "0.1"\n', **SOURCES}


def _init_repo(tmp_path: Path) -> tuple[Path, Path]:
    root = write_tree(tmp_path / "repo", INIT_SOURCES)
    outside = write_tree(
        tmp_path / "outside",
        {
            "victim.toml": '[project]\nname = "victim"\n',
            "victim-pc.yaml": "repos:\n",
            "wf/keep.yml": "name: keep\n",
        },
    )
    return root, outside


@pytest.mark.parametrize(
    ("links", "args", "named"),
    [
        ({"pyproject.toml": "../outside/victim.toml"}, [], "pyproject.toml"),
        (
            {".github/workflows": "../../outside/wf"},
            ["--ci", "github"],
            ".github/workflows/archverify.yml",
        ),
        (
            {".pre-commit-config.yaml": "../outside/victim-pc.yaml"},
            ["--pre-commit"],
            ".pre-commit-config.yaml",
        ),
        # A link inside the root is refused too: init edits a file only where it is.
        ({"pyproject.toml": "config/pyproject.toml"}, [], "pyproject.toml"),
        (  # the red-team repro: all three at once
            {
                "pyproject.toml": "../outside/victim.toml",
                ".github/workflows": "../../outside/wf",
                ".pre-commit-config.yaml": "../outside/victim-pc.yaml",
            },
            ["--ci", "github", "--pre-commit"],
            "pyproject.toml",
        ),
    ],
)
@pytest.mark.parametrize("dry_run", [False, True])
def test_init_never_writes_through_a_link(
    tmp_path: Path, links: dict[str, str], args: list[str], named: str, dry_run: bool
) -> None:
    root, outside = _init_repo(tmp_path)
    write_tree(root, {"config/pyproject.toml": '[project]\nname = "app"\n'})
    for name, target in links.items():
        (root / name).unlink(missing_ok=True)
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target)
    before, outside_before = tree_digest(root), tree_digest(outside)
    run = _cli(root, "init", ".", *args, *(["--dry-run"] if dry_run else []))
    assert run.returncode == 2, run.stdout + run.stderr
    assert named in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


def test_init_replaces_its_files_atomically_keeping_their_mode(tmp_path: Path) -> None:
    root, outside = _init_repo(tmp_path)
    pyproject = root / "pyproject.toml"
    pyproject.chmod(0o640)
    write_tree(root, {".pre-commit-config.yaml": "repos:\n"})
    (root / ".pre-commit-config.yaml").chmod(0o600)
    outside_before = tree_digest(outside)
    run = _cli(root, "init", ".", "--ci", "github", "--pre-commit")
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(pyproject.stat().st_mode) == 0o640
    assert "[tool.archverify]" in pyproject.read_text()
    assert stat.S_IMODE((root / ".pre-commit-config.yaml").stat().st_mode) == 0o600
    umask = os.umask(0)
    os.umask(umask)
    workflow = root / ".github/workflows/archverify.yml"
    assert stat.S_IMODE(workflow.stat().st_mode) == 0o666 & ~umask
    # No temporary file left beside what was written.
    assert sorted(p.name for p in root.iterdir() if p.name.startswith(".")) == [
        ".github",
        ".pre-commit-config.yaml",
    ]
    assert tree_digest(outside) == outside_before


def test_init_force_replaces_a_linked_workflow_never_writing_through_it(tmp_path: Path) -> None:
    root, outside = _init_repo(tmp_path)
    (root / ".github/workflows").mkdir(parents=True)
    workflow = root / ".github/workflows/archverify.yml"
    workflow.symlink_to(outside / "wf/keep.yml")
    outside_before = tree_digest(outside)
    assert _cli(root, "init", ".", "--ci", "github").returncode == 1  # exists: needs --force
    assert workflow.is_symlink()
    run = _cli(root, "init", ".", "--ci", "github", "--force")
    assert run.returncode == 0, run.stderr
    assert not workflow.is_symlink() and "archverify run" in workflow.read_text()
    assert tree_digest(outside) == outside_before

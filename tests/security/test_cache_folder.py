"""The cache folder cannot carry a run's writes or deletions out of it, nor into a user's folder
(issue 9, item 2).

A repository can commit `.archverify_cache` as a link, or holding links; `--cache-dir` can be
pointed at the root, a source folder or any folder of the user's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CliRun, assert_no_leftover_processes, run_cli
from tests.helpers.tree import CACHE_FOLDER, tree_digest, write_tree

FILES = {
    "pyproject.toml": (
        "[tool.archverify]\n"
        'source_roots = ["src"]\n'
        'packages = ["app"]\n'
        "[tool.archverify.purity]\n"
        'packages = ["app.core"]\n'
        "[tool.archverify.tests]\n"
        'paths = ["tests"]\n'
    ),
    "src/app/__init__.py": "",
    "src/app/core/__init__.py": "",
    "src/app/core/calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
    "tests/test_calc.py": (
        "from app.core.calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    ),
}
STATIC = "compile,purity,cycles"
ENV = {"PYTHONDONTWRITEBYTECODE": ""}
# What a planted link points at: a folder of the user's outside the tree, with files the run
# would otherwise overwrite (facts.json, .coverage*) or delete.
OUTSIDE = {
    "facts.json": "precious\n",
    "facts.pack": "precious\n",
    ".gitignore": "precious\n",
    "CACHEDIR.TAG": "precious\n",
    ".coverage": "precious\n",
    ".coverage.host.1.2": "precious\n",
    "notes.txt": "precious\n",
}


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    root = write_tree(tmp_path / "repo", FILES)
    outside = write_tree(tmp_path / "outside", OUTSIDE)
    return root, outside


@dataclass
class Outcome:
    """A finished run: its JSON report, and the notices of its text report."""

    run: CliRun
    report: dict[str, Any]
    notices: list[str]

    def statuses(self) -> list[str]:
        return [step["status"] for step in self.report["steps"]]


def _cli(root: Path, *args: str) -> Outcome:
    """Text on stdout (it shows the notices), the JSON report beside the repository."""
    destination = root.parent / "report.json"
    run = run_cli([*args, "--format", "text", "--format", f"json={destination}"], cwd=root, env=ENV)
    assert "Traceback" not in run.stderr
    assert_no_leftover_processes(run)
    assert run.returncode in (0, 1), run.stderr
    report = json.loads(destination.read_text())
    destination.unlink()
    notices = [line for line in run.stdout.splitlines() if line.startswith("note:")]
    return Outcome(run, report, notices)


def test_a_cache_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    root, outside = _repo(tmp_path)
    (root / CACHE_FOLDER).symlink_to(outside)
    before, outside_before = tree_digest(root, skip=()), tree_digest(outside)
    outcome = _cli(root, "run", ".", "--steps", STATIC)
    assert outcome.run.returncode == 0 and set(outcome.statuses()) == {"passed"}
    assert any("symbolic link" in notice for notice in outcome.notices)
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize(
    ("planted", "target"),
    [
        (".gitignore", ".gitignore"),
        ("CACHEDIR.TAG", "CACHEDIR.TAG"),
        ("kv", "."),
        ("facts.json", "facts.json"),
        ("facts.pack", "facts.pack"),
        ("coverage", "."),
        ("mypy", "."),
        ("kv/steps", "."),
    ],
)
def test_a_cache_folder_holding_a_link_is_not_used(
    tmp_path: Path, planted: str, target: str
) -> None:
    root, outside = _repo(tmp_path)
    cache = root / CACHE_FOLDER
    cache.mkdir()
    (cache / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    link = cache / planted
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(outside / target)
    before, outside_before = tree_digest(root, skip=()), tree_digest(outside)
    outcome = _cli(root, "run", ".", "--steps", STATIC)
    assert outcome.run.returncode == 0 and set(outcome.statuses()) == {"passed"}
    assert any("symbolic link" in n and planted in n for n in outcome.notices), outcome.notices
    assert tree_digest(root, skip=()) == before
    assert tree_digest(outside) == outside_before


def test_a_coverage_folder_linked_outside_loses_nothing_in_a_tests_run(tmp_path: Path) -> None:
    # The tests step clears old coverage data; through a link it would delete the user's files.
    root, outside = _repo(tmp_path)
    cache = root / CACHE_FOLDER
    cache.mkdir()
    (cache / "coverage").symlink_to(outside)
    outside_before = tree_digest(outside)
    outcome = _cli(root, "run", ".", "--steps", "compile,tests")
    assert outcome.run.returncode == 0 and outcome.statuses() == ["passed", "passed"]
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize("given", [".", "src", "tests"])
def test_cache_dir_at_the_root_or_a_user_folder_is_refused(tmp_path: Path, given: str) -> None:
    root, outside = _repo(tmp_path)
    before = tree_digest(root, skip=())
    run = run_cli(["run", ".", "--steps", STATIC, "--cache-dir", given], cwd=root, env=ENV)
    assert run.returncode == 2, run.stderr
    assert "--cache-dir" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert_no_leftover_processes(run)
    # No `*` .gitignore hides the user's files from git; nothing else written either.
    assert tree_digest(root, skip=()) == before


def test_cache_dir_at_a_folder_of_the_user_is_refused(tmp_path: Path) -> None:
    root, outside = _repo(tmp_path)
    outside_before = tree_digest(outside)
    run = run_cli(["run", ".", "--steps", STATIC, "--cache-dir", str(outside)], cwd=root, env=ENV)
    assert run.returncode == 2, run.stderr
    assert "archverify did not create" in run.stderr
    assert tree_digest(outside) == outside_before


@pytest.mark.parametrize("given", [".cache/av", ".cache", "LINKED_ROOT/.cache/av"])
def test_cache_dir_in_the_tree_through_a_committed_link_out_of_it_is_refused(
    tmp_path: Path, given: str
) -> None:
    # A committed `.cache -> ../outside`: `--cache-dir .cache/av` once put the cache there.
    root, outside = _repo(tmp_path)
    (root / ".cache").symlink_to("../outside", target_is_directory=True)
    # The same path spelled through a link to the project is still in the project.
    (tmp_path / "linked_root").symlink_to(root, target_is_directory=True)
    given = given.replace("LINKED_ROOT", str(tmp_path / "linked_root"))
    before, outside_before = tree_digest(root, skip=()), tree_digest(outside)

    run = run_cli(["run", ".", "--steps", STATIC, "--cache-dir", given], cwd=root, env=ENV)

    assert run.returncode == 2, run.stderr
    assert run.stderr.strip() == (
        f"archverify: error: --cache-dir {given}: a symbolic link leads it out of the project; "
        "give a folder outside the project explicitly, or one whose path has no link out of it"
    )
    assert_no_leftover_processes(run)
    assert not (outside / "av").exists()
    assert tree_digest(root, skip=()) == before and tree_digest(outside) == outside_before


def test_cache_dir_outside_the_tree_stays_the_users_choice(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    (tmp_path / "scratch").mkdir()
    (tmp_path / "scratch_link").symlink_to("scratch", target_is_directory=True)
    outcome = _cli(root, "run", ".", "--steps", STATIC, "--cache-dir", "../scratch_link/av")
    assert outcome.run.returncode == 0 and not outcome.notices
    assert (tmp_path / "scratch/av/ARCHVERIFY.TAG").is_file()


def test_cache_dir_at_an_empty_or_absent_folder_is_used_and_tagged(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    for folder in (tmp_path / "empty", tmp_path / "absent" / "cache"):
        if folder.name == "empty":
            folder.mkdir()
        outcome = _cli(root, "run", ".", "--steps", STATIC, "--cache-dir", str(folder))
        assert outcome.run.returncode == 0 and not outcome.notices
        assert (folder / "ARCHVERIFY.TAG").is_file() and (folder / "facts.pack").is_file()
        # Used again next time: it is archverify's now.
        again = _cli(root, "run", ".", "--steps", STATIC, "--cache-dir", str(folder))
        assert again.run.returncode == 0 and not again.notices
    assert not (root / CACHE_FOLDER).exists()


def test_a_committed_cache_folder_of_other_files_is_left_alone(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    write_tree(root / CACHE_FOLDER, {"notes.txt": "mine\n", "facts.json": "mine\n"})
    before = tree_digest(root, skip=())
    outcome = _cli(root, "run", ".", "--steps", STATIC)
    assert outcome.run.returncode == 0
    assert any("did not create" in notice for notice in outcome.notices)
    assert tree_digest(root, skip=()) == before

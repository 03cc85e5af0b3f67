"""Shards balanced from recorded durations (``merge --durations-out``, ``run --durations``),
through the real CLI on a small project with test modules."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CliRun, run_cli
from tests.helpers.tree import write_tree
from tests.integration.test_shard_merge import _git, normalized

STEPS = "compile,ruff,tests"
CONFIG = (
    '[tool.archverify]\npackages = ["app"]\n\n'
    '[tool.archverify.tests]\npaths = ["tests"]\ncoverage_min = 0\n'
)
# The slow module is the smallest file: by size it is never alone.
SLOW = "tests/test_slow.py"
FILES = {
    "pyproject.toml": CONFIG,
    "app/__init__.py": "",
    "app/calc.py": "def add(a: int, b: int) -> int:\n    return a + b\n",
    SLOW: "def test_slow() -> None:\n    assert True\n",
    **{
        f"tests/test_m{i}.py": (
            "from app.calc import add\n\n\n"
            + "".join(
                f"def test_{i}_{j}() -> None:\n    assert add({i}, {j}) == {i + j}\n\n\n"
                for j in range(8)
            )
        )
        for i in range(1, 6)
    },
}
TEST_MODULES = sorted(p for p in FILES if p.startswith("tests/"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_tree(tmp_path / "project", FILES)
    _git(root, "init", "-q", ".")
    _git(root, "add", "-A")
    _git(root, "-c", "commit.gpgsign=false", "commit", "-qm", "init")
    return root


def _shards(root: Path, out: Path, count: int, *extra: str) -> list[Path]:
    """The ``count`` shards' partials in ``out`` (made), one shard after another."""
    out.mkdir(exist_ok=True)
    partials = []
    for index in range(1, count + 1):
        partial = out / f"partial-{index}.json"
        args = ["run", ".", "--no-cache", "--steps", STEPS, "--shard", f"{index}/{count}"]
        run = run_cli([*args, "--partial", str(partial), *extra, "--format", "json"], cwd=root)
        assert run.returncode in (0, 1), run.stderr
        partials.append(partial)
    return partials


def _read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data


def _durations_file(path: Path, steps: dict[str, float], tests: dict[str, float]) -> Path:
    record = {
        "kind": "archverify-durations",
        "durations_version": 1,
        "steps": steps,
        "units": {"tests": tests},
    }
    path.write_text(json.dumps(record), "utf-8")
    return path


def test_the_merge_writes_the_measured_durations_and_the_shards_read_them_back(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    partials = _shards(project, out, 2)
    for partial in partials:
        durations = _read(partial)["durations"]
        assert set(durations) == {"steps", "units"}
        assert durations["steps"]["tests"] > 0
        assert set(durations["units"]["tests"]) == set(_read(partial)["units"]["tests"])
    record = tmp_path / "durations.json"
    merged = run_cli(["merge", *map(str, partials), "--durations-out", str(record)], cwd=project)
    assert merged.returncode == 0, merged.stderr
    data = _read(record)
    assert data["kind"] == "archverify-durations" and data["durations_version"] == 1
    # Root-free: every test module by its path from the root, every one measured once.
    assert sorted(data["units"]["tests"]) == TEST_MODULES
    assert all(0 <= s < 60 for s in data["units"]["tests"].values())
    assert {"compile", "ruff", "tests"} <= set(data["steps"])
    assert str(project) not in record.read_text("utf-8")
    # Read back by the shards: their partials name the file, and they merge.
    again = out / "again"
    balanced = _shards(project, again, 2, "--durations", str(record))
    digests = {_read(p)["durations_file"] for p in balanced}
    assert len(digests) == 1 and None not in digests
    remerged = run_cli(["merge", *map(str, balanced), "--format", "json"], cwd=project)
    assert remerged.returncode == 0, remerged.stderr


def test_a_rewritten_durations_file_keeps_its_mode_and_the_units_not_measured_again(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    partials = _shards(project, out, 2)
    record = _durations_file(
        tmp_path / "durations.json",
        {"mypy": 12.5},
        # One module still in the tree and not measured by these shards... and one gone.
        {"tests/test_m1.py": 99.0, "tests/test_gone.py": 7.0},
    )
    os.chmod(record, 0o640)
    # Not measured this time: test_m1's shard ran it, so drop it from the partial.
    for partial in partials:
        data = _read(partial)
        data["durations"]["units"]["tests"].pop("tests/test_m1.py", None)
        partial.write_text(json.dumps(data), "utf-8")
    merged = run_cli(["merge", *map(str, partials), "--durations-out", str(record)], cwd=project)
    assert merged.returncode == 0, merged.stderr
    data = _read(record)
    assert data["units"]["tests"]["tests/test_m1.py"] == 99.0
    assert "tests/test_gone.py" not in data["units"]["tests"]
    assert data["steps"]["mypy"] == 12.5
    assert sorted(data["units"]["tests"]) == TEST_MODULES
    assert stat.S_IMODE(record.stat().st_mode) == 0o640


def test_a_recorded_slow_test_module_gets_a_shard_of_its_own(project: Path, tmp_path: Path) -> None:
    whole = run_cli(["run", ".", "--no-cache", "--steps", STEPS, "--format", "json"], cwd=project)
    record = _durations_file(
        tmp_path / "durations.json",
        {"compile": 0.1, "ruff": 0.1, "tests": 101.0},
        {SLOW: 100.0, **{m: 0.2 for m in TEST_MODULES if m != SLOW}},
    )
    out = tmp_path / "out"
    by_size = _shards(project, out, 2)
    assert all([SLOW] != _read(p)["units"]["tests"] for p in by_size)
    balanced_out = tmp_path / "balanced"
    balanced = _shards(project, balanced_out, 2, "--durations", str(record))
    units = [_read(p)["units"]["tests"] for p in balanced]
    assert [SLOW] in units
    # Every test module in exactly one shard, and the merge is the whole run.
    assert sorted(u for share in units for u in share) == TEST_MODULES
    merged = run_cli(["merge", *map(str, balanced), "--format", "json"], cwd=project)
    assert merged.returncode == whole.returncode == 0, merged.stderr
    assert normalized(merged.json()) == normalized(whole.json())


def _shard_with(root: Path, durations: Path, target: Path) -> CliRun:
    args = ["run", ".", "--no-cache", "--steps", "compile", "--shard", "1/2"]
    return run_cli([*args, "--partial", str(target), "--durations", str(durations)], cwd=root)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read the durations file"),
        ("{oops", "not JSON"),
        ('{"kind": "archverify-partial"}', "not an archverify durations file"),
        ('{"kind": "archverify-durations", "durations_version": 7}', "durations_version 7"),
        (
            '{"kind": "archverify-durations", "durations_version": 1, "steps": {"ruff": -1}}',
            "malformed durations file",
        ),
        (
            '{"kind": "archverify-durations", "durations_version": 1, "units": {"tests": []}}',
            "malformed durations file",
        ),
    ],
)
def test_a_missing_or_malformed_durations_file_is_a_clear_error_naming_it(
    project: Path, tmp_path: Path, content: str | None, said: str
) -> None:
    bad = tmp_path / "bad-durations.json"
    if content is not None:
        bad.write_text(content, "utf-8")
    run = _shard_with(project, bad, tmp_path / "p.json")
    assert run.returncode == 2
    assert str(bad) in run.stderr and said in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "p.json").exists()


def test_a_malformed_file_where_the_merge_writes_durations_is_refused(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    partials = _shards(project, out, 1)
    bad = tmp_path / "notes.txt"
    bad.write_text("my notes\n", "utf-8")
    run = run_cli(["merge", *map(str, partials), "--durations-out", str(bad)], cwd=project)
    assert run.returncode == 2
    assert str(bad) in run.stderr and "not a durations file" in run.stderr
    assert bad.read_text("utf-8") == "my notes\n"
    # A destination that cannot be written (its folder is a file): exit 2 naming it.
    beyond = bad / "durations.json"
    run = run_cli(["merge", *map(str, partials), "--durations-out", str(beyond)], cwd=project)
    assert run.returncode == 2
    assert str(beyond) in run.stderr and "cannot write the durations file" in run.stderr
    assert "Traceback" not in run.stderr


def test_durations_without_shard_is_a_usage_error(project: Path, tmp_path: Path) -> None:
    record = _durations_file(tmp_path / "d.json", {}, {})
    run = run_cli(["run", ".", "--steps", "compile", "--durations", str(record)], cwd=project)
    assert run.returncode == 2
    assert "give --shard I/N too" in run.stderr


def test_the_merge_refuses_shards_split_with_different_durations_files(
    project: Path, tmp_path: Path
) -> None:
    one = _durations_file(tmp_path / "one.json", {"tests": 1.0}, {SLOW: 1.0})
    other = _durations_file(tmp_path / "other.json", {"tests": 2.0}, {SLOW: 2.0})
    first, second = tmp_path / "p1.json", tmp_path / "p2.json"
    for index, durations, target in ((1, one, first), (2, other, second)):
        args = ["run", ".", "--no-cache", "--steps", STEPS, "--shard", f"{index}/2"]
        run = run_cli([*args, "--partial", str(target), "--durations", str(durations)], cwd=project)
        assert run.returncode in (0, 1), run.stderr
    run = run_cli(["merge", str(first), str(second)], cwd=project)
    assert run.returncode == 2
    assert "the shards split with different durations files" in run.stderr
    # One with the file and one by size: refused the same way.
    by_size = tmp_path / "p3.json"
    args = ["run", ".", "--no-cache", "--steps", STEPS, "--shard", "2/2", "--partial"]
    assert run_cli([*args, str(by_size)], cwd=project).returncode in (0, 1)
    run = run_cli(["merge", str(first), str(by_size)], cwd=project)
    assert run.returncode == 2
    assert "the shards split with different durations files" in run.stderr


IMPORT_FILES = {
    "pyproject.toml": '[tool.archverify]\npackages = ["app"]\n',
    "app/__init__.py": "",
    **{f"app/{p}/__init__.py": "" for p in "abc"},
    **{f"app/{p}/m{i}.py": f"X = {i}\n" for p in "abc" for i in range(1, 4)},
}
IMPORT_MODULES = sorted(
    p.removesuffix("/__init__.py").removesuffix(".py").replace("/", ".")
    for p in IMPORT_FILES
    if p.endswith(".py")
)


def test_a_sharded_run_records_the_imports_by_module_and_the_next_split_uses_them(
    tmp_path: Path,
) -> None:
    root = write_tree(tmp_path / "imports-project", IMPORT_FILES)
    _git(root, "init", "-q", ".")
    _git(root, "add", "-A")
    _git(root, "-c", "commit.gpgsign=false", "commit", "-qm", "init")

    def shards(out: Path, *extra: str) -> list[Path]:
        out.mkdir()
        partials = []
        for index in (1, 2):
            partial = out / f"partial-{index}.json"
            args = ["run", ".", "--no-cache", "--steps", "compile,imports", "--shard"]
            run = run_cli([*args, f"{index}/2", "--partial", str(partial), *extra], cwd=root)
            assert run.returncode == 0, run.stderr
            partials.append(partial)
        return partials

    by_size = shards(tmp_path / "by-size")
    assert all(_read(p)["imports"]["records"] for p in by_size)
    record = tmp_path / "durations.json"
    merged = run_cli(["merge", *map(str, by_size), "--durations-out", str(record)], cwd=root)
    assert merged.returncode == 0, merged.stderr
    # The imports split by module: each module's own seconds, from the shards' records.
    seconds = _read(record)["units"]["imports"]
    assert sorted(seconds) == IMPORT_MODULES
    assert all(0 < s < 60 for s in seconds.values())
    # The next split weighs the units by those seconds: app.b's, recorded slow, is alone.
    record.write_text(
        json.dumps(
            {
                "kind": "archverify-durations",
                "durations_version": 1,
                "steps": {"imports": 101.0},
                "units": {"imports": {**seconds, "app.b.m2": 100.0}},
            }
        ),
        "utf-8",
    )
    balanced = shards(tmp_path / "balanced", "--durations", str(record))
    units = [_read(p)["units"]["imports"] for p in balanced]
    assert ["app.b"] in units
    assert sorted(u for share in units for u in share) == ["app", "app.a", "app.b", "app.c"]
    remerged = run_cli(["merge", *map(str, balanced), "--format", "json"], cwd=root)
    assert remerged.returncode == 0, remerged.stderr
    statuses = {s["id"]: s["status"] for s in remerged.json()["steps"]}
    assert statuses["imports"] == "passed"


def test_a_changed_since_run_keeps_the_older_totals_of_the_steps_it_narrowed(
    project: Path, tmp_path: Path
) -> None:
    # The change is one file: ruff checks it alone, not the step's files.
    changed = project / "app/calc.py"
    changed.write_text(changed.read_text("utf-8") + "# changed\n", "utf-8")
    record = _durations_file(
        tmp_path / "durations.json",
        {"compile": 0.1, "ruff": 50.0, "tests": 500.0},
        {m: 100.0 for m in TEST_MODULES},
    )
    partials = _shards(project, tmp_path / "out", 2, "--changed-since", "HEAD")
    ruff = [s for p in partials for s in _read(p)["steps"] if s["id"] == "ruff"]
    assert sum(s["stats"]["files"] for s in ruff) == 1
    merged = run_cli(["merge", *map(str, partials), "--durations-out", str(record)], cwd=project)
    assert merged.returncode == 0, merged.stderr
    data = _read(record)
    # The seconds of a narrowed run are not the whole step's: the older totals stay.
    assert data["steps"]["ruff"] == 50.0 and data["steps"]["tests"] == 500.0
    # The test modules that ran have their own new seconds.
    assert all(data["units"]["tests"][m] < 100.0 for m in TEST_MODULES)

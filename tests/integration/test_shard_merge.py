"""``archverify run --shard I/N --partial FILE`` and ``archverify merge``, through the real CLI.

The acceptance test: a project with findings of the tests, ruff, bandit, mypy and the imports
(and a contract, a baselined finding and an inline suppression) is verified once whole and once
as 4 shards run as 4 parallel processes, each in its own copy of the tree (as 4 runners would);
the merge of the partials gives the whole run's findings, steps and exit code in every format,
durations aside. Then what the merge refuses, a missing or twice-given shard, N=1 and N larger
than the units.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import finish_cli, run_cli, start_cli
from tests.helpers.tree import write_tree
from tests.integration.test_cli_formats import EXTENSIONS

CONFIG = """\
[project]
name = "app"
version = "0"

[tool.archverify]
packages = ["app"]

[[tool.archverify.contracts]]
name = "layers"
type = "layers"
containers = ["app"]
layers = ["api", "core"]

[tool.archverify.tests]
paths = ["tests"]
coverage_min = 95
"""
SMALL = {
    f"app/api/m{i}.py": (
        f"import sys\n\n\ndef f{i}(x: int) -> int:\n    if x > {i}:\n"
        f"        return x * {i}\n    return x\n"
    )
    for i in range(1, 6)
}
FILES: dict[str, str] = {
    "pyproject.toml": CONFIG,
    "app/__init__.py": "",
    "app/core/__init__.py": "",
    "app/api/__init__.py": "",
    # ruff F401, mypy return-value
    "app/core/calc.py": (
        "import os\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n\n\n"
        "def sub(a: int, b: int) -> int:\n    if a > b:\n        return a - b\n"
        '    return -(b - a)\n\n\ndef wrong() -> int:\n    return "text"\n'
    ),
    # bandit B404, B602
    "app/core/shell.py": (
        "import subprocess\n\n\ndef run(cmd: str) -> int:\n"
        "    return subprocess.call(cmd, shell=True)\n"
    ),
    # contracts/layers: core imports api
    "app/core/upward.py": "from app.api import views\n\n\ndef f() -> object:\n    return views\n",
    "app/api/views.py": (
        "from app.core.calc import add\n\n\ndef total(xs: list[int]) -> int:\n"
        "    result = 0\n    for x in xs:\n        result = add(result, x)\n    return result\n"
    ),
    # imports/error
    "app/api/broken.py": 'raise RuntimeError("cannot import me")\n',
    **SMALL,
    # Suppressed inline: applied once, by the merge.
    "app/api/m5.py": SMALL["app/api/m5.py"].replace(
        "import sys\n", "import sys  # archverify: ignore[ruff/F401] kept for the test\n"
    ),
    "tests/test_calc.py": (
        "from app.core.calc import add, sub\n\n\ndef test_add() -> None:\n"
        "    assert add(1, 2) == 3\n\n\ndef test_sub() -> None:\n    assert sub(1, 2) == -1\n"
    ),
    # tests/failed
    "tests/test_views.py": (
        "from app.api.views import total\n\n\ndef test_total() -> None:\n"
        "    assert total([1, 2]) == 4\n"
    ),
    **{
        f"tests/test_m{i}.py": (
            f"from app.api.m{i} import f{i}\n\n\ndef test_f{i}() -> None:\n"
            f"    assert f{i}(10) == 10 * {i}\n"
        )
        for i in range(1, 4)
    },
}
# A baseline accepting one finding: applied once, by the merge.
BASELINED = "app/api/m4.py"
# What a run's own clock and the shards' processes change: durations, and the count of bandit
# processes (each shard starts its own).
_NUMBER = re.compile(r" *\d+\.\d+")
_COST_STATS = ("seconds", "shards")
_IMPORT_COUNTS = ("modules", "imported", "failed", "skipped_dependents", "not_compiled")


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def make_project(root: Path, files: Mapping[str, str] = FILES) -> Path:
    """``files`` written under ``root`` and committed, in a repository of its own."""
    write_tree(root, files)
    _git(root, "init", "-q", ".")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "init")
    return root


def format_args(out: Path, prefix: str) -> list[str]:
    args: list[str] = []
    for name, suffix in EXTENSIONS.items():
        args += ["--format", f"{name}={out / f'{prefix}.{suffix}'}"]
    return args


def normalized(data: dict[str, Any]) -> dict[str, Any]:
    """A JSON report without what a clock or a process count decides."""
    data = json.loads(json.dumps(data))
    data["summary"].pop("duration_s", None)
    for step in data["steps"]:
        step.pop("duration_s", None)
        for key in _COST_STATS:
            step["stats"].pop(key, None)
        if step["id"] == "imports":
            # How the imports ran (forks, preloads, rechecks) varies with the machine's load
            # between two whole runs too; what they found is compared.
            step["stats"] = {k: v for k, v in step["stats"].items() if k in _IMPORT_COUNTS}
    return data


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole run, the 4 shards' partials (run at once, each in its own copy) and their
    merge, each with every format written."""
    base = tmp_path_factory.mktemp("shards")
    root = make_project(base / "project")
    out = base / "out"
    out.mkdir()
    # The baseline accepts one finding of m4 (``archverify baseline``'s entries of it alone).
    made = run_cli(["baseline", "."], cwd=root)
    assert made.returncode == 0, made.stderr
    baseline = root / "archverify-baseline.json"
    entries = json.loads(baseline.read_text("utf-8"))
    entries["entries"] = [e for e in entries["entries"] if e.get("path") == BASELINED]
    assert entries["entries"], entries
    baseline.write_text(json.dumps(entries), "utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "baseline")
    whole = run_cli(["run", ".", "--no-cache", *format_args(out, "whole")], cwd=root)
    started = []
    for index in range(1, 5):
        copy = base / f"runner{index}"
        shutil.copytree(root, copy)
        partial = out / f"partial-{index}.json"
        args = ["run", ".", "--no-cache", "--shard", f"{index}/4", "--partial", str(partial)]
        started.append(start_cli([*args, "--format", "json"], cwd=copy))
    shards = [finish_cli(child, marker) for child, marker in started]
    partials = [str(out / f"partial-{i}.json") for i in range(1, 5)]
    merged = run_cli(["merge", *partials, *format_args(out, "merged")], cwd=root)
    return {
        "root": root,
        "out": out,
        "whole": whole,
        "shards": shards,
        "merged": merged,
        "partials": partials,
    }


def test_the_whole_run_has_a_finding_of_every_expensive_step(sharded: dict[str, Any]) -> None:
    data = json.loads((sharded["out"] / "whole.json").read_text("utf-8"))
    rules = {f["rule"].split("/")[0] for f in data["findings"]}
    assert {"tests", "ruff", "bandit", "mypy", "imports", "contracts", "coverage"} <= rules
    assert data["summary"]["suppressed"] == 1
    assert data["summary"]["baselined"] == 1
    assert sharded["whole"].returncode == 1


def test_four_parallel_shards_merge_into_the_whole_run_in_every_format(
    sharded: dict[str, Any],
) -> None:
    out: Path = sharded["out"]
    for shard in sharded["shards"]:
        assert shard.returncode in (0, 1), shard.stderr
    merged = sharded["merged"]
    assert merged.returncode == sharded["whole"].returncode == 1, merged.stderr
    whole_json = json.loads((out / "whole.json").read_text("utf-8"))
    merged_json = json.loads((out / "merged.json").read_text("utf-8"))
    assert normalized(merged_json) == normalized(whole_json)
    for name, suffix in EXTENSIONS.items():
        if name == "json":
            continue
        whole = (out / f"whole.{suffix}").read_text("utf-8")
        mine = (out / f"merged.{suffix}").read_text("utf-8")
        assert _NUMBER.sub(" N", mine) == _NUMBER.sub(" N", whole), name


def test_the_tests_coverage_is_the_combined_one(sharded: dict[str, Any]) -> None:
    out: Path = sharded["out"]
    whole = json.loads((out / "whole.json").read_text("utf-8"))
    merged = json.loads((out / "merged.json").read_text("utf-8"))
    [tests] = [s for s in whole["steps"] if s["id"] == "tests"]
    [again] = [s for s in merged["steps"] if s["id"] == "tests"]
    assert 0 < tests["stats"]["coverage"] < 95
    assert again["stats"]["coverage"] == tests["stats"]["coverage"]
    # More than one shard ran test modules: the total is not one shard's.
    partials = [json.loads(Path(p).read_text("utf-8")) for p in sharded["partials"]]
    assert sum(1 for p in partials if p["units"]["tests"]) >= 2


def test_every_unit_is_done_by_exactly_one_shard(sharded: dict[str, Any]) -> None:
    partials = [json.loads(Path(p).read_text("utf-8")) for p in sharded["partials"]]
    for step in ("ruff", "bandit", "tests"):
        units = [u for p in partials for u in p["units"][step]]
        assert len(units) == len(set(units)), step
    python = sorted(p for p in FILES if p.startswith("app/"))
    assert sorted(u for p in partials for u in p["units"]["ruff"]) == python
    tests = sorted(p for p in FILES if p.startswith("tests/"))
    assert sorted(u for p in partials for u in p["units"]["tests"]) == tests
    for step in ("mypy", "compile", "contracts"):
        roles = [s["role"] for p in partials for s in p["steps"] if s["id"] == step]
        assert sorted(roles) == ["elsewhere"] * 3 + ["whole"], step
    # The imports are split by module: every module is imported by exactly one shard, and
    # more than one shard imports some.
    roles = [s["role"] for p in partials for s in p["steps"] if s["id"] == "imports"]
    assert roles == ["part"] * 4
    imported = [m for p in partials if p["imports"] for m in p["imports"]["modules"]]
    assert len(imported) == len(set(imported))
    modules = sorted(
        p.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        for p in FILES
        if p.startswith("app/")
    )
    assert sorted(imported) == modules
    assert sum(1 for p in partials if p["imports"] and p["imports"]["modules"]) >= 2
    for partial in partials:
        for record in (partial["imports"] or {}).get("records", {}).values():
            assert "seconds" in record or record["outcome"] == "skipped", record
    # The global steps are shard 1's; each partial says what it is.
    first = next(p for p in partials if p["shard"]["index"] == 1)
    assert [s["role"] for s in first["steps"] if s["id"] == "contracts"] == ["whole"]
    assert {p["kind"] for p in partials} == {"archverify-partial"}
    assert {p["partial_version"] for p in partials} == {1}
    assert len({p["commit"] for p in partials}) == 1


def test_a_shard_reports_its_own_findings_only(sharded: dict[str, Any]) -> None:
    whole = json.loads((sharded["out"] / "whole.json").read_text("utf-8"))
    counted = 0
    for shard in sharded["shards"]:
        data = shard.json()
        counted += len([f for f in data["findings"] if f["step"] in ("ruff", "bandit", "mypy")])
        assert shard.returncode == (1 if data["summary"]["errors"] else 0)
    assert counted == len([f for f in whole["findings"] if f["step"] in ("ruff", "bandit", "mypy")])


# The refusals and the corner cases use quick steps only.
QUICK = "compile,contracts,ruff,bandit"


def _partial(root: Path, out: Path, shard: str, *extra: str) -> Path:
    target = out / f"p-{shard.replace('/', '-')}-{len(list(out.iterdir()))}.json"
    args = ["run", ".", "--no-cache", "--steps", QUICK, "--shard", shard, "--partial", str(target)]
    run = run_cli([*args, *extra, "--format", "json"], cwd=root)
    assert run.returncode in (0, 1), run.stderr
    return target


@pytest.fixture
def quick(tmp_path: Path) -> tuple[Path, Path]:
    root = make_project(tmp_path / "project")
    out = tmp_path / "out"
    out.mkdir()
    return root, out


def test_merge_refuses_partials_of_different_shard_counts(quick: tuple[Path, Path]) -> None:
    root, out = quick
    first, other = _partial(root, out, "1/2"), _partial(root, out, "2/3")
    run = run_cli(["merge", str(first), str(other)], cwd=root)
    assert run.returncode == 2
    assert "different shard counts" in run.stderr
    assert "Traceback" not in run.stderr


def test_merge_refuses_partials_of_different_configurations(quick: tuple[Path, Path]) -> None:
    root, out = quick
    first = _partial(root, out, "1/2")
    other = _partial(root, out, "2/2", "--steps", "compile,ruff")
    run = run_cli(["merge", str(first), str(other)], cwd=root)
    assert run.returncode == 2
    assert "different configurations" in run.stderr


def test_merge_refuses_partials_of_different_commits(quick: tuple[Path, Path]) -> None:
    root, out = quick
    first = _partial(root, out, "1/2")
    (root / "app/api/m1.py").write_text("X = 1\n", "utf-8")
    _git(root, "commit", "-qam", "edit")
    other = _partial(root, out, "2/2")
    run = run_cli(["merge", str(first), str(other)], cwd=root)
    assert run.returncode == 2
    assert "different commits" in run.stderr
    # And a checkout that is not the shards' tree: the merge reads its suppressions.
    both = [_partial(root, out, "1/2"), _partial(root, out, "2/2")]
    (root / "app/api/m2.py").write_text("Y = 2\n", "utf-8")
    run = run_cli(["merge", *map(str, both)], cwd=root)
    assert run.returncode == 2
    assert "not the tree the shards verified" in run.stderr


def test_merge_refuses_a_checkout_configured_otherwise(quick: tuple[Path, Path]) -> None:
    root, out = quick
    both = [_partial(root, out, "1/2"), _partial(root, out, "2/2")]
    config = root / "pyproject.toml"
    config.write_text(config.read_text("utf-8").replace("coverage_min = 95", "coverage_min = 1"))
    run = run_cli(["merge", *map(str, both)], cwd=root)
    assert run.returncode == 2
    assert "not the one the shards ran with" in run.stderr


def test_a_missing_shard_is_an_error_finding(quick: tuple[Path, Path]) -> None:
    root, out = quick
    first = _partial(root, out, "1/3")
    third = _partial(root, out, "3/3")
    run = run_cli(["merge", str(first), str(third), "--format", "json"], cwd=root)
    assert run.returncode == 1
    found = [f for f in run.json()["findings"] if f["rule"].startswith("shards/")]
    assert [(f["rule"], f["extra"]) for f in found] == [("shards/missing", {"shard": 2})]


def test_a_shard_given_twice_is_an_error_finding(quick: tuple[Path, Path]) -> None:
    root, out = quick
    first = _partial(root, out, "1/2")
    second = _partial(root, out, "2/2")
    again = out / "again.json"
    shutil.copy(second, again)
    run = run_cli(["merge", str(first), str(second), str(again), "--format", "json"], cwd=root)
    assert run.returncode == 1
    assert [f["rule"] for f in run.json()["findings"] if f["rule"].startswith("shards/")] == [
        "shards/duplicate"
    ]
    ok = run_cli(["merge", str(first), str(second), "--format", "json"], cwd=root)
    assert not [f for f in ok.json()["findings"] if f["rule"].startswith("shards/")]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not JSON"),
        ('{"kind": "something-else"}', "not an archverify partial report"),
        ('{"kind": "archverify-partial", "partial_version": 99}', "partial_version 99"),
        ('{"kind": "archverify-partial", "partial_version": 1}', "malformed partial report"),
    ],
)
def test_a_malformed_partial_is_a_clear_error_naming_the_file(
    quick: tuple[Path, Path], content: str, said: str
) -> None:
    root, out = quick
    bad = out / "bad-partial.json"
    bad.write_text(content, "utf-8")
    run = run_cli(["merge", str(bad)], cwd=root)
    assert run.returncode == 2
    assert str(bad) in run.stderr and said in run.stderr
    assert "Traceback" not in run.stderr


def test_one_shard_is_the_whole_run(quick: tuple[Path, Path]) -> None:
    root, out = quick
    whole = run_cli(["run", ".", "--no-cache", "--steps", QUICK, "--format", "json"], cwd=root)
    partial = _partial(root, out, "1/1")
    merged = run_cli(["merge", str(partial), "--format", "json"], cwd=root)
    assert merged.returncode == whole.returncode == 1
    assert normalized(merged.json()) == normalized(whole.json())


def test_more_shards_than_units(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[tool.archverify]\npackages = ["tiny"]\n',
        "tiny/__init__.py": "import os\n",
        "tiny/b.py": "import sys\n",
    }
    root = write_tree(tmp_path / "tiny", files)
    _git(root, "init", "-q", ".")
    out = tmp_path / "out"
    out.mkdir()
    steps = "compile,ruff"
    whole = run_cli(["run", ".", "--no-cache", "--steps", steps, "--format", "json"], cwd=root)
    partials = [_partial(root, out, f"{i}/4", "--steps", steps) for i in range(1, 5)]
    assert sum(1 for p in partials if not json.loads(p.read_text("utf-8"))["units"]["ruff"]) == 2
    merged = run_cli(["merge", *map(str, partials), "--format", "json"], cwd=root)
    assert merged.returncode == whole.returncode == 1
    assert normalized(merged.json()) == normalized(whole.json())
    # Outside git the partials name no commit; the tree digest still ties them.
    assert {json.loads(p.read_text("utf-8"))["commit"] for p in partials} == {None}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--shard", "1/2"], "--shard needs --partial"),
        (["--partial", "p.json"], "give --shard I/N too"),
        (["--shard", "3/2", "--partial", "p.json"], "between 1 and N"),
        (["--shard", "two", "--partial", "p.json"], "takes I/N"),
    ],
)
def test_shard_usage_errors(tmp_path: Path, args: list[str], said: str) -> None:
    root = write_tree(tmp_path, {"app/__init__.py": ""})
    run = run_cli(["run", ".", "--steps", "compile", *args], cwd=root)
    assert run.returncode == 2
    assert said in run.stderr


def test_a_collection_error_in_one_shard_merges_as_one_interrupted_session(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": (
            '[tool.archverify]\npackages = ["lib"]\n\n[tool.archverify.tests]\n'
            'paths = ["tests"]\ncoverage_min = 50\n'
        ),
        "lib/__init__.py": "def one() -> int:\n    return 1\n",
        "tests/test_ok.py": (
            "from lib import one\n\n\ndef test_one() -> None:\n    assert one() == 2\n"
        ),
        "tests/test_more.py": "def test_more() -> None:\n    assert False\n",
        "tests/test_broken.py": "import no_such_module_here\n",
    }
    root = write_tree(tmp_path / "p", files)
    out = tmp_path / "out"
    out.mkdir()
    whole = run_cli(["run", ".", "--no-cache", "--steps", "tests", "--format", "json"], cwd=root)
    partials = [_partial(root, out, f"{i}/3", "--steps", "tests") for i in range(1, 4)]
    assert all(len(json.loads(p.read_text("utf-8"))["units"]["tests"]) == 1 for p in partials)
    merged = run_cli(["merge", *map(str, partials), "--format", "json"], cwd=root)
    assert merged.returncode == whole.returncode == 1
    assert normalized(merged.json()) == normalized(whole.json())
    [tests] = [s for s in whole.json()["steps"] if s["id"] == "tests"]
    assert tests["stats"]["interrupted"] is True


def _split(report: dict[str, Any]) -> dict[str, Any]:
    """What ``--changed-since`` decides: new findings, existing ones, the change's summary."""
    return {
        "new": sorted((f["rule"], f["path"], f["line"]) for f in report["findings"]),
        "existing": sorted((f["rule"], f["path"], f["line"]) for f in report.get("existing", [])),
        "changed_since": report["summary"].get("changed_since"),
        "counts": (report["summary"].get("new"), report["summary"].get("existing")),
    }


def test_shards_of_a_changed_since_run_merge_into_its_new_and_existing_split(
    quick: tuple[Path, Path],
) -> None:
    root, out = quick
    # An unstaged edit: a new ruff finding in a changed file; the contract's upward import
    # (app/core/upward.py) predates the change and is existing.
    (root / "app/api/m1.py").write_text("import json\n" + SMALL["app/api/m1.py"], "utf-8")
    since = ("--changed-since", "HEAD")
    whole = run_cli(
        ["run", ".", "--no-cache", "--steps", QUICK, *since, "--format", "json"], cwd=root
    )
    expected = _split(whole.json())
    assert ("contracts/layers", "app/core/upward.py", 1) in expected["existing"]
    assert any(rule == "ruff/F401" and path == "app/api/m1.py" for rule, path, _ in expected["new"])
    partials = [_partial(root, out, f"{i}/2", *since) for i in (1, 2)]
    merged = run_cli(["merge", *map(str, partials), "--format", "json"], cwd=root)
    assert merged.returncode == whole.returncode, merged.stderr
    assert _split(merged.json()) == expected


def test_merge_refuses_shards_of_different_changed_since(quick: tuple[Path, Path]) -> None:
    root, out = quick
    first = _partial(root, out, "1/2", "--changed-since", "HEAD")
    other = _partial(root, out, "2/2")
    run = run_cli(["merge", str(first), str(other)], cwd=root)
    assert run.returncode == 2
    assert "different --changed-since" in run.stderr


def test_the_partials_commit_is_the_checkouts_own_whatever_the_callers_git_environment(
    tmp_path: Path,
) -> None:
    # The shard asks git the way --changed-since does (one hardened runner): the caller's
    # GIT_DIR (a hook's, a runner's) does not name another repository's commit as this tree's.
    root = make_project(tmp_path / "project")
    other = write_tree(tmp_path / "other", {"x.txt": "x\n"})
    _git(other, "init", "-q", ".")
    _git(other, "add", "-A")
    _git(other, "commit", "-qm", "other")
    out = tmp_path / "p.json"
    args = ["run", ".", "--no-cache", "--steps", "compile", "--shard", "1/1", "--partial", str(out)]
    run = run_cli(args, cwd=root, env={"GIT_DIR": str(other / ".git")})
    assert run.returncode in (0, 1), run.stderr
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert json.loads(out.read_text("utf-8"))["commit"] == head


TESTED = {
    "pyproject.toml": (
        '[tool.archverify]\npackages = ["app"]\n\n'
        '[tool.archverify.tests]\npaths = ["tests"]\ncoverage_min = 0\n'
    ),
    "app/__init__.py": "",
    "app/a.py": "def a() -> int:\n    return 1\n",
    "app/b.py": "def b() -> int:\n    return 2\n",
    "tests/__init__.py": "",
    "tests/test_a.py": "from app.a import a\n\n\ndef test_a() -> None:\n    assert a() == 1\n",
    # A failure that predates the change, in a module the change does not reach.
    "tests/test_b.py": "from app.b import b\n\n\ndef test_b() -> None:\n    assert b() == 3\n",
}


def test_a_shards_tests_select_under_changed_since_as_the_unsharded_run(tmp_path: Path) -> None:
    # One shard holds every test module, so its records see what the unsharded run's see (a
    # shard judges an edit by its own modules' records only: an edited file none of them
    # executes makes it run all of them, the safe way).
    root = make_project(tmp_path / "project", TESTED)
    since = ["--steps", "tests", "--changed-since", "HEAD", "--format", "json"]
    whole_cache = ["--cache-dir", str(tmp_path / "whole-cache")]
    shard_cache = ["--cache-dir", str(tmp_path / "shard-cache")]
    partial = str(tmp_path / "partial.json")
    shard = ["--shard", "1/1", "--partial", partial]

    # The first runs record which test module runs what; then a.py changes.
    run_cli(["run", ".", *since, *whole_cache], cwd=root)
    run_cli(["run", ".", *since, *shard_cache, *shard], cwd=root)
    (root / "app/a.py").write_text("def a() -> int:\n    return 0 + 1\n", "utf-8")
    whole = run_cli(["run", ".", *since, *whole_cache], cwd=root)
    assert whole.step("tests")["stats"]["affected"]["ran"] == ["tests/test_a.py"], whole.stdout
    expected = _split(whole.json())
    assert ("tests/failed", "tests/test_b.py") in {(r, p) for r, p, _ in expected["existing"]}
    sharded = run_cli(["run", ".", *since, *shard_cache, *shard], cwd=root)
    assert sharded.step("tests")["stats"]["affected"]["ran"] == ["tests/test_a.py"], sharded.stdout
    merged = run_cli(["merge", partial, "--format", "json"], cwd=root)
    assert _split(merged.json()) == expected, merged.stdout
    assert merged.step("tests")["stats"]["coverage"] == whole.step("tests")["stats"]["coverage"]
    assert merged.returncode == whole.returncode == 0
    assert merged.step("tests")["stats"]["affected"] == whole.step("tests")["stats"]["affected"]


SPREAD = {
    "pyproject.toml": TESTED["pyproject.toml"],
    "app/__init__.py": "",
    "app/a.py": "def a() -> int:\n    return 1\n",
    "app/b.py": "def b() -> int:\n    return 2\n",
    "tests/__init__.py": "",
    # Two test modules the change to a.py reaches, and a third with an old failure it does not.
    "tests/test_a1.py": "from app.a import a\n\n\ndef test_a1() -> None:\n    assert a() == 1\n",
    "tests/test_a2.py": "from app.a import a\n\n\ndef test_a2() -> None:\n    assert a() > 0\n",
    "tests/test_b.py": "from app.b import b\n\n\ndef test_b() -> None:\n    assert b() == 3\n",
}


def test_three_shards_select_under_changed_since_as_the_unsharded_run(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", SPREAD)
    since = ["--steps", "tests", "--changed-since", "HEAD", "--format", "json"]
    whole_cache = ["--cache-dir", str(tmp_path / "whole-cache")]
    partials = [tmp_path / f"partial-{i}.json" for i in (1, 2, 3)]

    def shards() -> list[Any]:
        # Each shard with a cache of its own, as each CI runner restores its own.
        return [
            run_cli(
                ["run", ".", *since, "--cache-dir", str(tmp_path / f"cache-{i}")]
                + ["--shard", f"{i}/3", "--partial", str(partials[i - 1])],
                cwd=root,
            )
            for i in (1, 2, 3)
        ]

    run_cli(["run", ".", *since, *whole_cache], cwd=root)
    shards()
    # The premise: the split gives each test module a shard of its own.
    units = [json.loads(p.read_text("utf-8"))["units"].get("tests") for p in partials]
    assert sorted(map(tuple, units)) == [
        ("tests/test_a1.py",),
        ("tests/test_a2.py",),
        ("tests/test_b.py",),
    ]
    (root / "app/a.py").write_text("def a() -> int:\n    return 0 + 1\n", "utf-8")
    whole = run_cli(["run", ".", *since, *whole_cache], cwd=root)
    affected = whole.step("tests")["stats"]["affected"]
    assert affected["ran"] == ["tests/test_a1.py", "tests/test_a2.py"], whole.stdout
    expected = _split(whole.json())
    assert ("tests/failed", "tests/test_b.py") in {(r, p) for r, p, _ in expected["existing"]}
    ran = [s.step("tests")["stats"]["affected"]["ran"] for s in shards()]
    # The shard of test_b.py replays it: it runs nothing, and says so.
    assert sorted(ran) == [[], ["tests/test_a1.py"], ["tests/test_a2.py"]]
    merged = run_cli(["merge", *map(str, partials), "--format", "json"], cwd=root)
    assert _split(merged.json()) == expected, merged.stdout
    assert merged.step("tests")["stats"]["affected"] == affected
    assert merged.step("tests")["message"] == whole.step("tests")["message"]
    assert merged.step("tests")["stats"]["coverage"] == whole.step("tests")["stats"]["coverage"]
    assert merged.returncode == whole.returncode == 0

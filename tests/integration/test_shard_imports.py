"""The imports step split by module over shards, merged: exactly the unsharded run's verdicts.

One project holds every way a module's reported verdict depends on another's, each spread
over several units so that the two sides land in different shards: (a) a parent package that
fails, with subpackages whose members are skipped dependents; (b) a file that does not compile,
imported by modules elsewhere; (c) a failure root-caused in another module (B imports A at
module level, A raises); (d) hidden runtime imports (``importlib.import_module`` at import
time) that break a layers contract; (e) import side effects (an exit, a write to the tree).
It runs unsharded and as N = 2, 3 and 4 shards (parallel processes, each in its own copy of
the tree, as CI runners are), and the merge's imports step must equal the single run's: its
findings and its counted stats.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import finish_cli, run_cli, start_cli
from tests.helpers.configs import APP, layers_contract
from tests.helpers.tree import write_tree

STEPS = "compile,contracts,imports"
SPREAD = range(1, 5)
FILES: dict[str, str] = {
    "pyproject.toml": APP + layers_contract("app.high", "app.low"),
    "src/app/__init__.py": "",
    # (a) a package that fails; its subpackages' members are its skipped dependents
    "src/app/bad/__init__.py": 'raise RuntimeError("the bad package")\n',
    **{f"src/app/bad/s{i}/__init__.py": "" for i in SPREAD},
    **{f"src/app/bad/s{i}/leaf.py": "X = 1\n" for i in SPREAD},
    # (b) a module that does not compile, imported at module level from other packages
    "src/app/syntax.py": "def broken(:\n    pass\n",
    **{f"src/app/uses{i}/__init__.py": "" for i in SPREAD},
    **{f"src/app/uses{i}/user.py": "import app.syntax\n" for i in SPREAD},
    # (c) b fails because a does (a's failure is its root cause)
    "src/app/pa/__init__.py": "",
    "src/app/pa/a.py": 'raise ValueError("a fails on its own")\n',
    **{f"src/app/pb{i}/__init__.py": "" for i in SPREAD},
    **{f"src/app/pb{i}/b.py": "import app.pa.a\n" for i in SPREAD},
    # (d) low loads high at import time, with no import statement: a runtime contract break
    "src/app/high/__init__.py": "",
    "src/app/high/thing.py": "X = 1\n",
    "src/app/low/__init__.py": "",
    **{f"src/app/low/l{i}/__init__.py": "" for i in SPREAD},
    **{
        f"src/app/low/l{i}/loader.py": (
            "import importlib\n\nNAME = '.'.join(['app', 'high', 'thing'])\n"
            "THING = importlib.import_module(NAME)\n"
        )
        for i in SPREAD
    },
    # (e) side effects of importing: an exit, a file written into the tree
    "src/app/quits/__init__.py": "",
    "src/app/quits/q.py": "import sys\n\nsys.exit(3)\n",
    "src/app/writes/__init__.py": "",
    "src/app/writes/w.py": (
        "from pathlib import Path\n\nPath(__file__).with_name('made.txt').write_text('x')\n"
    ),
}
# Each pair: a module, and one whose verdict depends on it, in (a), (c) and (d). (A file that
# does not compile, in (b), is imported by no shard: every shard and the merge know it.)
PAIRS = [
    ("app.bad", "app.bad.s1.leaf"),
    ("app.pa.a", "app.pb1.b"),
    ("app.high.thing", "app.low.l1.loader"),
]
COUNTS = (
    "modules",
    "imported",
    "failed",
    "skipped_dependents",
    "not_compiled",
    "main_modules",
    "blocked_by_compile_errors",
)


def _imports(report: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    [step] = [s for s in report["steps"] if s["id"] == "imports"]
    findings = [f for f in report["findings"] if f["step"] == "imports"]
    counts = {k: step["stats"][k] for k in COUNTS}
    runtime = {k: v for k, v in step["stats"]["runtime"].items() if k != "seconds"}
    return findings, {**counts, "runtime": runtime, "status": step["status"]}


def _copy(root: Path, to: Path) -> Path:
    shutil.copytree(root, to)
    return to


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The whole run and, for each N, its shards' partials and their merge."""
    base = tmp_path_factory.mktemp("shard-imports")
    root = write_tree(base / "project", FILES)
    args = ["run", ".", "--no-cache", "--steps", STEPS, "--jobs", "2", "--format", "json"]
    whole = run_cli(args, cwd=_copy(root, base / "whole"))
    assert whole.returncode == 1, whole.stderr
    merged: dict[int, Any] = {}
    partials: dict[int, list[dict[str, Any]]] = {}
    for count in (2, 3, 4):
        started = []
        names = [base / f"partial-{count}-{i}.json" for i in range(1, count + 1)]
        for index, name in enumerate(names, 1):
            runner = _copy(root, base / f"runner-{count}-{index}")
            shard = ["--shard", f"{index}/{count}", "--partial", str(name)]
            started.append(start_cli([*args, *shard], cwd=runner))
        for child, marker in started:
            done = finish_cli(child, marker)
            assert done.returncode in (0, 1), done.stderr
        merge = run_cli(["merge", *map(str, names), "--format", "json"], cwd=root)
        merged[count] = merge
        partials[count] = [json.loads(n.read_text("utf-8")) for n in names]
    return {"whole": whole, "merged": merged, "partials": partials, "root": root}


def _shard_of(partials: list[dict[str, Any]]) -> dict[str, int]:
    return {
        module: p["shard"]["index"]
        for p in partials
        if p["imports"]
        for module in p["imports"]["modules"]
    }


def test_the_whole_run_has_every_dependent_verdict(runs: dict[str, Any]) -> None:
    findings, counts = _imports(runs["whole"].json())
    rules = {f["rule"] for f in findings}
    assert {"imports/error", "imports/exit", "imports/changed-tree"} <= rules
    assert {"imports/runtime-contract", "imports/hidden-edge"} <= rules
    assert counts["skipped_dependents"] >= 2 * len(SPREAD)
    assert counts["not_compiled"] == 1


@pytest.mark.parametrize("count", [2, 3, 4])
def test_the_merged_imports_are_the_whole_runs(runs: dict[str, Any], count: int) -> None:
    merge = runs["merged"][count]
    assert merge.returncode == runs["whole"].returncode, merge.stderr
    assert _imports(merge.json()) == _imports(runs["whole"].json())


@pytest.mark.parametrize("count", [2, 3, 4])
def test_every_module_is_imported_by_exactly_one_shard(runs: dict[str, Any], count: int) -> None:
    partials = runs["partials"][count]
    listed = [m for p in partials if p["imports"] for m in p["imports"]["modules"]]
    assert len(listed) == len(set(listed))
    [step] = [s for s in runs["whole"].json()["steps"] if s["id"] == "imports"]
    assert len(listed) == step["stats"]["modules"]
    assert all(s["role"] == "part" for p in partials for s in p["steps"] if s["id"] == "imports")


def test_each_dependent_pair_is_split_over_shards_in_some_run(runs: dict[str, Any]) -> None:
    shards = [_shard_of(runs["partials"][count]) for count in (2, 3, 4)]
    for cause, dependent in PAIRS:
        # Of the four copies of each pair, one at least lands in two shards.
        copies = [(cause, dependent.replace("1", str(i), 1)) for i in SPREAD]
        assert any(s[c] != s[d] for s in shards for c, d in copies), (cause, dependent)
    # (b): the modules importing the broken file are imported by several shards.
    users = [f"app.uses{i}.user" for i in SPREAD]
    assert any(len({s[u] for u in users}) > 1 for s in shards)


def test_a_missing_shard_leaves_the_imports_an_error(runs: dict[str, Any], tmp_path: Path) -> None:
    partials = runs["partials"][4]
    names = []
    left_out = False
    for partial in partials:
        if partial["imports"] and partial["imports"]["modules"] and not left_out:
            left_out = True  # the first shard that imported modules is the missing one
            continue
        name = tmp_path / f"p{partial['shard']['index']}.json"
        name.write_text(json.dumps(partial), "utf-8")
        names.append(str(name))
    merge = run_cli(["merge", *names, "--format", "json"], cwd=runs["root"])
    assert merge.returncode == 1, merge.stderr
    step = merge.step("imports")
    assert step["status"] == "error"
    assert "no shard gave the verdicts of" in step["message"]


def _shards_and_merge(
    root: Path, runners: list[Path], out: Path, *extra: str, marker: str | None = None
) -> tuple[list[dict[str, Any]], Any]:
    """The shards of ``len(runners)`` at once, each in its runner's folder, and their merge."""
    count = len(runners)
    names = [out / f"partial-{i}.json" for i in range(1, count + 1)]
    started = []
    for index, (runner, name) in enumerate(zip(runners, names, strict=True), 1):
        args = ["run", ".", "--steps", STEPS, "--format", "json", *extra]
        args += ["--shard", f"{index}/{count}", "--partial", str(name)]
        started.append(start_cli(args, cwd=runner, marker=marker))
    for child, given in started:
        done = finish_cli(child, given)
        assert done.returncode in (0, 1), done.stderr
    merge = run_cli(["merge", *map(str, names), "--format", "json"], cwd=root)
    return [json.loads(n.read_text("utf-8")) for n in names], merge


def test_cached_shards_merge_exactly_and_never_replay_as_the_whole_run(
    runs: dict[str, Any], tmp_path: Path
) -> None:
    """Each runner keeps its cache: the second time its shard replays (the whole step's
    outcome, or module by module) and the merge is still the whole run's; an unsharded run
    on that cache is not a replay of the shard's share."""
    root: Path = runs["root"]
    runners = [_copy(root, tmp_path / f"runner{i}") for i in (1, 2, 3)]
    # One environment for every run (the replay keys hold it), as on one CI image.
    marker = "shard-imports-cache"
    for attempt in ("cold", "warm"):
        out = tmp_path / attempt
        out.mkdir()
        partials, merge = _shards_and_merge(root, runners, out, marker=marker)
        assert _imports(merge.json()) == _imports(runs["whole"].json()), attempt
    replayed = [s for p in partials for s in p["steps"] if s["id"] == "imports"]
    assert any(s["cached"] or s["stats"].get("replayed") for s in replayed)
    args = ["run", ".", "--steps", STEPS, "--format", "json"]
    again = run_cli(args, cwd=runners[0], marker=marker)
    assert not again.step("imports")["cached"]
    assert _imports(again.json()) == _imports(runs["whole"].json())


def test_changed_since_narrows_the_imports_inside_each_shard(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", FILES)
    for args in (["init", "-q", "."], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(
            ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
            cwd=root,
            check=True,
            capture_output=True,
        )
    (root / "src/app/pa/a.py").write_text('raise ValueError("a fails again")\n', "utf-8")
    since = ("--changed-since", "HEAD", "--no-cache")
    args = ["run", ".", "--steps", STEPS, "--format", "json", *since]
    whole = run_cli(args, cwd=_copy(root, tmp_path / "whole"))
    assert whole.returncode == 1, whole.stderr
    step = whole.step("imports")
    assert step["stats"]["not_reached"] > 0
    runners = [_copy(root, tmp_path / f"runner{i}") for i in (1, 2, 3)]
    out = tmp_path / "out"
    out.mkdir()
    partials, merge = _shards_and_merge(root, runners, out, *since)
    assert _imports(merge.json()) == _imports(whole.json())
    assert merge.step("imports")["stats"]["not_reached"] == step["stats"]["not_reached"]
    listed = sorted(m for p in partials if p["imports"] for m in p["imports"]["modules"])
    assert listed == sorted(["app.pa.a", *(f"app.pb{i}.b" for i in SPREAD)])

"""The sharding row: the generated monorepo (bench/generate_monorepo.py) run once whole, then as
4 shards one after another (``archverify run --shard I/4 --partial p-I.json``), then merged
(``archverify merge p-*.json --durations-out durations.json``), then the 4 shards again balanced
from the durations that merge recorded (``--durations durations.json``), and merged again.

Run: python bench/run.py --monorepo [--monorepo-modules 20000] [--monorepo-tests 400]
     [--archverify PATH]

Every run starts cold (the cache folder removed), as a fresh CI runner would. On 4 runners the
shards run at the same time: the wall time is the slowest shard plus the merge (a job of its
own after the matrix), against the one whole run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from runbook.measure import Sample, run_measured

SHARDS = 4
TARGET_RATIO = 0.35
CACHE_FOLDER = ".archverify_cache"

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from generate_monorepo import STAMP, Shape, generate, packages_for  # noqa: E402


def shape_of(modules: int, test_modules: int, test_cpu_s: float) -> Shape:
    return Shape(modules, test_modules, test_cpu_s, packages_for(modules))


def ensure_tree(work: Path, shape: Shape) -> Path:
    """The generated tree for ``shape`` below ``work`` (written once, again if it changed)."""
    root = work / "monorepo" / f"mono-{shape.modules}-{shape.test_modules}"
    stamp = root / STAMP
    wanted = asdict(shape)
    if not (stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")) == wanted):
        generate(root, shape)
    return root


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _report(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def _summary(report: dict[str, Any]) -> dict[str, Any]:
    """What a merge must agree on with the whole run: rules counted, steps' statuses."""
    rules: dict[str, int] = {}
    for finding in report.get("findings", []):
        rules[finding["rule"]] = rules.get(finding["rule"], 0) + 1
    steps = {s.get("id"): s.get("status") for s in report.get("steps", [])}
    return {"findings": dict(sorted(rules.items())), "steps": steps}


def measure_monorepo(
    archverify: Path,
    root: Path,
    timeout_s: float,
    say: Callable[[str], None],
    shards: int = SHARDS,
) -> tuple[dict[str, Any], str]:
    """One whole run, ``shards`` shards one after another, the merge: the JSON and a table."""
    env = _env()
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-monorepo-") as tmp:
        scratch = Path(tmp)

        def run(name: str, argv: list[str], cold: bool = True) -> Sample:
            if cold:
                shutil.rmtree(root / CACHE_FOLDER, ignore_errors=True)
            say(f"monorepo: {name}")
            output = scratch / f"{name}.json"
            command = [str(archverify), *argv, "--format", "json", "--output", str(output)]
            sample = run_measured(command, root, env, timeout_s=timeout_s)
            report = _report(output)
            runs[name] = {
                "command": argv,
                **sample.as_json(),
                "summary": _summary(report),
                # Which step bounds a shard (mypy runs whole in one shard).
                "step_s": {s.get("id"): s.get("duration_s") for s in report.get("steps", [])},
                "exit": sample.returncode,
            }
            return sample

        whole = run("single", ["run", str(root)])
        durations = scratch / "durations.json"

        def sharded_run(prefix: str, extra: list[str]) -> tuple[list[Sample], Sample]:
            samples: list[Sample] = []
            partials: list[str] = []
            for index in range(1, shards + 1):
                partial = scratch / f"{prefix}p-{index}.json"
                partials.append(str(partial))
                argv = ["run", str(root), "--shard", f"{index}/{shards}", "--partial", str(partial)]
                samples.append(run(f"{prefix}shard-{index}", [*argv, *extra]))
            # The first merge records the shards' seconds for the second split.
            out = [] if extra else ["--durations-out", str(durations)]
            return samples, run(f"{prefix}merge", ["merge", *partials, *out], cold=False)

        # By size, then from the durations the first merge recorded.
        shard_samples, merged = sharded_run("", [])
        balanced = (
            sharded_run("balanced-", ["--durations", str(durations)])
            if durations.is_file()
            else None
        )
        shutil.rmtree(root / CACHE_FOLDER, ignore_errors=True)
    sharded = all(runs[f"shard-{i}"]["exit"] in (0, 1) for i in range(1, shards + 1))
    slowest = max(s.wall_s for s in shard_samples)
    ratio = slowest / whole.wall_s if whole.wall_s else 0.0
    same = runs["merge"]["summary"] == runs["single"]["summary"]
    data = {
        "root": str(root),
        "archverify": str(archverify),
        "shards": shards,
        "runs": runs,
        "single_s": round(whole.wall_s, 3),
        "slowest_shard_s": round(slowest, 3),
        "shards_sum_s": round(sum(s.wall_s for s in shard_samples), 3),
        "merge_s": round(merged.wall_s, 3),
        "ratio_slowest_shard": round(ratio, 4),
        "four_runners_wall_s": round(slowest + merged.wall_s, 3),
        "merge_equals_single": same,
        "sharding_available": sharded,
        "besides_imports_s": _besides_imports(runs, "", shards),
    }
    if balanced is not None:
        samples, again = balanced
        slowest_balanced = max(s.wall_s for s in samples)
        data.update(
            balanced_slowest_shard_s=round(slowest_balanced, 3),
            balanced_merge_s=round(again.wall_s, 3),
            ratio_balanced_slowest_shard=round(
                slowest_balanced / whole.wall_s if whole.wall_s else 0.0, 4
            ),
            balanced_merge_equals_single=runs["balanced-merge"]["summary"]
            == runs["single"]["summary"],
            balanced_besides_imports_s=_besides_imports(runs, "balanced-", shards),
        )
    return data, _table(data, shards)


def _besides_imports(runs: dict[str, Any], prefix: str, shards: int) -> list[float]:
    """Each shard's step seconds other than the imports' (which one shard runs whole): how
    evenly the split units (tests, ruff, bandit) and the rest were spread."""
    return [
        round(
            sum(
                float(v or 0.0)
                for k, v in runs[f"{prefix}shard-{i}"]["step_s"].items()
                if k != "imports"
            ),
            3,
        )
        for i in range(1, shards + 1)
    ]


def _table(data: dict[str, Any], shards: int) -> str:
    runs = data["runs"]
    rows = [("one unsharded run (cold)", data["single_s"], "")]
    rows += [
        (f"shard {i}/{shards} (cold, one after another)", runs[f"shard-{i}"]["wall_s"], "")
        for i in range(1, shards + 1)
    ]
    rows += [
        ("slowest shard", data["slowest_shard_s"], ""),
        (f"merge of the {shards} partials", data["merge_s"], ""),
        (
            "ratio slowest shard / single run",
            data["ratio_slowest_shard"],
            f"<= {TARGET_RATIO} {'yes' if data['ratio_slowest_shard'] <= TARGET_RATIO else 'NO'}",
        ),
        (f"on {shards} runners: slowest shard + merge (wall)", data["four_runners_wall_s"], ""),
    ]
    if "ratio_balanced_slowest_shard" in data:
        rows += [
            (
                f"shard {i}/{shards} from recorded durations",
                runs[f"balanced-shard-{i}"]["wall_s"],
                "",
            )
            for i in range(1, shards + 1)
        ]
        ratio = data["ratio_balanced_slowest_shard"]
        rows += [
            ("slowest shard from recorded durations", data["balanced_slowest_shard_s"], ""),
            (
                "ratio slowest shard / single run, from durations",
                ratio,
                f"<= {TARGET_RATIO} {'yes' if ratio <= TARGET_RATIO else 'NO'}",
            ),
        ]
    lines = [f"  {'figure':<52} | {'seconds':>9} | target"]
    lines += [f"  {name:<52} | {value:9.3f} | {target}" for name, value, target in rows]
    if not data["sharding_available"]:
        lines.append(f"  (a shard run failed: does {data['archverify']} have --shard/--partial?)")
    verdict = "the same" if data["merge_equals_single"] else "NOT the same"
    lines.append(f"  merged report vs the unsharded one: {verdict} findings per rule and steps")
    lines.append(f"  steps besides imports, by size: {data['besides_imports_s']}")
    if "balanced_besides_imports_s" in data:
        lines.append(
            f"  steps besides imports, from durations: {data['balanced_besides_imports_s']}"
        )
        again = "the same" if data["balanced_merge_equals_single"] else "NOT the same"
        lines.append(f"  merged report from the durations split vs the unsharded one: {again}")
    return "\n".join(lines)

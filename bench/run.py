"""Benchmark archverify against the sequential runbook on pinned real projects.

Run: python bench/run.py [--projects django,sqlfluff,requests] [--runs 3] [--work-dir DIR]
     python bench/run.py --local PATH [--runs 1] [--skip-baseline-tools pycycle,pylint-cycles]
See bench/README.md for how to read the table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from runbook.archverify_runs import ArchverifyRuns, BenchError, compile_floor  # noqa: E402
from runbook.baseline import (  # noqa: E402
    BASELINE_TOOLS,
    CYCLE_TOOLS,
    cycle_tool_ok,
    run_tool,
    tool_run,
    unavailable_reason,
)
from runbook.httpx_tests import fetch_httpx, measure_httpx_tests  # noqa: E402
from runbook.measure import Figure, Sample  # noqa: E402
from runbook.monorepo import Shape, ensure_tree, measure_monorepo, shape_of  # noqa: E402
from runbook.projects import PROJECTS, Target, read_target, write_configs  # noqa: E402
from runbook.report import build_rows, render_table, rows_json, sequential_total  # noqa: E402
from runbook.scale import (  # noqa: E402
    DJANGO_LEAF,
    edit_runs,
    fetch_homeassistant,
    measure_homeassistant,
)

DEFAULT_CACHE = Path.home() / ".cache" / "archverify-bench"
# What the benchmark installs next to archverify (the runbook's tools archverify does not ship).
EXTRA_TOOLS = {
    "pycycle": "pycycle",
    "pylint": "pylint",
    "lint-imports": "import-linter",
    "tach": "tach",
}
SCALE_PROJECT = "homeassistant"  # the static steps and ruff only: bench/runbook/scale.py
TOOL_ALIASES = {"pylint": "pylint-cycles", "import-linter": "lint-imports", "compile": "compileall"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--projects",
        default="django,sqlfluff,requests",
        help=f"comma-separated, from: {', '.join([*PROJECTS, SCALE_PROJECT])}",
    )
    parser.add_argument(
        "--local",
        metavar="PATH",
        help="measure this directory (it must hold archverify.toml with "
        "`packages`) instead of downloading",
    )
    parser.add_argument("--runs", type=int, default=3, help="archverify runs per figure")
    parser.add_argument("--baseline-runs", type=int, default=1, help="runs per baseline tool")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"sdists, extracted projects and deps (default {DEFAULT_CACHE})",
    )
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument(
        "--skip-baseline-tools",
        default="",
        metavar="A,B",
        help=f"baseline tools not to run (of {', '.join(BASELINE_TOOLS)})",
    )
    parser.add_argument("--edit-file", help="file (relative to the project) the edit run touches")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per command")
    parser.add_argument(
        "--httpx-tests",
        action="store_true",
        help="only the test-heavy row: httpx 0.27.2 with its tests, cold and one edit under "
        "--cache-tests",
    )
    parser.add_argument(
        "--monorepo",
        action="store_true",
        help="only the sharding row: the generated monorepo, one run, 4 shards one after "
        "another, their merge (bench/runbook/monorepo.py)",
    )
    parser.add_argument("--monorepo-modules", type=int, default=Shape.modules)
    parser.add_argument("--monorepo-tests", type=int, default=Shape.test_modules)
    parser.add_argument("--monorepo-test-cpu-s", type=float, default=Shape.test_cpu_s)
    parser.add_argument(
        "--archverify",
        type=Path,
        help="the archverify the --monorepo row runs (default: the bench venv's)",
    )
    return parser.parse_args(argv)


def say(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def ensure_venv(skip: set[str], scale: bool) -> Path:
    """The project's .venv, else bench/.venv (created), with the runbook's extra tools (tach
    only for the scale project: ``scale``)."""
    venv = REPO / ".venv"
    if not (venv / "bin" / "python").exists():
        venv = BENCH_DIR / ".venv"
        if not (venv / "bin" / "python").exists():
            say(f"creating {venv}")
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        if not (venv / "bin" / "archverify").exists():
            pip(venv, ["install", "--quiet", "-e", str(REPO)])
    missing = [
        pkg
        for program, pkg in EXTRA_TOOLS.items()
        if not (venv / "bin" / program).exists()
        and TOOL_ALIASES.get(program, program) not in skip
        and (program != "tach" or scale)
    ]
    for package in missing:
        # One at a time: a tool that fails to install is reported unavailable, not fatal.
        if pip(venv, ["install", "--quiet", package], check=False) != 0:
            say(f"could not install {package}; it will be reported unavailable")
    # Every command runs with PYTHONDONTWRITEBYTECODE=1 (the measured trees stay clean), so an
    # editable archverify would compile its own modules on every run (~0.3 s): byte-compile it
    # once, as installing a wheel does.
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "compileall", "-q", str(REPO / "src" / "archverify")],
        check=False,
        stdout=subprocess.DEVNULL,
    )
    return venv


def pip(venv: Path, args: list[str], check: bool = True) -> int:
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", *args], check=check)
    return done.returncode


def fetch(name: str, venv: Path, work: Path) -> Target:
    """Download (once), extract (once), write the configs and install the deps of a project."""
    spec = PROJECTS[name]
    sdists = work / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    base = spec.requirement.split("==")[0].lower()
    version = spec.requirement.split("==")[1]
    found = [p for p in sdists.glob("*.tar.gz") if p.name.lower() == f"{base}-{version}.tar.gz"]
    if not found:
        say(f"downloading {spec.requirement}")
        pip(
            venv,
            [
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                spec.requirement,
                "-d",
                str(sdists),
            ],
        )
        found = [p for p in sdists.glob("*.tar.gz") if p.name.lower() == f"{base}-{version}.tar.gz"]
    root = work / "src" / spec.folder
    if not root.is_dir():
        with tarfile.open(found[0]) as archive:
            archive.extractall(work / "src", filter="data")
    write_configs(spec, root)
    deps = work / "deps" / spec.folder
    if spec.deps and not deps.is_dir():
        say(f"installing {name}'s dependencies into {deps}")
        pip(venv, ["install", "--quiet", "--target", str(deps), *spec.deps])
    return read_target(name, root, spec.edit_file, deps if spec.deps else None)


def run_baseline(
    venv: Path, target: Target, skip: set[str], runs: int, timeout: float
) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    for name in BASELINE_TOOLS:
        if name in skip:
            continue
        reason = unavailable_reason(tool_run(name, venv, target, Path("/nonexistent")), target)
        if reason is not None:
            results[name] = {"ok": False, "reason": reason}
            say(f"baseline {name}: unavailable ({reason})")
            continue
        samples = [run_tool(name, venv, target, timeout) for _ in range(max(runs, 1))]
        figure = Figure(tuple(samples))
        ok = all(_tool_ok(name, s) for s in samples)
        results[name] = {"ok": ok, **figure.as_json()}
        if not ok:
            results[name]["reason"] = _failure(samples[-1])
        say(
            f"baseline {name}: {figure.median_s:.2f}s"
            + ("" if ok else f" (FAILED: {results[name]['reason'][:200]})")
        )
    return results


def _tool_ok(name: str, sample: Sample) -> bool:
    if sample.timed_out:
        return False
    if name in CYCLE_TOOLS:
        return cycle_tool_ok(sample, name)
    # Findings exit 1 (ruff, mypy, bandit, lint-imports); anything above is a crash or misuse.
    return sample.returncode in (0, 1)


def _failure(sample: Sample) -> str:
    if sample.timed_out:
        return "timed out"
    tail = sample.stderr_tail.strip().splitlines()
    return f"exit {sample.returncode}: {tail[-1] if tail else 'no stderr'}"


def measure_project(
    args: argparse.Namespace, venv: Path, target: Target, skip: set[str]
) -> dict[str, Any]:
    say(f"{target.name}: baseline tools")
    baseline = run_baseline(venv, target, skip, args.baseline_runs, args.timeout)
    say(f"{target.name}: compile floor")
    floor = compile_floor(venv, target, args.runs)
    runs = ArchverifyRuns(venv, target, args.timeout, {})
    figures: dict[str, Figure] = {}
    for key, measure in (
        ("archverify_cold", runs.cold),
        ("archverify_cold_ruff_engine", runs.cold_ruff_engine),
        ("archverify_warm", runs.warm),
        ("archverify_edited", runs.edited),
        ("archverify_warm_cache_tests", runs.warm_replaying_imports),
        ("archverify_edited_cache_tests", runs.edited_replaying_imports),
        ("archverify_static_cold", runs.static),
    ):
        say(f"{target.name}: {key}")
        figures[key] = measure(args.runs)
    if target.name == "django" and (target.root / DJANGO_LEAF).is_file():
        say(f"{target.name}: archverify_edited_leaf")
        leaf = target.root / DJANGO_LEAF
        figures["archverify_edited_leaf"] = edit_runs(runs, leaf, args.runs, [])
    rows = build_rows(baseline, figures, floor["median_s"])
    total, included = sequential_total(baseline)
    return {
        "project": target.name,
        "root": str(target.root),
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": os.getloadavg(),
        },
        "settings": {
            "runs": args.runs,
            "baseline_runs": args.baseline_runs,
            "skipped_baseline_tools": sorted(skip),
            "edit_file": str(target.edit_file),
        },
        "baseline": baseline,
        "sequential": {"seconds": round(total, 3), "tools": included},
        "compile_floor": floor,
        "archverify": {key: fig.as_json() for key, fig in figures.items()},
        "archverify_steps": runs.steps_by_run,
        "table": rows_json(rows),
        "rss_measurement": "tree_rss_mb: /proc sampled every 50 ms, summed over the process "
        "tree; max_rss_mb: wait4 ru_maxrss of the largest single process",
        "_rendered": render_table(rows),
    }


def run_httpx_tests(args: argparse.Namespace, venv: Path) -> int:
    """The httpx-with-tests row (bench/runbook/httpx_tests.py), its own table and results."""
    work = args.work_dir.resolve()

    def download(requirement: str, folder: Path) -> None:
        say(f"downloading {requirement}")
        folder.mkdir(parents=True, exist_ok=True)
        pip(
            venv,
            [
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                requirement,
                "-d",
                str(folder),
            ],
        )

    def install(folder: Path, deps: tuple[str, ...]) -> None:
        say(f"installing httpx's test dependencies into {folder}")
        pip(venv, ["install", "--quiet", "--target", str(folder), *deps])

    target = fetch_httpx(work, download, install)
    runs = ArchverifyRuns(venv, target, args.timeout, {})
    try:
        result = measure_httpx_tests(runs, args.runs)
    except BenchError as error:
        say(str(error))
        return 1
    table = result.pop("_rendered")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"httpx-tests-{datetime.date.today().isoformat()}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nhttpx with tests ({target.root})\n{table}\nresults: {out}\n", flush=True)
    shutil.rmtree(target.root / ".archverify_cache", ignore_errors=True)
    return 0


def run_monorepo(args: argparse.Namespace, venv: Path) -> int:
    """The sharding row (bench/runbook/monorepo.py), its own table and results."""
    shape = shape_of(args.monorepo_modules, args.monorepo_tests, args.monorepo_test_cpu_s)
    say(f"monorepo: generating {shape.modules} modules, {shape.test_modules} test modules")
    root = ensure_tree(args.work_dir.resolve(), shape)
    archverify = args.archverify or venv / "bin" / "archverify"
    data, table = measure_monorepo(archverify, root, args.timeout, say)
    data.update(
        shape=asdict(shape),
        date=datetime.datetime.now().isoformat(timespec="seconds"),
        load_average=os.getloadavg(),
    )
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"monorepo-{datetime.date.today().isoformat()}.json"
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\nmonorepo ({root})\n{table}\nresults: {out}\n", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    skip = {
        TOOL_ALIASES.get(s.strip(), s.strip())
        for s in args.skip_baseline_tools.split(",")
        if s.strip()
    }
    unknown = skip - set(BASELINE_TOOLS)
    if unknown:
        say(f"unknown baseline tools: {', '.join(sorted(unknown))}")
        return 2
    # tach is measured beside the scale project only; a run without it installs nothing for it.
    single = args.local or args.httpx_tests or args.monorepo
    scale = not single and SCALE_PROJECT in args.projects.split(",")
    # The monorepo row runs archverify alone: none of the baseline's extra tools.
    venv = ensure_venv(set(BASELINE_TOOLS) if args.monorepo else skip, scale)
    if args.httpx_tests:
        return run_httpx_tests(args, venv)
    if args.monorepo:
        return run_monorepo(args, venv)
    if args.local:
        root = Path(args.local).resolve()
        targets = [read_target(root.name, root, args.edit_file)]
    else:
        names = [n.strip() for n in args.projects.split(",") if n.strip()]
        scale = SCALE_PROJECT in names
        names = [n for n in names if n != SCALE_PROJECT]
        bad = [n for n in names if n not in PROJECTS]
        if bad:
            say(f"unknown projects: {', '.join(bad)} (known: {', '.join(PROJECTS)})")
            return 2
        targets = [fetch(name, venv, args.work_dir.resolve()) for name in names]
    args.results_dir.mkdir(parents=True, exist_ok=True)
    for target in targets:
        try:
            result = measure_project(args, venv, target, skip)
        except BenchError as error:
            say(str(error))
            return 1
        table = result.pop("_rendered")
        out = args.results_dir / f"{target.name}-{datetime.date.today().isoformat()}.json"
        out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\n{target.name} ({target.root})\n{table}\nresults: {out}\n", flush=True)
        shutil.rmtree(target.root / ".archverify_cache", ignore_errors=True)
    if not args.local and scale:
        measure_scale(args, venv)
    return 0


def measure_scale(args: argparse.Namespace, venv: Path) -> None:
    """Home Assistant: the static steps and ruff beside lint-imports and tach (scale.py)."""
    target = fetch_homeassistant(venv, args.work_dir.resolve())
    say(f"{target.name}: static steps, ruff, lint-imports, tach")
    data, table = measure_homeassistant(venv, target, args.runs, args.timeout)
    data.update(
        project=target.name,
        root=str(target.root),
        date=datetime.datetime.now().isoformat(timespec="seconds"),
        load_average=os.getloadavg(),
    )
    out = args.results_dir / f"{target.name}-{datetime.date.today().isoformat()}.json"
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    print(f"\n{target.name} ({target.root})\n{table}\nresults: {out}\n", flush=True)


if __name__ == "__main__":
    raise SystemExit(main())

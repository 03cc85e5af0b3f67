"""Scale: the static steps and ruff on Home Assistant 2024.3.3 (6.7k modules), beside
``lint-imports`` and ``tach check`` on the same layers contract; and Django's leaf-edit row.

The project is the wheel from PyPI (``pip download --no-deps homeassistant==2024.3.3``), unpacked
once into ``WORK_DIR/src/homeassistant-2024.3.3``. Only tools that read the source run on it:
nothing imports Home Assistant (its dependencies are not installed).
"""

from __future__ import annotations

import shutil
import subprocess
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from runbook.archverify_runs import CACHE_FOLDER, ArchverifyRuns, compile_floor
from runbook.baseline import base_env, clear_tool_caches
from runbook.measure import Figure, Sample, repeat, run_measured
from runbook.projects import STATIC_STEPS, Target, read_target
from runbook.report import Row, render_columns, render_table

HA_REQUIREMENT = "homeassistant==2024.3.3"
HA_WHEEL = "homeassistant-2024.3.3-py3-none-any.whl"
HA_FOLDER = "homeassistant-2024.3.3"
# The layers contract over Home Assistant's top packages, highest first: an integration may use
# the helpers and the utilities, the helpers the utilities, never the other way round.
HA_LAYERS = ("homeassistant.components", "homeassistant.helpers", "homeassistant.util")
HA_EDIT = "homeassistant/helpers/entity.py"
# The "one leaf module edited" row of Django: a template-tag library nothing else imports.
DJANGO_LEAF = "django/contrib/humanize/templatetags/humanize.py"
RSS_TARGET_MB = 1024.0


def fetch_homeassistant(venv: Path, work: Path) -> Target:
    """Download (once), unpack (once) and configure Home Assistant's wheel."""
    wheels = work / "wheels"
    wheel = wheels / HA_WHEEL
    if not wheel.is_file():
        wheels.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "download", "--quiet", "--no-deps"]
            + [HA_REQUIREMENT, "-d", str(wheels)],
            check=True,
        )
    root = work / "src" / HA_FOLDER
    if not (root / "homeassistant").is_dir():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(root)
    _write_ha_configs(root)
    return read_target("homeassistant", root, HA_EDIT)


def _write_ha_configs(root: Path) -> None:
    layers = ", ".join(f'"{layer}"' for layer in HA_LAYERS)
    (root / "archverify.toml").write_text(
        "# Written by bench/run.py: the static steps and ruff at scale.\n"
        'source_roots = ["."]\npackages = ["homeassistant"]\n'
        'steps = ["compile", "purity", "contracts", "ruff", "boundaries", "cycles"]\n\n'
        f'[[contracts]]\nname = "top packages"\ntype = "layers"\nlayers = [{layers}]\n',
        encoding="utf-8",
    )
    lines = "\n".join(f"    {layer}" for layer in HA_LAYERS)
    (root / ".importlinter").write_text(
        "[importlinter]\nroot_package = homeassistant\n\n[importlinter:contract:1]\n"
        f"name = top packages\ntype = layers\nlayers =\n{lines}\n",
        encoding="utf-8",
    )
    modules = "".join(
        f'\n[[modules]]\npath = "{layer}"\ndepends_on = {list(HA_LAYERS[i + 1 :])!r}\n'.replace(
            "'", '"'
        )
        for i, layer in enumerate(HA_LAYERS)
    )
    (root / "tach.toml").write_text('source_roots = ["."]\n' + modules, encoding="utf-8")


def _tool(venv: Path, target: Target, argv: list[str], timeout_s: float) -> Callable[[int], Sample]:
    def once(_: int) -> Sample:
        sample = run_measured(
            argv, target.root, base_env(target, with_deps=False), timeout_s=timeout_s
        )
        if sample.returncode not in (0, 1):
            raise RuntimeError(f"{argv[0]} failed (exit {sample.returncode}): {sample.stderr_tail}")
        return sample

    return once


def measure_homeassistant(
    venv: Path, target: Target, runs: int, timeout_s: float
) -> tuple[dict[str, Any], str]:
    """Every Home Assistant figure, as JSON and as the rendered table."""
    bin_dir = venv / "bin"
    archverify = ArchverifyRuns(venv, target, timeout_s, {})
    static = ["--steps", STATIC_STEPS]
    with_ruff = ["--steps", STATIC_STEPS + ",ruff"]
    figures: dict[str, Figure] = {}
    lint = [str(bin_dir / "lint-imports"), "--config", str(target.root / ".importlinter")]

    def cold_lint(index: int) -> Sample:
        return _tool(venv, target, [*lint, "--no-cache"], timeout_s)(index)

    def fresh(extra: list[str]) -> Callable[[int], Sample]:
        def once(_: int) -> Sample:
            shutil.rmtree(target.root / CACHE_FOLDER, ignore_errors=True)
            clear_tool_caches(target.root)
            return archverify.once("cold", extra)

        return once

    floor = compile_floor(venv, target, runs)
    figures["lint_imports_cold"] = repeat(runs, cold_lint)
    _tool(venv, target, lint, timeout_s)(0)  # fills its cache
    figures["lint_imports_warm"] = repeat(runs, _tool(venv, target, lint, timeout_s))
    tach = [str(bin_dir / "tach"), "check", "--dependencies"]
    figures["tach_check"] = repeat(runs, _tool(venv, target, tach, timeout_s))
    clear_tool_caches(target.root)
    ruff = [str(bin_dir / "ruff"), "check", "--quiet", "--no-cache", "homeassistant"]
    figures["ruff"] = repeat(runs, _tool(venv, target, ruff, timeout_s))
    figures["static_cold"] = repeat(runs, fresh([*static, "--no-cache"]))
    archverify.once("warm-fill", static)
    figures["static_warm"] = repeat(runs, lambda _: archverify.once("warm", static))
    figures["static_edited"] = edit_runs(archverify, target.edit_file, runs, static)
    figures["static_ruff_cold"] = repeat(runs, fresh(with_ruff))
    archverify.once("warm-fill", with_ruff)
    figures["static_ruff_warm"] = repeat(runs, lambda _: archverify.once("warm", with_ruff))
    shutil.rmtree(target.root / CACHE_FOLDER, ignore_errors=True)
    rows = ha_rows(figures, floor["median_s"])
    data = {
        "compile_floor": floor,
        "figures": {key: figure.as_json() for key, figure in figures.items()},
        "archverify_steps": archverify.steps_by_run,
        "table": [row.__dict__ for row in rows],
    }
    return data, render_table(rows) + "\n\n" + cpu_table(figures)


def cpu_table(figures: dict[str, Figure]) -> str:
    """Wall and CPU medians beside the load at each run's start: on a shared machine the CPU
    of the process tree moves far less with the load than the wall time does."""
    rows = [
        (LABELS[key], f"{f.median_s:.2f}", f"{f.median_cpu_s:.2f}", f.loads)
        for key, f in figures.items()
    ]
    return render_columns(("figure", "wall s", "cpu s", "load at each run"), rows)


def edit_runs(runs: ArchverifyRuns, path: Path, count: int, extra: list[str]) -> Figure:
    """A distinct comment line appended to ``path``, one run, the file restored; ``count``
    times, after one run that fills the cache."""
    original = path.read_bytes()
    variant = f"edited {path.name}"

    def once(index: int) -> Sample:
        try:
            mark = f"\n# archverify bench edit {variant} {index} {time.time_ns()}\n"
            path.write_bytes(original + mark.encode())
            return runs.once(variant, extra)
        finally:
            path.write_bytes(original)

    runs.once("warm-fill", extra)
    return repeat(count, once)


def ha_rows(figures: dict[str, Figure], floor_s: float) -> list[Row]:
    def seconds(key: str) -> float:
        return round(figures[key].median_s, 3)

    def ratio(key: str, over: str, limit: float, target: str) -> Row:
        value = seconds(key) / seconds(over)
        return Row(LABELS[key], seconds(key), round(value, 4), target, value <= limit)

    static = figures["static_cold"]
    rss = f"{static.tree_rss_mb:.0f} MB (largest process {static.max_rss_mb:.0f} MB)"
    return [
        Row("compile floor (1 process, read+compile)", round(floor_s, 3)),
        *(Row(LABELS[k], seconds(k)) for k in ("lint_imports_cold", "lint_imports_warm")),
        *(Row(LABELS[k], seconds(k)) for k in ("tach_check", "ruff")),
        ratio("static_cold", "lint_imports_cold", 3.0, "<= 3 x lint-imports --no-cache"),
        # The exact compile verdict needs CPython's compile() of every file (the floor, one
        # process): what archverify spends beyond it, beside lint-imports, which compiles nothing.
        Row(
            "  the same minus the compile floor",
            round(seconds("static_cold") - floor_s, 3),
            round((seconds("static_cold") - floor_s) / seconds("lint_imports_cold"), 4),
            "<= 3 x lint-imports --no-cache",
            seconds("static_cold") - floor_s <= 3.0 * seconds("lint_imports_cold"),
        ),
        ratio("static_warm", "lint_imports_warm", 1.0, "<= lint-imports warm"),
        Row(
            LABELS["static_edited"],
            seconds("static_edited"),
            target="<= 1 s",
            met=seconds("static_edited") <= 1.0,
        ),
        Row(LABELS["static_ruff_cold"], seconds("static_ruff_cold")),
        Row(LABELS["static_ruff_warm"], seconds("static_ruff_warm")),
        Row(
            "peak RSS, archverify static cold (process tree)",
            None,
            target="<= 1 GB",
            met=static.tree_rss_mb <= RSS_TARGET_MB,
            value=rss,
        ),
    ]


LABELS = {
    "lint_imports_cold": "lint-imports --no-cache",
    "lint_imports_warm": "lint-imports warm (its cache filled)",
    "tach_check": "tach check --dependencies",
    "ruff": "ruff check --no-cache",
    "static_cold": "archverify static steps, no cache",
    "static_warm": "archverify static steps, warm",
    "static_edited": "archverify static steps, one file edited",
    "static_ruff_cold": "archverify static steps + ruff, cold",
    "static_ruff_warm": "archverify static steps + ruff, warm",
}

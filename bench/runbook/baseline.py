"""The sequential runbook: each tool run alone, one after the other, with cold caches."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from runbook.measure import Sample, run_measured
from runbook.projects import Target

RUNBOOK_DIR = Path(__file__).resolve().parent
# In runbook order. The two cycle finders are alternatives: the sequential total uses one.
BASELINE_TOOLS: tuple[str, ...] = (
    "compileall",
    "lint-imports",
    "ruff",
    "mypy",
    "pycycle",
    "pylint-cycles",
    "bulk-import",
    "bandit",
)
CYCLE_TOOLS: tuple[str, ...] = ("pycycle", "pylint-cycles")
# The installed program whose presence says the tool is available.
_PROGRAMS = {
    "compileall": "python",
    "lint-imports": "lint-imports",
    "ruff": "ruff",
    "mypy": "mypy",
    "pycycle": "pycycle",
    "pylint-cycles": "pylint",
    "bulk-import": "python",
    "bandit": "bandit",
}
# Tool caches a cold run must not find (relative to the project root).
_CACHE_FOLDERS = (".ruff_cache", ".mypy_cache", ".import_linter_cache", ".pytest_cache")


@dataclass(frozen=True)
class ToolRun:
    """How to run one tool of the runbook: argv, environment additions, needs."""

    name: str
    argv: list[str]
    env: dict[str, str]
    executable: Path
    cwd: Path


def base_env(target: Target, with_deps: bool) -> dict[str, str]:
    """The environment every command sees: source roots (and optionally the deps) importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    paths = [str(p) for p in target.source_roots]
    if with_deps and target.deps_dir is not None:
        paths.append(str(target.deps_dir))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def clear_tool_caches(root: Path) -> None:
    for name in _CACHE_FOLDERS:
        shutil.rmtree(root / name, ignore_errors=True)


def tool_run(name: str, venv: Path, target: Target, scratch: Path) -> ToolRun:
    """The command line of ``name`` for ``target``; ``scratch`` is an empty temp folder."""
    bin_dir = venv / "bin"
    python = str(bin_dir / "python")
    paths = [str(p) for p in target.package_paths]
    extra: dict[str, str] = {}
    cwd = target.root
    if name == "compileall":
        # Bytecode goes to a throwaway prefix so the tree stays clean and every run is cold.
        extra["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
        argv = [python, "-m", "compileall", "-q", *paths]
    elif name == "lint-imports":
        config = target.importlinter or target.root / ".importlinter"
        argv = [str(bin_dir / "lint-imports"), "--config", str(config)]
    elif name == "ruff":
        argv = [str(bin_dir / "ruff"), "check", "--quiet", *paths]
    elif name == "mypy":
        cache = str(scratch / "mypy_cache")
        argv = [python, "-m", "mypy", "--ignore-missing-imports", "--cache-dir", cache, *paths]
    elif name == "pycycle":
        # pycycle 0.0.8 declares --source as a boolean, so only --here (the current folder) works.
        first = target.package_paths[0]
        cwd = first if first.is_dir() else first.parent
        argv = [str(bin_dir / "pycycle"), "--here"]
    elif name == "pylint-cycles":
        argv = [python, "-m", "pylint", "--disable=all", "--enable=cyclic-import", *paths]
        extra["PYLINTHOME"] = str(scratch / "pylint_home")
    elif name == "bulk-import":
        argv = [python, str(RUNBOOK_DIR / "bulk_import.py"), *paths]
    elif name == "bandit":
        argv = [python, "-m", "bandit", "-q", "-r", *paths]
    else:
        raise ValueError(f"unknown baseline tool {name!r}")
    env = {**base_env(target, with_deps=name == "bulk-import"), **extra}
    return ToolRun(name, argv, env, bin_dir / _PROGRAMS[name], cwd)


def unavailable_reason(run: ToolRun, target: Target) -> str | None:
    """Why this tool cannot run here (None: it can)."""
    if not run.executable.exists():
        return f"{run.executable} is not installed"
    if run.name == "lint-imports" and target.importlinter is None:
        return "no .importlinter file in the project"
    return None


def run_tool(name: str, venv: Path, target: Target, timeout_s: float) -> Sample:
    """One cold run of ``name``: caches removed before, scratch folders fresh."""
    clear_tool_caches(target.root)
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        run = tool_run(name, venv, target, Path(tmp))
        return run_measured(run.argv, run.cwd, run.env, timeout_s=timeout_s)


def cycle_tool_ok(sample: Sample, name: str) -> bool:
    """Whether a cycle finder really ran (exit 0/1 are findings or none; pylint uses bit flags).

    pylint's exit status is a bit mask: 1 fatal, 2 error, 4 warning, 8 refactor, 16 convention,
    32 usage error; cyclic-import is a refactor message (8).
    """
    if name == "pylint-cycles":
        return sample.returncode & (1 | 32) == 0
    return sample.returncode in (0, 1)

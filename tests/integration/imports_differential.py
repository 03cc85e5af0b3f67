"""Verdicts of the imports step against a fresh ``python -c "import M"``, module by module.

A package installed in archverify's environment is copied into a temporary project (so it is the
project, shadowing the installed copy, and everything it imports from outside is preloaded as
for any project). The imports step's own machinery imports a sample of its modules; each module
of the sample is then imported in a fresh interpreter with the same ``sys.path``, environment
and working directory. Used by ``tests/integration/test_imports_differential.py`` and
``bench/imports_fresh_vs_fork.py``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from archverify.core.project import Project
from archverify.executors.base import NullCache, StepContext
from archverify.executors.imports import _options, _Run
from archverify.orchestrator.cache.facts import FactsCache
from archverify.orchestrator.config.loader import load_config
from archverify.orchestrator.discovery import discover, resolve_config_with_discovery
from archverify.orchestrator.parsing import parse_files

Verdict = tuple[str, str, str]  # (outcome, exception class or code, first line of the message)

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
# Run by the fresh interpreter, a plain ``python -c`` (the user's PYTHON* variables and user
# site-packages apply) from the first source root (``""``, first on sys.path); the other roots
# follow it. The import statement is at module level, one frame deep, as in
# ``python -c "import M"``; only modules a fresh interpreter already holds are used before it.
_FRESH = """\
import os, sys
sys.path[1:1] = {others!r}
try:
    {statement}
    verdict = ["ok", "", ""]
except SystemExit as exc:
    verdict = ["exit", repr(exc.code), ""]
except BaseException as exc:
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    verdict = ["raised", type(exc).__name__, text]
sys.setrecursionlimit(max(sys.getrecursionlimit(), 1000))  # the module may have lowered it
import json
fd = os.open({result!r}, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
os.write(fd, json.dumps(verdict).encode())
os.close(fd)
"""


@dataclass(frozen=True)
class Comparison:
    """The verdicts of one package under the imports step and in fresh interpreters."""

    package: str
    step: dict[str, Verdict]
    fresh: dict[str, Verdict]
    stats: dict[str, Any]

    def disagreements(self) -> list[str]:
        lines = []
        for module in sorted(self.step):
            ours, theirs = self.step[module], self.fresh[module]
            if ours[0] == "skipped":
                agree = theirs[0] != "ok"  # not imported: a certain import had failed
            else:
                agree = ours == theirs
            if not agree:
                lines.append(f"{module}: imports step {ours}, fresh interpreter {theirs}")
        return lines


def installed_package(name: str) -> Path:
    """The folder of an installed package, in the standard library or site-packages."""
    for key in ("purelib", "platlib", "stdlib"):
        folder = Path(sysconfig.get_paths()[key]) / name
        if folder.is_dir():
            return folder
    raise LookupError(name)


def make_project(package: str, destination: Path) -> Path:
    """A project in ``destination`` holding a copy of ``package`` (bytecode left out)."""
    shutil.copytree(
        installed_package(package),
        destination / package,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        symlinks=True,
    )
    return destination


def _normalise(text: str) -> str:
    first = text.strip().split("\n")[0] if text.strip() else ""
    return _ADDRESS.sub("0x?", first)


def _step_verdict(record: dict[str, Any]) -> Verdict:
    outcome = str(record.get("outcome"))
    if outcome == "raised":
        return ("raised", str(record.get("exception")), _normalise(str(record.get("text", ""))))
    if outcome == "exit":
        return ("exit", repr(record.get("code")), "")
    if outcome == "os_exit":
        return ("died", str(record.get("code")), "")
    if outcome == "signal":
        return ("signal", str(record.get("signal")), "")
    if outcome == "died":
        return ("died", str(record.get("code")), "")
    return (outcome, "", "")


def step_verdicts(
    root: Path, modules: list[str] | None, jobs: int, timeout_s: float
) -> tuple[dict[str, Verdict], dict[str, Any], list[str]]:
    """Run the imports step's machinery on ``root`` (only ``modules``, when given)."""
    config = load_config(root, None)
    discovery = discover(root, config)
    config = resolve_config_with_discovery(config, discovery)
    files = discovery.files
    if modules is not None:
        wanted = set(modules)
        files = tuple(f for f in files if f.module in wanted)
    facts = parse_files(root, files, jobs=jobs, cache=FactsCache(None, "differential"))
    tool = config.tool("imports")
    config = replace(
        config,
        tools={
            **config.tools,
            "imports": replace(tool, options={**tool.options, "timeout_s": timeout_s}),
        },
    )
    project = Project(root=str(root), packages=config.packages, files=files, facts=facts)
    context = StepContext(root=root, config=config, project=project, jobs=jobs, cache=NullCache())
    scratch = Path(tempfile.mkdtemp(prefix="archverify-differential-"))
    try:
        run = _Run(context, _options(context), scratch)
        outcome = run.execute(time.monotonic())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    verdicts = {m: _step_verdict(r) for m, r in run.results.items() if m in set(run.order)}
    return verdicts, dict(outcome.stats), list(run.roots)


def fresh_verdict(
    root: Path, roots: list[str], module: str, timeout_s: float, bytecode: Path | None = None
) -> Verdict:
    """``cd ROOTS[0] && python -c "import module"``, the other ``roots`` next on sys.path.

    With ``bytecode`` the interpreters share compiled modules there (outside the tree), as the
    step's children do: a large package is then not compiled again by every interpreter.
    """
    with tempfile.TemporaryDirectory(prefix="archverify-fresh-") as scratch:
        result = os.path.join(scratch, "verdict")
        # A name that is no identifier (``unicode15-1-0``) cannot be written in an import
        # statement; importlib, like the step, imports it all the same.
        plain = all(part.isidentifier() for part in module.split("."))
        statement = f"import {module}" if plain else f"__import__({module!r})"
        code = _FRESH.format(others=roots[1:], statement=statement, result=result)
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        if bytecode is not None:
            del env["PYTHONDONTWRITEBYTECODE"]
            env["PYTHONPYCACHEPREFIX"] = str(bytecode)
        try:
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=roots[0],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=timeout_s,
                check=False,
                start_new_session=True,
            )
        except subprocess.TimeoutExpired:
            return ("timeout", "", "")
        try:
            raw = Path(result).read_text(encoding="utf-8")
        except OSError:
            if done.returncode < 0:
                return ("signal", f"SIG{_signal_name(-done.returncode)}", "")
            return ("died", str(done.returncode), "")
    outcome, kind, text = json.loads(raw)
    return (outcome, kind, _normalise(text))


def _signal_name(number: int) -> str:
    import signal

    try:
        return signal.Signals(number).name[3:]
    except ValueError:
        return str(number)


def compare(
    package: str,
    workdir: Path,
    *,
    sample: int | None,
    seed: int,
    jobs: int = 2,
    timeout_s: float = 30.0,
    only: list[str] | None = None,
) -> Comparison:
    """Copy ``package`` into ``workdir``, import a sample (or ``only`` these) both ways."""
    root = make_project(package, workdir)
    config = load_config(root, None)
    files = discover(root, config).files
    modules = sorted(f.module for f in files if f.module.rsplit(".", 1)[-1] != "__main__")
    if only is not None:
        modules = [m for m in modules if m in set(only)]
    elif sample is not None and sample < len(modules):
        modules = sorted(random.Random(seed).sample(modules, sample))
    step, stats, roots = step_verdicts(root, modules, jobs, timeout_s)
    bytecode = Path(tempfile.mkdtemp(prefix="archverify-fresh-bytecode-"))
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            verdicts = pool.map(
                lambda m: fresh_verdict(root, roots, m, timeout_s, bytecode), sorted(step)
            )
            fresh = dict(zip(sorted(step), verdicts, strict=True))
    finally:
        shutil.rmtree(bytecode, ignore_errors=True)
    return Comparison(package=package, step=step, fresh=fresh, stats=stats)

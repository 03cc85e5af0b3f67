"""``run --shard I/N``: the shard's plan from the tree, and its steps narrowed to their share.

The weights are an estimate from the files themselves (their line counts) or, with ``--durations
FILE``, the seconds recorded in that file (``archverify merge --durations-out``), never the
durations in a runner's cache: runners with different caches must still agree on the split, or
some file would be checked twice and another never. Every shard reads the same file, and its
digest is part of the partial's identity, so the merge refuses shards that split differently.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace
from math import fsum
from pathlib import Path
from typing import Any

from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.project import Project
from archverify.core.shard_durations import Durations
from archverify.core.shards import (
    SPLIT_STEPS,
    WHOLE_STEPS,
    Shard,
    ShardPlan,
    import_units,
    plan_shard,
)
from archverify.executors.base import Step, StepContext
from archverify.executors.runtime.git_changes import head_commit
from archverify.executors.runtime.process import ToolFailure

# Estimated cost per source line of each step (only the ratios matter): bandit is slower per
# file than ruff, a test module's line runs code, mypy and the imports see every module.
_PER_LINE = {"ruff": 1.0, "bandit": 3.0, "tests": 20.0, "mypy": 4.0, "imports": 2.0}
# The imports' cost per module beside its lines: a fork, a process, the verdict's round trip.
_PER_MODULE = 200.0
# The global steps (graph, contracts, ...) together, per source line: shard 1's head start.
_GLOBAL_PER_LINE = 0.5
# The least a recorded unit weighs: the file holds milliseconds, so a recorded 0 is under half
# of one, never free. Weightless units would all go to the least loaded shard, together.
_LEAST_SECONDS = 0.0005


def shard_plan(
    shard: Shard,
    steps: Sequence[str],
    context: StepContext,
    durations: Durations | None = None,
) -> ShardPlan:
    """What ``shard`` does of ``steps`` on the project in ``context``, balanced by size or,
    given ``durations`` (the ``--durations`` file), by the seconds recorded there."""
    lines = {f.path: max(1, f.lines) for f in context.project.iter_facts()}
    for source in context.project.files:
        lines.setdefault(source.path, 1)
    total = sum(lines.values())
    # Every cost as units of work by step ("" for a step that runs whole), estimated by size.
    estimates: dict[str, dict[str, float]] = {
        step: {path: n * _PER_LINE[step] for path, n in lines.items()}
        for step in ("ruff", "bandit")
    }
    if "tests" in steps:
        estimates["tests"] = {
            path: _line_count(context.root / path) * _PER_LINE["tests"]
            for path in _test_files(context)
        }
    if "imports" in steps:
        # By module, as the durations record them; the units (packages) add their modules up.
        estimates["imports"] = {
            module: lines.get(path, 1) * _PER_LINE["imports"] + _PER_MODULE
            for module, path in _module_paths(context.project).items()
        }
    for step in WHOLE_STEPS:
        estimates[step] = {"": total * _PER_LINE[step]}
    global_steps = [s for s in steps if s not in SPLIT_STEPS and s not in WHOLE_STEPS]
    for step in global_steps:
        estimates[step] = {"": total * _GLOBAL_PER_LINE / len(global_steps)}
    scale = seconds_per_estimate(estimates, durations)
    weights = {
        step: unit_weights(step, units, durations, scale) for step, units in estimates.items()
    }
    if "imports" in weights:
        by_module = weights["imports"]
        weights["imports"] = {
            name: fsum(by_module[m] for m in modules)
            for name, modules in import_units_of(context.project).items()
        }
    whole = {step: weights[step][""] for step in WHOLE_STEPS}
    head_start = fsum(weights[step][""] for step in global_steps)
    return plan_shard(shard, steps, weights, whole, head_start)


def unit_weights(
    step: str,
    estimates: Mapping[str, float],
    recorded: Durations | None,
    scale: float = 1.0,
) -> dict[str, float]:
    """The weight of each of ``step``'s units (``estimates``: unit -> its size estimate); the
    one function the split weighs by. Without ``recorded`` durations the estimates themselves.

    With them, in seconds: a unit with a recorded duration weighs that; one without weighs its
    estimate times the step's recorded seconds over the estimates of its recorded units (so the
    two scales mix). A step recorded only as a total (ruff, bandit, mypy; a step that runs
    whole is the one unit "") spreads that total over its units by size; a step with no record
    at all weighs its estimates times ``scale`` (``seconds_per_estimate``). The imports are
    weighed by module (as recorded) and ``shard_plan`` adds each unit's modules up. A recorded
    unit weighs at least half a millisecond (the file's grain), a recorded total as much per
    unit: units recorded as 0 s would otherwise all join the least loaded shard.

    Sums are ``math.fsum``: exactly rounded whatever the order, so runners that list the
    units in another order (another file system's) still get the same bits."""
    if recorded is None:
        return dict(estimates)
    units = _at_least(recorded.units.get(step, {}))
    known = [u for u in estimates if u in units]
    size = fsum(estimates[u] for u in known)
    if known and size > 0:
        per = fsum(units[u] for u in known) / size
        return {u: units[u] if u in units else e * per for u, e in estimates.items()}
    total = recorded.steps.get(step)
    size = fsum(estimates.values())
    if total is not None and size > 0:
        total = max(total, _LEAST_SECONDS * len(estimates))
        return {u: e * total / size for u, e in estimates.items()}
    return {u: e * scale for u, e in estimates.items()}


def _at_least(seconds: Mapping[str, float]) -> dict[str, float]:
    """Recorded seconds, each at least ``_LEAST_SECONDS`` (a 0 in the file is a rounding)."""
    return {u: max(s, _LEAST_SECONDS) for u, s in seconds.items()}


def seconds_per_estimate(
    estimates: Mapping[str, Mapping[str, float]], recorded: Durations | None
) -> float:
    """Recorded seconds per unit of estimate over the steps that have a record (1 when none
    has): what an unrecorded step's estimates are scaled by to weigh in seconds beside them."""
    if recorded is None:
        return 1.0
    seconds: list[float] = []
    sizes: list[float] = []
    for step, units in estimates.items():
        known = _at_least(recorded.units.get(step, {}))
        if any(u in known for u in units):
            seconds += [known[u] for u in units if u in known]
            sizes += [e for u, e in units.items() if u in known]
        elif step in recorded.steps:
            seconds.append(recorded.steps[step])
            sizes += units.values()
    total, size = fsum(seconds), fsum(sizes)
    return total / size if size > 0 and total > 0 else 1.0


def import_units_of(project: Project) -> dict[str, tuple[str, ...]]:
    """The imports step's units of ``project`` (``core.shards.import_units``): name -> modules."""
    packages: dict[str, bool] = {}
    for source in project.files:
        packages.setdefault(source.module, source.path.endswith("/__init__.py"))
    return import_units(packages)


def _module_paths(project: Project) -> dict[str, str]:
    """Each module's file (its first, as the imports step imports it)."""
    path_of: dict[str, str] = {}
    for source in project.files:
        path_of.setdefault(source.module, source.path)
    return path_of


def _test_files(context: StepContext) -> list[str]:
    from archverify.executors.tools.tests import collected_test_modules, configured_test_paths

    try:
        paths = configured_test_paths(context)
    except ToolFailure:
        return []  # the tests step reports the bad option, in every shard
    present = [p for p in paths if (context.root / p).exists()]
    return collected_test_modules(context.root, present)


def _line_count(path: Path) -> int:
    try:
        return max(1, path.read_bytes().count(b"\n"))
    except OSError:
        return 1


class ShardedStep:
    """A split step that sees only its shard's files (ruff, bandit), test modules (tests) or
    modules (imports: those of its units, in ``import_modules``).

    Its cache key is the step's own over that share, with the share itself: a shard's stored
    outcome is never replayed as another shard's, nor as a whole run's."""

    def __init__(self, inner: Step, files: tuple[str, ...], first: bool) -> None:
        self.id = inner.id
        self.inner = inner
        self.files = files
        self.first = first

    def cache_key(self, context: StepContext) -> str | None:
        own = getattr(self.inner, "cache_key", None)
        if not callable(own):
            return None
        value = own(self.narrowed(context))
        if not isinstance(value, str):
            return None
        share = hashlib.sha256("\0".join(self.files).encode("utf-8", "surrogateescape"))
        return f"{value}-shard-{int(self.first)}-{share.hexdigest()}"

    def run(self, context: StepContext) -> StepOutcome:
        outcome: StepOutcome = self.inner.run(self.narrowed(context))
        return outcome

    def narrowed(self, context: StepContext) -> StepContext:
        options: dict[str, Any] = {
            **context.options,
            "shard_part": True,
            "shard_first": self.first,
        }
        if self.inner.id == "tests":
            options["test_files"] = self.files
            return replace(context, options=options)
        if self.inner.id == "imports":
            # The whole project stays visible: the imports of its modules reach the others.
            units = import_units_of(context.project)
            options["import_modules"] = tuple(m for u in self.files for m in units.get(u, ()))
            return replace(context, options=options)
        return replace(context, project=_only(context.project, set(self.files)), options=options)


def _only(project: Project, paths: set[str]) -> Project:
    files = tuple(f for f in project.files if f.path in paths)
    modules = {f.module for f in files}
    facts = {m: f for m, f in project.facts.items() if m in modules and f.path in paths}
    return replace(project, files=files, facts=facts)


def shard_steps(steps: Sequence[Step], plan: ShardPlan) -> tuple[list[Step], list[StepOutcome]]:
    """The steps this shard runs (split ones narrowed), and a skipped outcome for each step
    another shard runs, naming it."""
    run: list[Step] = []
    elsewhere: list[StepOutcome] = []
    for step in steps:
        role = plan.role(step.id)
        if role == "part" and step.id in SPLIT_STEPS:
            run.append(ShardedStep(step, plan.files[step.id], plan.shard.index == 1))
        elif role == "whole":
            run.append(step)
        else:
            message = f"run by another shard of {plan.shard.count} (archverify merge)"
            elsewhere.append(StepOutcome(step.id, StepStatus.SKIPPED, message=message))
    return run, elsewhere


def roles(plan: ShardPlan, outcomes: Sequence[StepOutcome]) -> Mapping[str, str]:
    """Each outcome's role in this shard. An outcome the plan does not know (a step left out by
    ``--untrusted``, discovery's own compile outcome) is the same in every shard: shard 1's."""
    known = {s for s in (*plan.files, *plan.whole)}
    return {
        o.step: plan.role(o.step)
        if o.step in known or o.message.startswith("run by another shard")
        else ("whole" if plan.shard.index == 1 else "elsewhere")
        for o in outcomes
    }


def identity(
    root: Path,
    config_file: str | None,
    project: Project,
    steps: Sequence[str],
    durations_file: str | None = None,
) -> dict[str, Any]:
    """What every shard of one run shares (the partial's identity): archverify's version, the
    commit (git's HEAD, None outside git), a digest of the verified tree (every discovered
    file's path and content), one of the configuration file (its name relative to the root and
    its bytes) with the steps, the tools' versions, and the digest of the ``--durations`` file
    the split was balanced from (None: by size). No absolute path: runners check out anywhere."""
    from archverify import __version__
    from archverify.executors.tools.cache import tool_version

    return {
        "version": __version__,
        "commit": head_commit(root),
        "tree": tree_digest(root, project),
        "config": config_digest(root, config_file, steps),
        "tools": {name: tool_version(name) for name in _TOOLS},
        "durations_file": durations_file,
    }


_TOOLS = ("bandit", "coverage", "mypy", "pytest", "ruff")


def tree_digest(root: Path, project: Project) -> str:
    """The discovered files by path and content hash (a file without facts by its bytes)."""
    digest = hashlib.sha256(b"tree-1\n")
    for source in project.files:
        facts = project.facts.get(source.module)
        if facts is not None and facts.path == source.path:
            content = facts.content_hash
        else:
            content = _file_digest(root / source.path)
        digest.update(
            f"{source.path}\0{source.module}\0{content}\n".encode("utf-8", "surrogateescape")
        )
    return digest.hexdigest()


def config_digest(root: Path, config_file: str | None, steps: Sequence[str]) -> str:
    digest = hashlib.sha256(f"config-1\n{','.join(steps)}\n".encode())
    if config_file:
        path = Path(config_file)
        try:
            shown = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = path.name
        digest.update(f"{shown}\0{_file_digest(path)}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        return f"<{type(error).__name__}>"

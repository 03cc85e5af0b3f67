"""Sharding a run: which shard does which unit of the expensive work (``run --shard I/N``).

The split is a function of the units and their weights alone, never of a machine or its cache:
every runner that sees the same tree and the same ``N`` computes the same assignment, so each
unit is done by exactly one shard whatever the runners' caches hold.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Steps whose work is split unit by unit: files (ruff, bandit), test modules (tests), groups
# of modules (imports, see ``import_units``). The findings of ruff, bandit and the tests are per
# file, so the shards' together are one run's; the imports' are built at the merge from the
# shards' raw per-module verdicts (executors/imports/merged.py), since a verdict depends on
# others (skipped dependents, root causes, runtime contracts). mypy reports errors in the
# modules it follows: it runs whole, in the shard the balance picks.
SPLIT_STEPS = ("ruff", "bandit", "tests", "imports")
WHOLE_STEPS = ("mypy",)
# The stats key of an imports shard's raw per-module verdicts (``import_modules`` of
# ``run --shard``); the partial report moves it to its own ``imports`` field.
SHARD_IMPORTS = "shard_imports"

_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class ShardError(ValueError):
    """A ``--shard`` value that is not ``I/N`` with 1 <= I <= N."""


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count``, both 1-based as the user writes them (``2/4``)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``"2/4"`` -> ``Shard(2, 4)``; raises ``ShardError`` for anything else."""
    match = _SPEC.match(text)
    if match is None:
        raise ShardError(f"--shard takes I/N (like 2/4), not {text!r}")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"--shard {text}: I must be between 1 and N (N at least 1)")
    return Shard(index, count)


def import_units(modules: Mapping[str, bool]) -> dict[str, tuple[str, ...]]:
    """The imports step's units from the modules (each with whether it is a package): a
    package with its direct members that are not packages, named by the package; a top-level
    module (or a member whose package is not verified) alone, named by itself.

    Why this grouping: the import server forks a package's members from one zygote that has
    imported the package, so a package and its members in one shard import the package once;
    a subpackage is a unit of its own (its zygote forks from the parent's when both are in one
    shard, else it imports the parent first, as any import does). Every module is in exactly
    one unit, and the units are a function of the module names alone."""
    units: dict[str, list[str]] = {}
    for module in sorted(modules):
        parent = module.rpartition(".")[0]
        if modules[module] or not modules.get(parent, False):
            units.setdefault(module, []).append(module)
        else:
            units.setdefault(parent, []).append(module)
    return {name: tuple(members) for name, members in units.items()}


@dataclass(frozen=True)
class Unit:
    """One piece of work: a file of a split step, or a whole step (``name`` "")."""

    step: str
    name: str
    weight: float


def assign(
    units: Iterable[Unit], count: int, base: Mapping[int, float] | None = None
) -> dict[Unit, int]:
    """Each unit's shard (1-based): heaviest first onto the least loaded shard (ties: the lower
    shard), units of equal weight in (step, name) order, so that the result depends on nothing
    but the units. ``base`` is work a shard has before any unit (shard 1's global steps)."""
    ordered = sorted(units, key=lambda u: (-u.weight, u.step, u.name))
    loads = [((base or {}).get(i, 0.0), i) for i in range(1, count + 1)]
    heapq.heapify(loads)
    chosen: dict[Unit, int] = {}
    for unit in ordered:
        load, index = heapq.heappop(loads)
        chosen[unit] = index
        heapq.heappush(loads, (load + unit.weight, index))
    return chosen


@dataclass(frozen=True)
class ShardPlan:
    """What one shard does: the steps it runs whole, and its units of each split step (files,
    test modules, the imports' units of ``import_units``)."""

    shard: Shard
    whole: frozenset[str]
    files: Mapping[str, tuple[str, ...]]
    loads: Mapping[int, float]

    def role(self, step: str) -> str:
        """``"whole"``, ``"part"`` (its files of a split step) or ``"elsewhere"``."""
        if step in self.files:
            return "part"
        return "whole" if step in self.whole else "elsewhere"


def plan_shard(
    shard: Shard,
    steps: Iterable[str],
    weights: Mapping[str, Mapping[str, float]],
    whole_weights: Mapping[str, float],
    global_weight: float,
) -> ShardPlan:
    """The plan of ``shard`` among ``steps`` (the run's selected steps).

    ``weights`` are the split steps' units with their estimated cost; ``whole_weights`` the
    cost of each step that runs whole (mypy). Every other step is global: shard 1
    runs it, with ``global_weight`` as its head start.
    """
    selected = list(steps)
    units = [
        Unit(step, name, weight)
        for step in SPLIT_STEPS
        if step in selected
        for name, weight in sorted(weights.get(step, {}).items())
    ]
    units += [
        Unit(step, "", whole_weights.get(step, 0.0)) for step in WHOLE_STEPS if step in selected
    ]
    chosen = assign(units, shard.count, {1: global_weight})
    loads: dict[int, float] = {i: 0.0 for i in range(1, shard.count + 1)}
    loads[1] = global_weight
    for unit, index in chosen.items():
        loads[index] += unit.weight
    mine = [unit for unit, index in chosen.items() if index == shard.index]
    whole = {u.step for u in mine if not u.name}
    if shard.index == 1:
        whole |= {s for s in selected if s not in SPLIT_STEPS and s not in WHOLE_STEPS}
    files = {
        step: tuple(sorted(u.name for u in mine if u.step == step and u.name))
        for step in SPLIT_STEPS
        if step in selected
    }
    return ShardPlan(shard, frozenset(whole), files, loads)

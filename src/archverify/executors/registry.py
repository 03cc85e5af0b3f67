"""Every step's class, by id; the catalogue (``core.steps``) says everything else about them."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from archverify.core.config import STEP_ORDER
from archverify.executors.base import Step

# id -> "module:class". Imported only when a run selects the step: ``archverify --version`` and
# a run of the static steps do not pay for the tools' or the imports step's modules.
_WHERE: dict[str, str] = {
    "compile": "archverify.executors.compile:CompileStep",
    "purity": "archverify.executors.purity:PurityStep",
    "contracts": "archverify.executors.contracts:ContractsStep",
    "ruff": "archverify.executors.tools.ruff:RuffStep",
    "mypy": "archverify.executors.tools.mypy:MypyStep",
    "boundaries": "archverify.executors.boundaries:BoundariesStep",
    "snapshots": "archverify.executors.snapshots:SnapshotsStep",
    "cycles": "archverify.executors.cycles:CyclesStep",
    "imports": "archverify.executors.imports:ImportsStep",
    "bandit": "archverify.executors.tools.bandit:BanditStep",
    "tests": "archverify.executors.tools.tests:TestsStep",
}


def all_steps() -> dict[str, Step]:
    """A fresh instance of every step, keyed by id, in runbook order."""
    return steps_named(STEP_ORDER)


def steps_named(ids: Iterable[str]) -> dict[str, Step]:
    """A fresh instance of each step of ``ids``, importing only their modules."""
    return {step_id: _step_class(step_id)() for step_id in ids}


def step_classes() -> dict[str, type[Step]]:
    """id -> step class, for every step (a test pins that the ids are the catalogue's)."""
    classes = [_step_class(step_id) for step_id in _WHERE]
    return {cls.id: cls for cls in classes}


def _step_class(step_id: str) -> type[Step]:
    module, _, name = _WHERE[step_id].partition(":")
    found: type[Step] = getattr(importlib.import_module(module), name)
    return found

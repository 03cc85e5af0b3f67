"""Every known step, by id, in the runbook's order."""

from __future__ import annotations

from archverify.core.config import STEP_ORDER
from archverify.executors.base import Step


def all_steps() -> dict[str, Step]:
    """A fresh instance of every step that is implemented, keyed by id, in runbook order."""
    found: dict[str, Step] = {}
    for step in _implemented():
        found[step.id] = step
    return {step_id: found[step_id] for step_id in STEP_ORDER if step_id in found}


def _implemented() -> list[Step]:
    # Imported here so that ``archverify --version`` does not pay for every step's imports.
    from archverify.executors.boundaries import BoundariesStep
    from archverify.executors.compile import CompileStep
    from archverify.executors.contracts import ContractsStep
    from archverify.executors.cycles import CyclesStep
    from archverify.executors.imports import ImportsStep
    from archverify.executors.purity import PurityStep
    from archverify.executors.snapshots import SnapshotsStep
    from archverify.executors.tools.bandit import BanditStep
    from archverify.executors.tools.mypy import MypyStep
    from archverify.executors.tools.ruff import RuffStep
    from archverify.executors.tools.tests import TestsStep

    return [
        CompileStep(),
        PurityStep(),
        ContractsStep(),
        RuffStep(),
        MypyStep(),
        BoundariesStep(),
        SnapshotsStep(),
        CyclesStep(),
        ImportsStep(),
        BanditStep(),
        TestsStep(),
    ]

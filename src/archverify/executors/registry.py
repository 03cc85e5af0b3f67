"""Every step's class, by id; the catalogue (``core.steps``) says everything else about them."""

from __future__ import annotations

from archverify.core.config import STEP_ORDER
from archverify.executors.base import Step


def all_steps() -> dict[str, Step]:
    """A fresh instance of every step, keyed by id, in runbook order."""
    classes = step_classes()
    return {step_id: classes[step_id]() for step_id in STEP_ORDER}


def step_classes() -> dict[str, type[Step]]:
    """id -> step class, for every step (a test pins that the ids are the catalogue's)."""
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

    classes: tuple[type[Step], ...] = (
        CompileStep,
        PurityStep,
        ContractsStep,
        RuffStep,
        MypyStep,
        BoundariesStep,
        SnapshotsStep,
        CyclesStep,
        ImportsStep,
        BanditStep,
        TestsStep,
    )
    return {cls.id: cls for cls in classes}

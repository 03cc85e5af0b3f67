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
    steps: list[Step] = []
    return steps

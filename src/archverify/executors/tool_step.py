"""Glue shared by the external-tool steps: their options and how their outcomes are built."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from archverify.core.config import ToolConfig
from archverify.core.findings import Finding, StepOutcome, StepStatus, status_for
from archverify.executors.process import ToolFailure


def timeout_for(tool: ToolConfig, default: float) -> float:
    """``options.timeout_s`` of a tool step, or ``default``."""
    value = tool.options.get("timeout_s", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ToolFailure(f"options.timeout_s must be a positive number of seconds, not {value!r}")
    return float(value)


def error_outcome(step_id: str, message: str, started: float) -> StepOutcome:
    """The outcome of a step whose tool could not run or could not be understood."""
    return StepOutcome(
        step=step_id,
        status=StepStatus.ERROR,
        message=message,
        duration_s=time.monotonic() - started,
    )


def finished_outcome(
    step_id: str,
    findings: Iterable[Finding],
    started: float,
    stats: dict[str, Any] | None = None,
) -> StepOutcome:
    """A completed step: findings in report order, failed when any is an error."""
    ordered = sorted(findings, key=Finding.sort_key)
    return StepOutcome(
        step=step_id,
        status=status_for(ordered),
        findings=ordered,
        duration_s=time.monotonic() - started,
        stats=dict(stats or {}),
    )

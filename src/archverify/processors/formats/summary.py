"""What the verdict lines say beyond errors and warnings: findings set aside, what a run checked,
and each step's note, derived from the report alone so that every format says the same."""

from __future__ import annotations

from typing import Any

from archverify.core.findings import StepOutcome, StepStatus
from archverify.core.report import RunReport


def set_aside(report: RunReport) -> str:
    """``", 3 suppressed, 2 baselined"``: findings that exist but do not count ("" for none);
    under ``--changed-since`` also ``", 1 new, 40 existing"``."""
    text = ""
    suppressed = report.summary.get("suppressed", 0)
    if isinstance(suppressed, int) and suppressed > 0:
        text += f", {suppressed} suppressed"
    if report.baselined:
        text += f", {len(report.baselined)} baselined"
    if "changed_since" in report.summary:
        text += f", {len(report.findings)} new, {len(report.existing)} existing"
    return text


def checked(report: RunReport) -> str:
    """What the run verified, from the steps' stats: ``"4 contracts kept, 885 modules
    imported, 750 tests passed, coverage 91.2 %"`` ("" when no step counted anything)."""
    parts: list[str] = []
    for step in report.steps:
        if step.status is StepStatus.PASSED or step.status is StepStatus.FAILED:
            parts += _checked_by(step.step, step.stats)
    return ", ".join(parts)


def _checked_by(step: str, stats: dict[str, Any]) -> list[str]:
    def number(key: str) -> int | None:
        value = stats.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    if step == "contracts" and number("contracts_kept") is not None:
        kept = number("contracts_kept") or 0
        return [f"{kept} {'contract' if kept == 1 else 'contracts'} kept"]
    if step == "imports" and number("imported") is not None:
        imported = number("imported") or 0
        return [f"{imported} {'module' if imported == 1 else 'modules'} imported"]
    if step == "tests" and number("tests") is not None:
        ran = number("tests") or 0
        failed = sum(number(key) or 0 for key in ("failures", "errors", "skipped"))
        passed = max(ran - failed, 0)
        parts = [f"{passed} {'test' if passed == 1 else 'tests'} passed"]
        coverage = stats.get("coverage")
        if isinstance(coverage, int | float) and not isinstance(coverage, bool):
            parts.append(f"coverage {coverage:.1f} %")
        return parts
    return []


def step_note(step: StepOutcome) -> str:
    """The note beside a step in a table: why it could not run or was skipped, what it wants
    the reader to know (``collection interrupted: 0 tests ran``), else its coverage figure."""
    if step.message:
        return step.message
    coverage = step.stats.get("coverage")
    if isinstance(coverage, int | float) and not isinstance(coverage, bool):
        return f"coverage {coverage:.1f} %"
    return ""

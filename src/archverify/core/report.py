"""The result of one run: what every report format renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archverify.core.findings import Finding, Severity, StepOutcome, StepStatus, count


@dataclass
class RunReport:
    """Steps in the runbook's order and every finding, sorted by path, line, column.

    ``root`` is the absolute verified directory. ``summary`` holds run-wide counts
    (files, modules, imports); errors and warnings are derived from the findings.
    ``baselined`` are findings accepted by the baseline (not counted as errors).
    ``existing`` are, under ``--changed-since``, the findings the change did not reach (not
    counted either); ``summary["changed_since"]`` then says what the change was.
    """

    tool: str
    version: str
    root: str
    steps: list[StepOutcome]
    findings: list[Finding]
    summary: dict[str, Any] = field(default_factory=dict)
    baselined: list[Finding] = field(default_factory=list)
    existing: list[Finding] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return count(self.findings, Severity.ERROR)

    @property
    def warnings(self) -> int:
        return count(self.findings, Severity.WARNING)

    @property
    def failed(self) -> bool:
        """Exit 1: an error finding, or a step that could not run."""
        return self.errors > 0 or any(s.status is StepStatus.ERROR for s in self.steps)

    def findings_of(self, step: str) -> list[Finding]:
        return [f for f in self.findings if f.step == step]
